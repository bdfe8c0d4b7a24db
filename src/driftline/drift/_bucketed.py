"""Exact two-sample KS and Wasserstein-1 from fine buckets, without sorting either sample.

Sorting a million values costs ~60 ms; counting them into a fixed set of buckets costs a
few. This module counts both samples into the same ``K`` buckets and recovers the *exact*
statistics from the counts, sorting only the few values where the counts cannot decide.

Buckets
    A :class:`BucketLayout` maps a value ``x`` to the position ``t = (x - lo) * scale``
    and to the bucket ``trunc(clip(x * scale + (1 - lo * scale), 0, K - 1))``: bucket 0
    holds ``t < 0``, buckets ``1 .. K-2`` are the unit intervals ``[k - 1, k)`` of ``t``
    and bucket ``K - 1`` holds ``t >= K - 2``. ``lo`` and ``hi`` are the 0.1 % and 99.9 %
    quantiles of a seeded random sample of the reference, widened by 25 % of their
    distance on each side. Every step is a rounded IEEE operation, hence monotone
    non-decreasing in ``x``: whatever the rounding, a bucket is a contiguous interval of
    the real line and both samples share it, which is all the exactness below needs.

KS statistic (exact)
    With ``A_k``, ``B_k`` the counts below bucket ``k``, ``|A_k / n1 - B_k / n2|`` is a
    value the difference of the two ECDFs actually takes (just below the bucket's first
    value), so the largest one is a lower bound ``d_low`` on ``D``. Inside bucket ``k``
    the ECDFs are monotone, so ``F_a - F_b <= A_{k+1}/n1 - B_k/n2`` and
    ``F_b - F_a <= B_{k+1}/n2 - A_k/n1``: only buckets whose bound exceeds ``d_low`` can
    hold the supremum, and only their values are gathered, sorted and evaluated exactly
    (integers scaled by ``n1 * n2``, as in :mod:`driftline.stats._ks_statistic`).

Wasserstein-1 (exact where the sums allow, otherwise within a reported bound)
    ``W1 = ∫ |F_a - F_b| dx``. On a bucket where ``F_a - F_b`` provably keeps its sign
    (the same bounds), ``∫ |F_a - F_b| = |∫ (F_a - F_b)|``, and that integral follows
    exactly from the bucket's counts and the sum of its values. Where the sign may change
    inside a unit-width bucket, :func:`wasserstein_bounds` brackets the integral from the
    same quantities; the midpoint is used and the half-widths add up to
    ``wasserstein_error`` (about 1e-5 of the reference sd per column at 1M rows on the
    standard data set). The open-ended end buckets, and every bucket with
    ``exact_wasserstein=True``, are integrated exactly from their gathered, sorted
    values; what remains is floating-point rounding (relative ~1e-12;
    ``tests/stats/test_bucketed.py`` checks 1e-9 against
    ``scipy.stats.wasserstein_distance``).

When too many values would need exact treatment (heavy ties, e.g. a column with a few
distinct values, or a current sample far outside the reference range),
:func:`ks_w1_bucketed` returns ``None`` and the caller sorts both samples instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BLOCK",
    "MAX_BUCKETS",
    "BucketLayout",
    "BucketedSample",
    "KsW1",
    "finite_values",
    "ks_w1_bucketed",
    "wasserstein_bounds",
]

#: Values processed per step (keeps the temporaries in the CPU cache).
BLOCK: Final = 1 << 15
#: Most buckets of a layout, tails included (bucket numbers fit in ``uint16``).
MAX_BUCKETS: Final = 1 << 16
#: Size of the seeded random sample of the reference that places the buckets.
SAMPLE_SIZE: Final = 1 << 15
#: Share of the sample beyond ``lo`` (and beyond ``hi``) before the margin is added.
TAIL: Final = 0.001
#: The unit-width buckets span the reference's [0.1 %, 99.9 %] range widened by this
#: fraction of it on each side, so that moderately wider current data still falls in
#: narrow buckets rather than in the open-ended tails.
MARGIN: Final = 0.25
#: Above this ratio mean^2 / variance, moments are recomputed in two passes.
_CANCELLATION: Final = 1e6


@dataclass(frozen=True)
class BucketLayout:
    """Buckets of one numeric column, placed from the reference (see module docs).

    ``t = (x - lo) * scale``; interior bucket ``k`` (1 .. ``n_buckets - 2``) holds
    ``k - 1 <= t < k`` (up to rounding of ``t``; bucket numbers come from the monotone
    expression ``trunc(clip(x * scale + (1 - lo * scale), 0, n_buckets - 1))``).
    """

    lo: float
    scale: float
    n_buckets: int

    @property
    def shift(self) -> float:
        """``1 - lo * scale``: bucket number of ``x`` before clipping is ``x * scale + shift``."""
        return 1.0 - self.lo * self.scale

    @classmethod
    def from_values(
        cls,
        values: NDArray[np.float64],
        *,
        n_buckets: int | None = None,
        sample_size: int = SAMPLE_SIZE,
        margin: float = MARGIN,
        seed: int = 0,
    ) -> BucketLayout | None:
        """Layout from finite ``values``; ``None`` when they (nearly) all are one value."""
        n = values.size
        if n == 0:
            return None
        if n_buckets is None:
            n_buckets = int(np.clip(n // 8, 1 << 10, MAX_BUCKETS))
        if not 3 <= n_buckets <= MAX_BUCKETS:
            raise ValueError(f"n_buckets must be in [3, {MAX_BUCKETS}]; got {n_buckets}.")
        if n > sample_size:
            picks = np.random.default_rng(seed).integers(0, n, size=sample_size)
            sample = np.sort(values[picks])
        else:
            sample = np.sort(values)
        m = sample.size
        lo, hi = float(sample[int(m * TAIL)]), float(sample[m - 1 - int(m * TAIL)])
        if not hi > lo:
            lo, hi = float(sample[0]), float(sample[-1])
        if not hi > lo:
            return None
        width = hi - lo
        lo, hi = lo - margin * width, hi + margin * width
        scale = (n_buckets - 2) / (hi - lo)
        if not (np.isfinite(scale) and scale > 0 and np.isfinite(lo * scale)):
            return None
        return cls(lo=lo, scale=float(scale), n_buckets=n_buckets)

    def transform(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``t = (x - lo) * scale``: positions in bucket units (bucket ``k`` is ``[k-1, k)``)."""
        t = np.subtract(values, self.lo)
        t *= self.scale
        return t

    def bucket_of(self, values: NDArray[np.float64]) -> NDArray[np.intp]:
        """Bucket numbers, with exactly the arithmetic of :meth:`BucketedSample.build`."""
        u = np.multiply(values, self.scale)
        u += self.shift
        np.clip(u, 0.0, float(self.n_buckets - 1), out=u)
        return u.astype(np.intp)


