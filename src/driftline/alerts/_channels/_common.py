"""What the built-in notifiers share: the JSON encoding, event headers and a lazy poster."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftline.alerts._registry import Notification

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = ["default_poster", "dumps", "event_headers"]


def dumps(data: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted JSON (what is signed is what is sent)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()


def event_headers(notification: Notification, kind: str) -> dict[str, str]:
    """``X-Driftline-Event`` (the id receivers deduplicate on) and the event type."""
    return {"X-Driftline-Event": notification.event_id, "X-Driftline-Event-Type": kind}


def default_poster() -> HttpPoster:
    """An :class:`HttpPoster` with default settings (needs httpx: ``driftline[serve]``)."""
    from driftline._deps import require

    require("httpx", extra="serve")
    from driftline.alerts._http import HttpPoster

    return HttpPoster()
