"""Tie-aware p-values of the two-sample Kolmogorov–Smirnov statistic.

With ties (discrete or rounded data) the ECDF difference can only change where the pooled
sorted sample changes value, so the statistic is the maximum over those *block boundaries*
alone. The classical null distribution assumes a boundary after every observation and is
therefore conservative: on discrete columns its real size at nominal 0.05 is a fraction of
that, which costs power. The exact null distribution **conditional on the pooled values**
(the permutation distribution: which of the pooled observations are "reference" is a
uniformly random subset of size ``n_ref``) is what Schröer & Trenkler (1995) compute and
R's ``psmirnov(..., obs=)`` implements since R 4.1.

Exact (``ks_ties_exact_pvalue``): Hodges' lattice of monotone paths from ``(0, 0)`` to
``(n_ref, n_cur)``, with the band ``|x/n_ref - y/n_cur| < D`` checked only on the
anti-diagonals that end a block. Between two checked anti-diagonals ``b`` observations
apart, the number of reference steps of a uniformly random path follows a hypergeometric
law, so the recursion on "fraction of paths already outside" (Viehmann 2021, as in
:mod:`driftline.stats._ks_pvalue`) jumps from block to block with a hypergeometric kernel
instead of walking every step. It keeps full relative precision for tiny p-values and
equals the tie-free exact p-value when every block has size 1.

Monte Carlo (``ks_ties_mc_pvalue``): for large samples with few distinct values, the
number of current observations in each block of a random permutation is multivariate
hypergeometric (drawn block by block); ``B`` seeded draws give the valid permutation p-value
``(1 + #{D* >= D}) / (B + 1)``. The conditional distribution is stochastically smaller than
the continuous one (each permutation's maximum runs over a subset of the positions), so
the continuous p-value is an upper bound: when it is already below ``MC_SWITCH`` it is
returned as is, which keeps the Monte Carlo resolution away from the small p-values that
false-discovery-rate control needs.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import special as _special

__all__ = [
    "EXACT_SWITCH",
    "MC_DRAWS",
    "MC_MAX_BLOCKS",
    "MC_SWITCH",
    "ks_ties_exact_pvalue",
    "ks_ties_mc_pvalue",
    "tie_blocks",
]

#: Monte Carlo draws of the permutation distribution (resolution ``1 / (B + 1)``; R's
#: ``ks.test(simulate.p.value = TRUE)`` uses 2,000).
MC_DRAWS: Final = 1_999
#: Above this many distinct pooled values the Monte Carlo p-value is not computed (the
#: continuous one, slightly conservative, is used): ties matter most with few values.
MC_MAX_BLOCKS: Final = 100
#: Continuous p-values at or below this are returned as the (valid) upper bound they are,
#: instead of a Monte Carlo estimate (large samples) ...
MC_SWITCH: Final = 1e-3
#: ... or of the exact conditional p-value (small samples; cheaper, and no decision at a
#: usable level depends on the difference).
EXACT_SWITCH: Final = 1e-10
_SDS: Final = 40.0  # hypergeometric kernel truncated at 40 sd (mass outside < 1e-300)


def tie_blocks(
    ref_sorted: NDArray[np.float64], cur_sorted: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Sizes of the runs of equal values in the pooled sorted sample, in value order."""
    pooled = np.concatenate((ref_sorted, cur_sorted))
    pooled.sort(kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], pooled[1:] != pooled[:-1])))
    return np.diff(np.append(starts, pooled.size)).astype(np.int64)


def _log_choose_table(n: int) -> NDArray[np.float64]:
    return np.asarray(_special.gammaln(np.arange(n + 2, dtype=np.float64)), dtype=np.float64)


