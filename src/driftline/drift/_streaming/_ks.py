"""Exact two-sample Kolmogorov–Smirnov pieces for two samples of equal size."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from driftline.drift._streaming._base import FloatArray

__all__ = ["ks_counts", "ks_tail"]


@lru_cache(maxsize=4096)
def ks_tail(n: int, k: int) -> float:
    """Exact ``P(D >= k/n)`` for the two-sample KS statistic with two samples of size ``n``.

    Gnedenko–Korolyuk: ``2 * sum_{j>=1} (-1)**(j+1) * C(2n, n - j*k) / C(2n, n)``,
    valid for continuous data (with ties the test is conservative).

    >>> round(ks_tail(30, 14), 6)
    0.002530
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    total = sum((1 if j % 2 else -1) * math.comb(2 * n, n - j * k) for j in range(1, n // k + 1))
    return min(1.0, 2 * total / math.comb(2 * n, n))


def ks_counts(a: FloatArray, b: FloatArray) -> npt.NDArray[np.int64]:
    """Row-wise ``n * D`` of the two-sample KS statistic for samples of equal size ``n``.

    Ties are handled by evaluating the empirical CDFs only after the last of equal values.

    >>> ks_counts(np.array([[1.0, 2.0, 3.0]]), np.array([[2.5, 3.5, 4.5]]))
    array([2])
    """
    if a.shape[0] == 1:  # one window (update()): sorting two small samples is cheaper
        x, y = np.sort(a[0]), np.sort(b[0])
        both = np.concatenate((x, y))
        gap = np.searchsorted(x, both, "right") - np.searchsorted(y, both, "right")
        return np.array([np.abs(gap).max()], dtype=np.int64)
    values = np.concatenate((a, b), axis=1)
    labels = np.concatenate((np.ones(a.shape, np.int64), -np.ones(b.shape, np.int64)), axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    walk = np.cumsum(np.take_along_axis(labels, order, axis=1), axis=1)
    last = np.ones(ordered.shape, dtype=bool)
    last[:, :-1] = ordered[:, 1:] != ordered[:, :-1]
    counts: npt.NDArray[np.int64] = np.where(last, np.abs(walk), 0).max(axis=1)
    return counts
