"""What a monitor pass did: counters, added up over passes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["MonitorStats"]


@dataclass
class MonitorStats:
    """What one :meth:`Monitor.run_once` did.

    ``errors`` counts failures of any kind (windows and alert evaluation);
    ``windows_failed`` the windows whose computation failed (each is retried with
    backoff); ``windows_deferred`` the due windows left for the next pass by
    ``max_windows_per_run``; ``windows_skipped`` the due windows another monitor was
    computing or had just computed (PostgreSQL: monitors share the windows).

    >>> MonitorStats(windows_computed=2).to_dict()["windows_computed"]
    2
    """

    windows_computed: int = 0
    batches_merged: int = 0
    rows_merged: int = 0
    windows_closed: int = 0
    conflicts: int = 0
    errors: int = 0
    windows_failed: int = 0
    windows_deferred: int = 0
    windows_skipped: int = 0
    alert_events: int = 0
    notifications_delivered: int = 0
    notifications_failed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def add(self, other: MonitorStats) -> None:
        """Add ``other``'s counts to this one's."""
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)
