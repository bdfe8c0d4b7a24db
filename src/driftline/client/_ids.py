"""Client-side prediction ids: time-ordered UUIDv7 strings (RFC 9562), made in bulk.

An id is 48 bits of Unix milliseconds, the version nibble ``7``, then a 74-bit counter
split by the variant bits ``10`` (RFC 9562 section 6.2, method 2). Each new millisecond
the counter restarts at a random value below 2**73; further ids in the same millisecond
(or after the clock stepped back) take the next counter values. Ids of one process
therefore sort, as strings, in the order they were generated, and a batch of ``n`` ids
costs one lock acquisition and a few numpy operations.

The SDK generates ids itself so that a batch it re-sends after a lost response carries
the same ids and the server counts it once.
"""

from __future__ import annotations

import secrets
import threading
import time

import numpy as np
import pyarrow as pa

__all__ = ["new_ids", "new_ids_arrow"]

_COUNTER_BITS = 74
_LOW_BITS = 62
_LOW_MASK = (1 << _LOW_BITS) - 1
_SMALL = 4  # below this many ids, plain Python integers are faster than numpy
# (start, stop) of the five hex groups in the 32-digit form and in the 36-char form.
_GROUPS = (((0, 8), (0, 8)), ((8, 12), (9, 13)), ((12, 16), (14, 18)), ((16, 20), (19, 23)),
           ((20, 32), (24, 36)))  # fmt: skip


class _Clock:
    """The last millisecond used and the last counter value handed out in it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms = -1
        self.counter = 0

    def reserve(self, n: int) -> tuple[int, int]:
        now = time.time_ns() // 1_000_000
        with self.lock:
            if now > self.ms:
                ms, first = now, secrets.randbits(_COUNTER_BITS - 1)
            else:  # same millisecond, or the clock went back: keep counting
                ms, first = self.ms, self.counter + 1
            if first + n > 1 << _COUNTER_BITS:  # counter exhausted: borrow the next ms
                ms, first = ms + 1, 0
            self.ms, self.counter = ms, first + n - 1
        return ms, first


_CLOCK = _Clock()


def _compose(ms: int, counter: int) -> int:
    high = (ms << 16) | (0x7 << 12) | (counter >> _LOW_BITS)
    return (high << 64) | (0b10 << _LOW_BITS) | (counter & _LOW_MASK)


def _text(n: int) -> np.ndarray:
    """``n`` new ids as an (n, 36) array of ASCII codes."""
    ms, first = _CLOCK.reserve(n)
    counters = np.uint64(first & _LOW_MASK) + np.arange(n, dtype=np.uint64)
    carry = counters >> np.uint64(_LOW_BITS)  # the low 62 bits overflow into rand_a
    words = np.empty((n, 2), dtype=">u8")
    words[:, 0] = np.uint64((ms << 16) | (0x7 << 12) | (first >> _LOW_BITS)) + carry
    words[:, 1] = (counters & np.uint64(_LOW_MASK)) | np.uint64(0b10 << _LOW_BITS)
    digits = np.frombuffer(words.tobytes().hex().encode("ascii"), dtype=np.uint8)
    digits = digits.reshape(n, 32)
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    for (a, b), (c, d) in _GROUPS:
        text[:, c:d] = digits[:, a:b]
    return text


def new_ids(n: int) -> list[str]:
    """``n`` new UUIDv7 strings, each greater than every id generated before in this process.

    >>> a = new_ids(3)
    >>> len(a), a == sorted(a), a[0][14], len(set(a))
    (3, True, '7', 3)
    >>> new_ids(1)[0] > a[-1]
    True
    """
    if n <= 0:
        return []
    if n < _SMALL:
        ms, first = _CLOCK.reserve(n)
        out = []
        for i in range(n):
            h = f"{_compose(ms, first + i):032x}"
            out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        return out
    return new_ids_arrow(n)[0]


def new_ids_arrow(n: int) -> tuple[list[str], pa.Array]:
    """``n`` new ids, as a list of strings and as an Arrow string array (built without copies).

    >>> ids, array = new_ids_arrow(5)
    >>> array.to_pylist() == ids
    True
    """
    if n < _SMALL:
        ids = new_ids(n)
        return ids, pa.array(ids)  # inferring "string" is faster than passing the type
    text = _text(n)
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    lines = np.empty((n, 37), dtype=np.uint8)
    lines[:, :36] = text
    lines[:, 36] = ord("\n")
    return lines.tobytes()[:-1].decode("ascii").split("\n"), array