@dataclass(frozen=True)
class BucketedSample:
    """One sample's finite values counted into a layout's buckets.

    ``values`` are the finite values in their original order (often a zero-copy view of
    the input), ``index`` their bucket numbers, ``counts`` and ``sums`` (of the values)
    per bucket; ``mean`` and ``std`` (``ddof=1``) are those of ``values``.
    """

    layout: BucketLayout
    values: NDArray[np.float64]
    index: NDArray[np.uint16]
    counts: NDArray[np.int64]
    sums: NDArray[np.float64]
    mean: float
    std: float
    cumulative: NDArray[np.int64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cum = np.zeros(self.counts.size + 1, dtype=np.int64)
        np.cumsum(self.counts, out=cum[1:])
        object.__setattr__(self, "cumulative", cum)

    @property
    def n(self) -> int:
        """Number of values."""
        return int(self.values.size)

    @classmethod
    def build(cls, values: NDArray[np.float64], layout: BucketLayout) -> BucketedSample | None:
        """Count finite float64 ``values`` (at least one) into ``layout``.

        Returns ``None`` when a sum overflows. The caller drops non-finite values first
        (:func:`finite_values`).
        """
        n = values.size
        if n == 0:
            return None
        scale, shift = layout.scale, layout.shift
        index = np.empty(n, dtype=np.uint16)
        buf = np.empty(min(n, BLOCK), dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow -> None below
            s1, s2 = cls._count_blocks(values, layout, index, buf)
        wide = index.astype(np.intp)
        counts = np.bincount(wide, minlength=layout.n_buckets).astype(np.int64, copy=False)
        sums = np.asarray(
            np.bincount(wide, weights=values, minlength=layout.n_buckets), dtype=np.float64
        )
        del wide
        if not (np.isfinite(s2) and bool(np.isfinite(sums).all())):
            return None
        mean_u = s1 / n
        m2 = max(s2 - s1 * mean_u, 0.0)
        if n > 1 and (m2 == 0.0 or mean_u * mean_u * n > _CANCELLATION * m2):
            mean, std = float(values.mean()), float(values.std(ddof=1))  # two passes
        else:
            mean = (mean_u - shift) / scale
            std = float(np.sqrt(m2 / (n - 1))) / scale if n > 1 else 0.0
        if not (np.isfinite(mean) and np.isfinite(std)):
            return None
        return cls(
            layout=layout,
            values=values,
            index=index,
            counts=counts,
            sums=sums,
            mean=float(mean),
            std=float(std),
        )

    @staticmethod
    def _count_blocks(
        values: NDArray[np.float64],
        layout: BucketLayout,
        index: NDArray[np.uint16],
        buf: NDArray[np.float64],
    ) -> tuple[float, float]:
        """Fill ``index`` block by block; return the sums of ``u`` and ``u^2``."""
        top = float(layout.n_buckets - 1)
        scale, shift = layout.scale, layout.shift
        n = values.size
        s1 = s2 = 0.0  # u = x * scale + shift
        for start in range(0, n, BLOCK):
            x = values[start : start + BLOCK]
            u = buf[: x.size]
            np.multiply(x, scale, out=u)
            u += shift
            s1 += float(np.add.reduce(u))
            s2 += float(np.einsum("i,i->", u, u))
            np.clip(u, 0.0, top, out=u)
            index[start : start + x.size] = u  # truncation == floor for u >= 0
        return s1, s2

    def gather(self, selected: NDArray[np.bool_]) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """Sorted values that fall in the ``selected`` buckets, with their bucket numbers."""
        runs = _runs(selected)
        if runs.shape[0] <= _MAX_RUNS:  # a few ranges of buckets: compare, no table look-up
            mask = np.zeros(self.index.size, dtype=bool)
            for start, stop in runs.tolist():
                if stop - start == 1:
                    mask |= self.index == start
                else:
                    mask |= (self.index >= start) & (self.index < stop)
        else:
            mask = selected[self.index]
        values = np.sort(self.values[mask])
        return values, self.layout.bucket_of(values)

    def below(self, xs: NDArray[np.float64], *, inclusive: bool) -> NDArray[np.int64]:
        """Exact number of values ``<= x`` (``inclusive``) or ``< x`` for each ``x``."""
        xs = np.asarray(xs, dtype=np.float64)
        k = self.layout.bucket_of(xs)
        selected = np.zeros(self.layout.n_buckets, dtype=bool)
        selected[k] = True
        values, buckets = self.gather(selected)
        side: Literal["left", "right"] = "right" if inclusive else "left"
        within = np.searchsorted(values, xs, side=side) - np.searchsorted(buckets, k, side="left")
        return np.asarray(self.cumulative[k] + within, dtype=np.int64)

    def _ranks(self, qs: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
        n = self.n
        q = np.asarray(qs, dtype=np.float64)
        ranks = np.clip(np.ceil(q * n).astype(np.int64) - 1, 0, n - 1)
        k = np.searchsorted(self.cumulative, ranks, side="right") - 1
        return ranks, k

    def quantile_buckets(self, qs: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Mask of the buckets that hold the values at normalized ranks ``qs``."""
        selected = np.zeros(self.layout.n_buckets, dtype=bool)
        selected[self._ranks(qs)[1]] = True
        return selected

    def quantiles(
        self,
        qs: NDArray[np.float64],
        gathered: tuple[NDArray[np.float64], NDArray[np.intp]] | None = None,
    ) -> NDArray[np.float64]:
        """Exact values at normalized ranks ``qs`` (inverted-CDF definition).

        ``gathered`` (sorted values and bucket numbers from :meth:`gather`) is used when
        it holds every needed bucket whole; otherwise the buckets are gathered here.
        """
        ranks, k = self._ranks(qs)
        if gathered is not None:
            values, buckets = gathered
            start = np.searchsorted(buckets, k, side="left")
            whole = np.searchsorted(buckets, k, side="right") - start == self.counts[k]
            if bool(whole.all()):
                return np.asarray(values[start + (ranks - self.cumulative[k])], dtype=np.float64)
        selected = np.zeros(self.layout.n_buckets, dtype=bool)
        selected[k] = True
        values, buckets = self.gather(selected)
        start = np.searchsorted(buckets, k, side="left")
        return np.asarray(values[start + (ranks - self.cumulative[k])], dtype=np.float64)


#: Up to this many runs of selected buckets are gathered by comparisons.
_MAX_RUNS: Final = 6


def _close_gaps(selected: NDArray[np.bool_], counts: NDArray[np.int64], limit: int) -> None:
    """Select, in place, the buckets between runs when a gap holds at most ``limit`` values."""
    runs = _runs(selected)
    if runs.shape[0] <= 1:
        return
    cum = np.concatenate(([0], np.cumsum(counts)))
    gap_start, gap_stop = runs[:-1, 1], runs[1:, 0]
    small = (cum[gap_stop] - cum[gap_start]) <= limit
    for start, stop in zip(gap_start[small].tolist(), gap_stop[small].tolist(), strict=True):
        selected[start:stop] = True


@dataclass(frozen=True)
class KsW1:
    """Exact KS statistic (scaled by ``n1 * n2``) and Wasserstein-1 distance of two samples.

    ``wasserstein`` is within ``wasserstein_error`` of the exact distance (0 up to
    floating-point rounding when computed with ``exact_wasserstein=True``); ``n_exact``
    values were gathered and sorted.
    """

    d_scaled: int
    wasserstein: float
    wasserstein_error: float
    n_exact: int
    gathered_a: tuple[NDArray[np.float64], NDArray[np.intp]] | None = None
    gathered_b: tuple[NDArray[np.float64], NDArray[np.intp]] | None = None


def _runs(selected: NDArray[np.bool_]) -> NDArray[np.intp]:
    """``[start, stop)`` pairs of the runs of True in ``selected``, shape ``(r, 2)``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], selected, [False])).astype(np.int8)))
    return edges.reshape(-1, 2)


