"""Frequent items: exact counts up to a cap, then a mergeable Misra–Gries summary.

While a column has at most ``cap`` distinct values every count is exact. Beyond that,
the summary keeps at most ``cap`` counters and, when a batch or a merge brings more,
subtracts the ``(cap + 1)``-th largest count from all counters and drops those that
reach zero (Agarwal et al. 2012, *Mergeable summaries*). ``max_error`` accumulates
what was subtracted, so for every value ``v`` with true count ``f(v)``::

    count(v) <= f(v) <= count(v) + max_error,   max_error <= (n - sum(counts)) / (cap + 1)

Any value with ``f(v) > n / (cap + 1)`` is guaranteed to be kept. Merge is
commutative and, while exact, associative; beyond the cap merges in any order stay
within the bound above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

__all__ = ["DEFAULT_CAP", "FrequentItems"]

DEFAULT_CAP: Final = 1024


def _reduce(
    keys: np.ndarray[Any, Any], counts: np.ndarray[Any, np.dtype[np.int64]], cap: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, np.dtype[np.int64]], int]:
    """Misra–Gries reduction to at most ``cap`` counters; returns the subtracted amount."""
    if len(counts) <= cap:
        return keys, counts, 0
    threshold = int(np.partition(counts, len(counts) - cap - 1)[len(counts) - cap - 1])
    keep = counts > threshold
    return keys[keep], counts[keep] - threshold, threshold


def _canonical(
    keys: np.ndarray[Any, Any], counts: np.ndarray[Any, np.dtype[np.int64]]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Sort by count descending, then key ascending, so that equal states compare equal."""
    if len(keys) == 0:
        return (), ()
    k = keys.astype(str)
    order = np.lexsort((k, -counts))
    return tuple(k[order].tolist()), tuple(counts[order].tolist())


@dataclass(frozen=True, slots=True)
class FrequentItems:
    """Exact-then-Misra–Gries counts of string values.

    >>> import numpy as np
    >>> f = FrequentItems.from_counts(np.array(["a", "b"]), np.array([3, 1]), cap=8)
    >>> (f + f).top(1), f.is_exact
    ([('a', 6)], True)
    """

    cap: int
    n: int
    max_error: int
    keys: tuple[str, ...]
    counts: tuple[int, ...]

    @classmethod
    def empty(cls, cap: int = DEFAULT_CAP) -> FrequentItems:
        """No values seen."""
        return cls(cap=cap, n=0, max_error=0, keys=(), counts=())

    @classmethod
    def from_counts(
        cls, keys: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], *, cap: int = DEFAULT_CAP
    ) -> FrequentItems:
        """Summary of distinct ``keys`` with their exact ``counts``."""
        c = np.asarray(counts, dtype=np.int64)
        n = int(c.sum())
        k, c, sub = _reduce(np.asarray(keys, dtype=object), c, cap)
        ks, cs = _canonical(k, c)
        return cls(cap=cap, n=n, max_error=sub, keys=ks, counts=cs)

    @property
    def is_exact(self) -> bool:
        """True when every count is exact and every distinct value is kept."""
        return self.max_error == 0

    def merge(self, other: FrequentItems) -> FrequentItems:
        """Summary of both inputs (the smaller cap wins)."""
        cap = min(self.cap, other.cap)
        if not other.keys and other.max_error == 0 and len(self.keys) <= cap:
            return FrequentItems(cap, self.n + other.n, self.max_error, self.keys, self.counts)
        table: dict[str, int] = dict(zip(self.keys, self.counts, strict=True))
        for key, count in zip(other.keys, other.counts, strict=True):
            table[key] = table.get(key, 0) + count
        keys = np.array(list(table.keys()), dtype=object)
        counts = np.fromiter(table.values(), dtype=np.int64, count=len(table))
        keys, counts, sub = _reduce(keys, counts, cap)
        ks, cs = _canonical(keys, counts)
        error = self.max_error + other.max_error + sub
        return FrequentItems(cap=cap, n=self.n + other.n, max_error=error, keys=ks, counts=cs)

    __add__ = merge

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most frequent values with their (lower-bound) counts."""
        return list(zip(self.keys[:n], self.counts[:n], strict=True))

    def as_dict(self) -> dict[str, int]:
        """All kept values and their (lower-bound) counts."""
        return dict(zip(self.keys, self.counts, strict=True))

    @property
    def error_bound(self) -> float:
        """Upper bound on the undercount of any value, as a fraction of ``n``."""
        return self.max_error / self.n if self.n else 0.0
