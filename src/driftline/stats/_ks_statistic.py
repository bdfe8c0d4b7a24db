"""The two-sample KS statistic ``sup |F_a - F_b|`` for two sorted samples, exactly.

Three kernels give the same integer result (the sup scaled by ``n1 * n2``); the dispatcher
:func:`sup_diff_sorted` picks the cheapest for the data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["PRUNE_MIN_N", "PRUNE_STEP", "last_of_runs", "sup_diff_sorted"]

#: Grid step of the pruned kernel (every 64th value of each side is a grid point).
PRUNE_STEP = 64
#: Below this size (of the smaller side) the merge kernel is used directly.
PRUNE_MIN_N = 4096


def last_of_runs(sorted_values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Positions of the last element of each run of equal values in a sorted array."""
    if sorted_values.size == 1:
        return np.zeros(1, dtype=np.intp)
    keep = np.empty(sorted_values.size, dtype=bool)
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=keep[:-1])
    keep[-1] = True
    return np.flatnonzero(keep)


def _sup_diff_merge(a: NDArray[np.float64], b: NDArray[np.float64]) -> int:
    """``sup |F_a - F_b| * n1 * n2`` by merging the two sorted runs (timsort: O(n))."""
    n1, n2 = a.size, b.size
    merged = np.concatenate((a, b))
    order = np.argsort(merged, kind="stable")  # two presorted runs: a linear merge
    cum_a = np.cumsum(order < n1, dtype=np.int64)
    # (F_a - F_b) * n1 * n2 after each merged element = cum_a * (n1 + n2) - position * n1
    diff = cum_a * (n1 + n2)
    diff -= np.arange(n1, n1 * (n1 + n2) + 1, n1, dtype=np.int64)
    values = merged[order]
    distinct_next = values[1:] != values[:-1]
    if not distinct_next.all():  # ties: only the last of each run of equal values counts
        diff = diff[np.append(distinct_next, True)]
    return max(int(diff.max()), -int(diff.min()), 0)


def _sup_diff_search(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    last_a: NDArray[np.intp],
    last_b: NDArray[np.intp],
) -> int:
    """Same as :func:`_sup_diff_merge`, searching only each side's distinct values."""
    n1, n2 = a.size, b.size
    d_scaled = 0
    for own_side, last, other_side, n_own, n_other in (
        (a, last_a, b, n1, n2),
        (b, last_b, a, n2, n1),
    ):
        points = own_side[last]
        own = last.astype(np.int64) + 1
        other = np.searchsorted(other_side, points, side="right").astype(np.int64, copy=False)
        diff = own * n_other  # (F_own - F_other) * n1 * n2
        diff -= other * n_own
        d_scaled = max(d_scaled, int(diff.max()), -int(diff.min()))
    return d_scaled


def _ragged_ranges(starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(s, e)`` for every pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.asarray(offsets + np.arange(total, dtype=np.int64), dtype=np.int64)


def _sup_diff_pruned(a: NDArray[np.float64], b: NDArray[np.float64], step: int) -> int | None:
    """Exact scaled sup from a coarse grid plus only the blocks that could hold the max.

    The grid is every ``step``-th value of each side (and both maxima); both ECDFs are
    evaluated exactly there, which gives a lower bound ``d_low``. Between grid points
    ``g_{j-1} <= x < g_j`` both ECDFs are monotone, so ``F_a - F_b`` is at most
    ``F_a(g_j) - F_b(g_{j-1})`` and ``F_b - F_a`` at most ``F_b(g_j) - F_a(g_{j-1})``.
    Only blocks whose bound exceeds ``d_low`` can hold the sup; every sample point in them
    is evaluated exactly. Returns ``None`` when too many blocks survive (then merging is
    cheaper).
    """
    n1, n2 = a.size, b.size
    grid = np.unique(np.concatenate((a[step - 1 :: step], b[step - 1 :: step], a[-1:], b[-1:])))
    ca = np.searchsorted(a, grid, side="right").astype(np.int64, copy=False)
    cb = np.searchsorted(b, grid, side="right").astype(np.int64, copy=False)
    diff = ca * n2 - cb * n1
    d_low = max(int(diff.max()), -int(diff.min()), 0)
    ca_prev = np.concatenate(([0], ca[:-1]))
    cb_prev = np.concatenate(([0], cb[:-1]))
    upper = np.maximum(ca * n2 - cb_prev * n1, cb * n1 - ca_prev * n2)
    blocks = np.flatnonzero(upper > d_low)
    if blocks.size == 0:
        return d_low
    idx_a = _ragged_ranges(ca_prev[blocks], ca[blocks])
    idx_b = _ragged_ranges(cb_prev[blocks], cb[blocks])
    if 4 * (idx_a.size + idx_b.size) > n1 + n2:
        return None
    points = np.concatenate((a[idx_a], b[idx_b]))
    fa = np.searchsorted(a, points, side="right").astype(np.int64, copy=False)
    fb = np.searchsorted(b, points, side="right").astype(np.int64, copy=False)
    exact = fa * n2 - fb * n1
    return max(d_low, int(exact.max()), -int(exact.min()))


def sup_diff_sorted(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """``sup |F_a - F_b|`` for two sorted samples (ECDFs are right-continuous steps).

    The sup is attained at a jump point of either ECDF, i.e. at the last copy of a
    distinct value. With few distinct values (heavy ties, discrete data) only those are
    searched for in the other side. Otherwise a coarse grid bounds the sup and only the
    blocks that could hold it are evaluated (typically a few percent of the points); if
    too many blocks survive, the two sorted runs are merged (linear). All three give the
    same exact result, as integers scaled by ``n1 * n2``.
    """
    n1, n2 = a.size, b.size
    last_a = last_of_runs(a)
    last_b = last_of_runs(b)
    d_scaled: int | None
    if 4 * (last_a.size + last_b.size) <= n1 + n2:
        d_scaled = _sup_diff_search(a, b, last_a, last_b)
    else:
        d_scaled = None
        if min(n1, n2) >= PRUNE_MIN_N:
            d_scaled = _sup_diff_pruned(a, b, PRUNE_STEP)
        if d_scaled is None:
            d_scaled = _sup_diff_merge(a, b)
    return min(d_scaled / (n1 * n2), 1.0)