def _inside(m: int, n: int, hg: int, s: int) -> tuple[int, int]:
    """Range of x (reference steps) on anti-diagonal s strictly inside the band."""
    total = m + n
    lo = max(max(0, s - n), (m * s - hg) // total + 1)
    hi = min(min(m, s), -((-(m * s + hg)) // total) - 1)
    return lo, hi


def ks_ties_exact_pvalue(d: float, n_ref: int, n_cur: int, blocks: NDArray[np.int64]) -> float:
    """Exact p-value ``P(D* >= d)`` under random permutation of the pooled sample.

    ``blocks`` are the sizes of the runs of equal pooled values (sum ``n_ref + n_cur``).
    """
    m, n = int(n_ref), int(n_cur)
    g = math.gcd(m, n)
    lcm = (m // g) * n
    h = round(d * lcm)
    if h == 0:
        return 1.0
    hg = h * g
    lg = _log_choose_table(m + n)
    ends = np.cumsum(blocks)
    prev = np.zeros(1, dtype=np.float64)  # A on anti-diagonal 0: the origin, inside
    prev_lo, s0 = 0, 0
    for s1 in ends.tolist():
        b = s1 - s0
        checked = s1 < m + n
        if checked:
            lo, hi = _inside(m, n, hg, s1)
            if hi < lo:
                return 1.0
        else:
            lo = hi = m  # the end point (m, n)
        xs = np.arange(lo, hi + 1)
        prev = _jump(prev, prev_lo, xs, s1, b, lg)
        prev_lo, s0 = lo, s1
    return float(np.clip(prev[0], 0.0, 1.0))


def _jump(
    prev: NDArray[np.float64],
    prev_lo: int,
    xs: NDArray[np.int64],
    s1: int,
    b: int,
    lg: NDArray[np.float64],
) -> NDArray[np.float64]:
    """A on anti-diagonal ``s1`` (cells ``xs``) from A on anti-diagonal ``s1 - b``."""
    width = prev.size
    if b == 1:  # one step back: to (x - 1, y) with probability x / s1, else to (x, y - 1)
        padded = np.ones(width + 2, dtype=np.float64)
        padded[1:-1] = prev
        left = padded[np.clip(xs - 1 - prev_lo + 1, 0, width + 1)]
        right = padded[np.clip(xs - prev_lo + 1, 0, width + 1)]
        xf = xs.astype(np.float64)
        return np.asarray((xf * left + (s1 - xf) * right) / s1, dtype=np.float64)
    # k = reference steps among the last b: hypergeometric(s1, x, b); x0 = x - k
    sd = math.sqrt(b / 4.0)
    mean_k = xs.astype(np.float64) * b / s1
    k_lo = np.maximum(np.floor(mean_k - _SDS * sd - 1), 0).astype(np.int64)
    k_hi = np.minimum(np.ceil(mean_k + _SDS * sd + 1), b).astype(np.int64)
    span = int((k_hi - k_lo).max()) + 1
    out = np.zeros(xs.size, dtype=np.float64)
    lc_total = lg[s1 + 1] - lg[b + 1] - lg[s1 - b + 1]
    rows = max(1, 2_000_000 // max(span, 1))
    for start in range(0, xs.size, rows):
        x = xs[start : start + rows, None]
        k = k_lo[start : start + rows, None] + np.arange(span)[None, :]
        y = s1 - x
        valid = (k <= b) & (k <= x) & (b - k <= y) & (k >= 0)
        kk = np.where(valid, k, 0)
        log_pmf = (
            lg[x + 1]
            - lg[kk + 1]
            - lg[np.maximum(x - kk, 0) + 1]
            + lg[y + 1]
            - lg[np.maximum(b - kk, 0) + 1]
            - lg[np.maximum(y - b + kk, 0) + 1]
            - lc_total
        )
        pmf = np.where(valid, np.exp(log_pmf), 0.0)
        idx = x - kk - prev_lo
        inside = valid & (idx >= 0) & (idx < width)
        a0 = np.where(inside, prev[np.clip(idx, 0, width - 1)], 1.0)
        # mass of k outside the truncated window is < 1e-300 and counts as outside
        out[start : start + rows] = np.minimum((pmf * a0).sum(axis=1), 1.0)
    return out


def ks_ties_mc_pvalue(
    d: float,
    n_ref: int,
    n_cur: int,
    blocks: NDArray[np.int64],
    *,
    draws: int = MC_DRAWS,
    seed: int = 0,
) -> float:
    """Monte Carlo permutation p-value ``(1 + #{D* >= d}) / (draws + 1)`` (seeded).

    The current sample's count in each block, given the blocks before it, is
    hypergeometric; all draws advance one block at a time (one vectorized draw per block).
    """
    m, n = int(n_ref), int(n_cur)
    rng = np.random.default_rng(seed)
    # D* >= d in integer units: |n x - m c| >= d m n (tolerance for the rounding of d)
    target = d * m * n - 1e-7 * max(m, n)
    left_cur = np.full(draws, n, dtype=np.int64)
    left_all = m + n
    cum_cur = np.zeros(draws, dtype=np.int64)
    cum_all = 0
    stat = np.zeros(draws, dtype=np.int64)
    for b in blocks[:-1].tolist():
        taken = rng.hypergeometric(left_cur, left_all - left_cur, b)
        cum_cur += taken
        left_cur -= taken
        left_all -= b
        cum_all += b
        np.maximum(stat, np.abs(n * (cum_all - cum_cur) - m * cum_cur), out=stat)
    hits = int(np.count_nonzero(stat >= target))
    return (1 + hits) / (draws + 1)
