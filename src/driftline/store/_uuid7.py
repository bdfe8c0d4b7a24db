"""Time-ordered identifiers: UUID version 7 (RFC 9562), generated here.

Layout (big-endian, 128 bits): 48-bit Unix time in milliseconds, 4-bit version ``0111``,
12-bit ``rand_a``, 2-bit variant ``10``, 62-bit ``rand_b``. ``rand_a`` and ``rand_b``
together form a 74-bit counter (RFC 9562 section 6.2, method 2): it starts at a random
value below 2**73 each new millisecond and is incremented for every further id in the
same millisecond, so ids from this process sort in generation order even when the clock
stalls or steps back (the last timestamp is reused). Canonical strings (lower-case hex)
sort the same way as the ids.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

import numpy as np

__all__ = ["uuid7", "uuid7_strings"]

_COUNTER_BITS = 74
_MASK62 = (1 << 62) - 1
_lock = threading.Lock()
_state = {"ms": -1, "counter": 0}
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_POSITIONS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)], dtype=np.intp)


def _reserve(n: int) -> tuple[int, int]:
    """Reserve ``n`` consecutive counter values; return (unix ms, first counter value)."""
    now = time.time_ns() // 1_000_000
    with _lock:
        if now > _state["ms"]:
            ms, start = now, secrets.randbits(_COUNTER_BITS - 1)
        else:
            ms, start = _state["ms"], _state["counter"] + 1
        if start + n > 1 << _COUNTER_BITS:
            ms, start = ms + 1, secrets.randbits(_COUNTER_BITS - 1)
            if start + n > 1 << _COUNTER_BITS:
                start = 0
        _state["ms"], _state["counter"] = ms, start + n - 1
    return ms, start


def _compose(ms: int, counter: int) -> int:
    rand_a, rand_b = counter >> 62, counter & _MASK62
    return (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


def uuid7() -> uuid.UUID:
    """A new UUIDv7, later than every id this process generated before.

    >>> a, b = uuid7(), uuid7()
    >>> a.version, a < b
    (7, True)
    """
    ms, counter = _reserve(1)
    return uuid.UUID(int=_compose(ms, counter))


def uuid7_strings(n: int) -> np.ndarray:
    """``n`` new UUIDv7s as canonical strings (numpy unicode array), vectorized.

    >>> ids = uuid7_strings(3)
    >>> len(ids), bool(ids[0] < ids[1] < ids[2]), ids[0][14]
    (3, True, '7')
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        return np.empty(0, dtype="<U36")
    ms, start = _reserve(n)
    offsets = np.arange(n, dtype=np.uint64)
    low = np.uint64(start & _MASK62) + offsets
    carry = low >> np.uint64(62)
    rand_b = (low & np.uint64(_MASK62)) | np.uint64(0b10 << 62)
    rand_a = np.uint64(start >> 62) + carry
    high = np.uint64(ms << 16) | np.uint64(0x7 << 12) | rand_a
    words = np.empty((n, 2), dtype=">u8")
    words[:, 0] = high
    words[:, 1] = rand_b
    raw = words.view(np.uint8).reshape(n, 16)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _HEX_POSITIONS] = _HEX[nibbles]
    return text.view("S36").ravel().astype("<U36")
