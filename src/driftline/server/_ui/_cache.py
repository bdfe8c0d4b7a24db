"""The last timelines built, per (version, metrics), valid while the version's windows are
unchanged (checked by a cheap aggregate over its windows on every page view)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

__all__ = ["TimelineCache"]

_MAX: Final = 16


class TimelineCache:
    """A small LRU of ``key -> (stamp, value)``."""

    def __init__(self, size: int = _MAX) -> None:
        self.size = size
        self._items: OrderedDict[Any, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, stamp: Any) -> Any:
        """The value stored under ``key`` with this ``stamp``, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != stamp:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Any, stamp: Any, value: Any) -> None:
        """Remember ``value`` for ``key`` at ``stamp``."""
        with self._lock:
            self._items[key] = (stamp, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
