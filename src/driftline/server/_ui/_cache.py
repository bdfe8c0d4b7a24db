"""The last timelines built, per (version, metrics): reused while the version's stamp (its
number of windows, last window and number of windows waiting for recomputation) is the
same, and for at most ``ttl`` seconds, so that a recomputed window (late labels) shows
within that time."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Final

__all__ = ["TTL_SECONDS", "TimelineCache"]

_MAX: Final = 16
TTL_SECONDS: Final = 30.0


class TimelineCache:
    """A small LRU of ``key -> (stamp, value)``."""

    def __init__(self, size: int = _MAX, ttl: float = TTL_SECONDS) -> None:
        self.size = size
        self.ttl = ttl
        self._items: OrderedDict[Any, tuple[Any, float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, stamp: Any) -> Any:
        """The value stored under ``key`` with this ``stamp``, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != stamp or time.monotonic() - found[1] > self.ttl:
                return None
            self._items.move_to_end(key)
            return found[2]

    def put(self, key: Any, stamp: Any, value: Any) -> None:
        """Remember ``value`` for ``key`` at ``stamp``."""
        with self._lock:
            self._items[key] = (stamp, time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