def ks_w1_bucketed(
    a: BucketedSample,
    b: BucketedSample,
    *,
    exact_wasserstein: bool = False,
    max_exact_share: float = 0.25,
    extra: NDArray[np.bool_] | None = None,
) -> KsW1 | None:
    """Exact ``sup |F_a - F_b| * n1 * n2`` and ``W1(a, b)`` for two samples of one layout.

    Without ``exact_wasserstein``, interior buckets where ``F_a - F_b`` may change sign
    are not sorted: their integral is bounded from the counts and the signed integral
    (see :func:`wasserstein_bounds`), and the half-width of that interval is added to
    ``wasserstein_error``. Returns ``None`` when more than ``max_exact_share`` of all
    values would have to be sorted (then sorting both samples is as cheap). ``extra``
    buckets are gathered too (treating more buckets exactly never changes the result);
    the sorted values gathered from each side are returned for reuse (e.g. quantiles).
    """
    if a.layout != b.layout:
        raise ValueError("Both samples must be bucketed with the same layout.")
    n1, n2 = a.n, b.n
    nn = float(n1) * float(n2)
    ca, cb = a.cumulative, b.cumulative  # counts below bucket k, k = 0 .. K
    diff = ca * n2 - cb * n1  # (F_a - F_b) * n1 * n2 just below each bucket
    d_low = int(np.abs(diff).max())
    up_a = ca[1:] * n2 - cb[:-1] * n1  # bound of (F_a - F_b) * n1 * n2 inside bucket k
    up_b = cb[1:] * n1 - ca[:-1] * n2  # bound of (F_b - F_a) * n1 * n2 inside bucket k
    crossing = (up_a > 0) & (up_b > 0)  # the sign of F_a - F_b may change inside
    exact = (up_a > d_low) | (up_b > d_low)  # may hold the KS supremum
    last = a.counts.size - 1
    exact[0] |= crossing[0]  # open-ended tails have no width to bound with
    exact[last] |= crossing[last]
    if exact_wasserstein:
        exact |= crossing
    if extra is not None:
        exact |= extra
    _close_gaps(exact, a.counts + b.counts, limit=64)
    n_exact = int(a.counts[exact].sum() + b.counts[exact].sum())
    if n_exact > max_exact_share * (n1 + n2):
        return None

    # signed integral of (F_a - F_b) over each bucket, in t units, from counts and sums:
    # over bucket k (right edge t = k), integral of #{a <= t} dt = A_k + N_k * k - S_k;
    # over the overflow bucket only -(S_k - (k - 1) N_k) (the rest cancels with b)
    # (sums of t = (x - lo) * scale per bucket follow from the sums of x)
    layout = a.layout
    k_all = np.arange(a.counts.size, dtype=np.float64)
    t_a = (a.sums - a.counts * layout.lo) * layout.scale
    t_b = (b.sums - b.counts * layout.lo) * layout.scale
    int_a = ca[:-1] + a.counts * k_all - t_a
    int_b = cb[:-1] + b.counts * k_all - t_b
    int_a[last] = -(t_a[last] - (last - 1) * a.counts[last])
    int_b[last] = -(t_b[last] - (last - 1) * b.counts[last])
    signed = int_a / n1 - int_b / n2
    # buckets integrated from their sorted values: the exact ones holding any value
    # (gap-closing can select empty buckets, whose difference is constant)
    integrated = exact & ((a.counts + b.counts) > 0)
    keeps_sign = ~(integrated | crossing)
    w_t = float(np.abs(signed[keeps_sign]).sum())
    bounded = crossing & ~exact
    err_t = 0.0
    if bounded.any():
        low, high = wasserstein_bounds(signed[bounded], up_a[bounded] / nn, up_b[bounded] / nn)
        w_t += float((low + high).sum()) / 2
        err_t = float((high - low).sum()) / 2

    d_scaled = d_low
    gathered_a = gathered_b = None
    if n_exact:
        gathered_a = xa, ka = a.gather(exact)
        gathered_b = xb, kb = b.gather(exact)
        # counts <= p, for p in an exact bucket k: gathered values <= p plus an offset
        in_a = np.where(exact, a.counts, 0)
        in_b = np.where(exact, b.counts, 0)
        off_a = ca[:-1] - (np.cumsum(in_a) - in_a)
        off_b = cb[:-1] - (np.cumsum(in_b) - in_b)
        points = np.sort(np.concatenate((xa, xb)))
        kp = np.sort(np.concatenate((ka, kb)))
        fa = np.searchsorted(xa, points, side="right") + off_a[kp]
        fb = np.searchsorted(xb, points, side="right") + off_b[kp]
        d_points = fa * n2 - fb * n1
        d_scaled = max(d_scaled, int(np.abs(d_points).max()))
        w_t += _exact_integral(layout, points, kp, d_points, diff, last) / nn
    return KsW1(
        d_scaled=d_scaled,
        wasserstein=w_t / layout.scale,
        wasserstein_error=err_t / layout.scale,
        n_exact=n_exact,
        gathered_a=gathered_a,
        gathered_b=gathered_b,
    )


