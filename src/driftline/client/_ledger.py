"""The sender's accounts: what became of every logged row, and the refusals kept for the caller.

The counters share the sender's lock, so that a snapshot of them and of the queue is
consistent; ``*_locked`` methods expect the caller to hold it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Final

from driftline.client._records import ClientStats, Rejection

__all__ = ["LABELS", "PREDICTIONS", "Ledger", "Target"]

PREDICTIONS: Final = "predictions"
LABELS: Final = "labels"


@dataclass(frozen=True)
class Target:
    """Where rows go: one (model, version, kind) stream, kind ``"predictions"`` or ``"labels"``.

    >>> Target("scorer", "3", LABELS).label
    'scorer/3 labels'
    """

    model: str
    version: str
    kind: str

    @property
    def label(self) -> str:
        """How logs and ``ClientTimeoutError.pending`` name the stream."""
        suffix = " labels" if self.kind == LABELS else ""
        return f"{self.model}/{self.version}{suffix}"


class Ledger:
    """Counters named as :class:`ClientStats`'s fields, and the last ``max_rejections``
    :class:`Rejection` records.

    >>> ledger = Ledger(threading.Lock(), max_rejections=10)
    >>> ledger.add("rows_sent", 3)
    >>> ledger.failed(Target("m", "1", LABELS), 2)
    >>> with ledger.lock:
    ...     stats = ledger.snapshot_locked(queue_rows=5)
    >>> stats.rows_sent, stats.labels_failed, stats.queue_rows
    (3, 2, 5)
    """

    def __init__(self, lock: threading.Lock | threading.Condition, *, max_rejections: int) -> None:
        self.lock = lock
        self._counts: dict[str, int] = dict.fromkeys(ClientStats.__dataclass_fields__, 0)
        self.rejections: deque[Rejection] = deque(maxlen=max_rejections)

    def add_locked(self, name: str, n: int = 1) -> None:
        self._counts[name] += n

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self._counts[name] += n

    def failed_locked(self, target: Target, n: int) -> None:
        """Count ``n`` rows of ``target`` given up on (not delivered)."""
        self._counts["labels_failed" if target.kind == LABELS else "rows_failed"] += n

    def failed(self, target: Target, n: int) -> None:
        with self.lock:
            self.failed_locked(target, n)

    def refused(self, target: Target, n: int) -> None:
        """Count ``n`` rows of ``target`` refused (by the server, or as unconvertible)."""
        with self.lock:
            self._counts["labels_failed" if target.kind == LABELS else "rows_rejected"] += n

    def count_locked(self, name: str) -> int:
        return self._counts[name]

    def snapshot_locked(self, *, queue_rows: int) -> ClientStats:
        return ClientStats(**{**self._counts, "queue_rows": queue_rows})

    def reject(self, rejection: Rejection) -> None:
        """Keep ``rejection`` for ``Client.rejections`` (the oldest falls out when full)."""
        self.rejections.append(rejection)
