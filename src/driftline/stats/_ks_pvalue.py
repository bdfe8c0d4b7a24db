"""p-values of the two-sided two-sample Kolmogorov–Smirnov statistic.

Exact: the fraction of monotone lattice paths from (0, 0) to (n1, n2) that leave the band
``|x/n1 - y/n2| < D`` (Hodges 1958), computed with Viehmann's (2021) recursion, which
works on "fraction of paths already outside" and so keeps full relative precision for small
p-values. The recursion is run one anti-diagonal at a time: every cell of an anti-diagonal
depends only on the previous one, so each step is one vectorized numpy expression over the
band (``O((n1 + n2) * band)`` work, ``O(band)`` memory). Equal sample sizes use the closed
form of Gnedenko–Korolyuk, as scipy does.

Asymptotic: scipy's choice, the one-sample distribution ``kstwo(D, round(n_eff))`` with
``n_eff = n1 n2 / (n1 + n2)``; this also serves effective (non-integer) sample sizes.
scipy's ``kstwo.sf`` is slow for large ``n_eff`` and small p-values (~30 ms per call at
``n_eff = 10,000``, ~0.2 s at 50,000 and 1.6-3.7 s at 500,000-1,000,000 for p <= 0.01 on
the benchmark machine), so above ``KSTWO_MAX_N = 10,000`` driftline uses Kolmogorov's limit
with the first-order finite-n correction, ``K(sqrt(n) D + 1 / (6 sqrt(n)))``
(``scipy.special.kolmogorov``). Its relative difference from ``kstwo`` at the switch point
is below 1e-3 for p >= 1e-4 and below 3e-2 for p >= 1e-20, shrinking like ``1/sqrt(n)``
above it (checked in ``tests/stats/test_ks.py``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import special as _special
from scipy import stats as _sps

__all__ = [
    "AUTO_EXACT_MAX_N",
    "KSTWO_MAX_N",
    "ks_asymp_pvalue",
    "ks_exact_pvalue",
    "resolve_ks_method",
]

#: ``method="auto"`` is exact when both sample sizes are at most this (scipy's rule).
AUTO_EXACT_MAX_N = 10_000

#: Above this effective size the asymptotic p-value uses the corrected Kolmogorov limit.
KSTWO_MAX_N = 10_000

_INT32_MAX = np.iinfo(np.int32).max


def resolve_ks_method(
    method: Literal["auto", "exact", "asymp"], n_ref: float, n_cur: float
) -> Literal["exact", "asymp"]:
    """Which p-value computation ``method`` means for these sample sizes."""
    integral = float(n_ref).is_integer() and float(n_cur).is_integer()
    if not integral:
        return "asymp"
    n1, n2 = int(n_ref), int(n_cur)
    if method == "auto":
        return "exact" if max(n1, n2) <= AUTO_EXACT_MAX_N else "asymp"
    if method == "exact":
        g = math.gcd(n1, n2)
        if (n1 // g) >= _INT32_MAX / (n2 // g):
            return "asymp"  # lcm too large for the lattice (scipy switches too)
        return "exact"
    return "asymp"


def ks_asymp_pvalue(d: float, n_ref: float, n_cur: float) -> float:
    """Two-sided p-value at the effective sample size ``n1 n2 / (n1 + n2)`` (module docs)."""
    en = n_ref * n_cur / (n_ref + n_cur)
    n_eff = max(1, round(en))
    if n_eff <= KSTWO_MAX_N:
        p = float(_sps.kstwo.sf(d, n_eff))
    else:
        root = math.sqrt(n_eff)
        p = float(_special.kolmogorov(root * d + 1.0 / (6.0 * root)))
    return float(np.clip(p, 0.0, 1.0))


def _prob_outside_square(n: int, h: int) -> float:
    # Gnedenko–Korolyuk for n1 == n2 == n, D = h / n:
    # P = 2 * A0 * (1 - A1 * (1 - A2 * (...))), Horner-like to avoid cancellation.
    k_max = n // h
    ks = np.arange(k_max + 1, dtype=np.float64)[:, None]
    js = np.arange(h, dtype=np.float64)[None, :]
    # prod_j (n - k h - j) / (n + k h + j + 1) for every k at once, in logs; a factor <= 0
    # means the product hit zero (k_max * h <= n keeps this matrix at most 2n entries).
    num = n - ks * h - js
    hit_zero = (num <= 0).any(axis=1)
    logs = np.log(np.where(num > 0, num, 1.0)) - np.log(n + ks * h + js + 1.0)
    terms = np.where(hit_zero, 0.0, np.exp(logs.sum(axis=1)))
    p = 0.0
    for a in terms[::-1]:
        p = float(a) * (1.0 - p)
    return 2.0 * p


def _prob_outside_band(m: int, n: int, g: int, h: int) -> float:
    # Fraction of lattice paths (0,0)->(m,n) that touch |n x - m y| >= h g.
    # A(x, y) = 1 outside the band, A(0, 0) = 0, and inside
    #   A(x, y) = (x A(x-1, y) + y A(x, y-1)) / (x + y).
    # Cells of anti-diagonal s = x + y depend only on anti-diagonal s - 1.
    total = m + n
    hg = h * g
    prev = np.zeros(1, dtype=np.float64)  # s = 0: the single cell (0, 0), inside
    prev_lo = 0
    padded = np.ones(min(m, n) + 4, dtype=np.float64)
    for s in range(1, total + 1):
        valid_lo = max(0, s - n)
        valid_hi = min(m, s)
        # inside iff |(m + n) x - m s| < h g
        lo = max(valid_lo, (m * s - hg) // total + 1)
        hi = min(valid_hi, -((-(m * s + hg)) // total) - 1)
        if hi < lo:
            return 1.0
        width = prev.size
        padded[0] = 1.0
        padded[1 : width + 1] = prev
        padded[width + 1] = 1.0
        offset = lo - prev_lo  # index of x - 1 in `padded` is (x - prev_lo)
        left = padded[offset : offset + hi - lo + 1]  # A(x - 1, y)
        right = padded[offset + 1 : offset + hi - lo + 2]  # A(x, y - 1)
        xs = np.arange(lo, hi + 1, dtype=np.float64)
        prev = (xs * left + (s - xs) * right) / s
        prev_lo = lo
    # the last anti-diagonal holds the single cell (m, n)
    return float(prev[0])


def ks_exact_pvalue(d: float, n_ref: int, n_cur: int) -> tuple[float, float]:
    """Exact two-sided p-value and the statistic rounded to the lattice ``h / lcm(n1, n2)``."""
    n1, n2 = int(n_ref), int(n_cur)
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    h = round(d * lcm)
    d_lattice = h / lcm
    if h == 0:
        return 1.0, d_lattice
    p = _prob_outside_square(n1, h) if n1 == n2 else _prob_outside_band(n1, n2, g, h)
    return float(np.clip(p, 0.0, 1.0)), d_lattice
