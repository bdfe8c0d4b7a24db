"""Reusable per-thread work buffers for the hot numeric paths.

Fresh multi-megabyte arrays cost page faults on every column; reusing one buffer per
thread makes the copies cheap and keeps the extra memory at a few batch-sized arrays.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["scratch"]

_local = threading.local()


def scratch(name: str, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A float64 work array of length ``n``; the same memory is returned for ``name``
    until a longer one is needed. Callers must not keep it across calls.

    >>> a = scratch("doc", 4)
    >>> a.shape, scratch("doc", 2).base is a.base
    ((4,), True)
    """
    buf: np.ndarray[Any, np.dtype[np.float64]] | None = getattr(_local, name, None)
    if buf is None or len(buf) < n:
        buf = np.empty(max(n, 1 << 12), dtype=np.float64)
        setattr(_local, name, buf)
    return buf[:n]