def wasserstein_bounds(
    signed: NDArray[np.float64], up_a: NDArray[np.float64], up_b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bounds of ``∫ |d|`` over a unit-width bucket from ``∫ d`` and ``-up_b <= d <= up_a``.

    ``∫ |d| >= |∫ d|``; and ``∫ |d| = |∫ d| + 2 ∫ (the minority sign part)``, where the
    minority part is at most the bound on that side, and ``∫ |d| <= max(up_a, up_b)``.
    """
    low = np.abs(signed)
    minority = np.where(signed >= 0, up_b, up_a)
    high = np.minimum(low + 2.0 * minority, np.maximum(up_a, up_b))
    return low, np.maximum(high, low)


def _exact_integral(
    layout: BucketLayout,
    points: NDArray[np.float64],
    kp: NDArray[np.intp],
    d_points: NDArray[np.int64],
    diff: NDArray[np.int64],
    last: int,
) -> float:
    """``∫ |F_a - F_b| dt * n1 * n2`` over the buckets holding ``points`` (sorted, with
    bucket numbers ``kp`` and the scaled difference just after each point)."""
    tp = layout.transform(points)
    nxt = np.empty_like(tp)
    nxt[:-1] = tp[1:]
    ends = np.flatnonzero(np.append(kp[1:] != kp[:-1], True))  # last point per bucket
    starts = np.concatenate(([0], ends[:-1] + 1))
    k_end = kp[ends]
    right = k_end.astype(np.float64)  # right edge t = k (underflow: t = 0)
    overflow = k_end == last
    right[overflow] = tp[ends[overflow]]  # beyond the last value the difference is 0
    nxt[ends] = right
    total = float(np.einsum("i,i->", np.abs(d_points).astype(np.float64), nxt - tp))
    # from the left edge t = k - 1 to the bucket's first value: the difference below it
    k_start = kp[starts]
    inner = k_start > 0  # below the underflow bucket's values both ECDFs are 0
    left_len = tp[starts[inner]] - (k_start[inner] - 1)
    total += float(np.einsum("i,i->", np.abs(diff[k_start[inner]]).astype(np.float64), left_len))
    return total


def finite_values(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``values`` without NaN and infinities (the same array when all are finite)."""
    total = float(np.add.reduce(values)) if values.size else 0.0
    if np.isfinite(total):
        return values
    return values[np.isfinite(values)]
