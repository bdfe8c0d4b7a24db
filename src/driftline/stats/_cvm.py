"""Two-sample Cramér–von Mises test (Anderson 1962), matching ``scipy.stats.cramervonmises_2samp``."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from driftline._params import Options, validate_params
from driftline.exceptions import ParameterError
from driftline.stats._result import TestResult
from driftline.stats._validation import as_sample

__all__ = ["cramervonmises_2samp"]

CvMMethod = Literal["auto", "exact", "asymptotic"]
_METHODS: tuple[CvMMethod, ...] = ("auto", "exact", "asymptotic")

#: ``method="auto"`` is exact when both sample sizes are at most this (scipy's rule).
_AUTO_EXACT_MAX_N = 20

#: ``method="exact"`` is refused above this ``n_ref * n_cur``: the enumeration already
#: takes seconds at 20 x 19 and grows steeply (scipy has no guard and simply hangs).
EXACT_MAX_PRODUCT = 1_000


def _midranks_sorted(own: NDArray[np.float64], other: NDArray[np.float64]) -> NDArray[np.float64]:
    """Average ranks, in the pooled sample, of the sorted values ``own``."""
    below = np.searchsorted(own, own, side="left") + np.searchsorted(other, own, side="left")
    upto = np.searchsorted(own, own, side="right") + np.searchsorted(other, own, side="right")
    return np.asarray((below + upto + 1) / 2.0, dtype=np.float64)


def _cdf_cvm_inf(x: float) -> float:
    # Limiting CDF of the one-sample CvM statistic (Csörgő & Faraway 1996, eq. 1.2-1.3),
    # summed until terms drop below 1e-7, as scipy does.
    total = 0.0
    k = 0
    while True:
        u = math.exp(special.gammaln(k + 0.5) - special.gammaln(k + 1.0)) / (
            math.pi**1.5 * math.sqrt(x)
        )
        y = 4 * k + 1
        q = y**2 / (16 * x)
        z = u * math.sqrt(y) * math.exp(-q) * float(special.kv(0.25, q))
        total += z
        k += 1
        if abs(z) < 1e-7:
            return float(total)


def _pvalue_asymptotic(t: float, nx: int, ny: int) -> float:
    n = nx + ny
    k = nx * ny
    et = (1 + 1 / n) / 6
    vt = (n + 1) * (4 * k * n - 3 * (nx**2 + ny**2) - 2 * k) / (45 * n**2 * 4 * k)
    tn = 1 / 6 + (t - et) / math.sqrt(45 * vt)
    if tn < 0.003:  # the limiting CDF is below 1.3e-18 there
        return 1.0
    return max(1.0 - _cdf_cvm_inf(tn), 0.0)


def _pvalue_exact(u: float, m: int, n: int) -> float:
    # Xiao, Gordon & Yakovlev (2006): distribution of U over all C(m+n, m) lattice paths.
    # cells[v] holds (values, frequencies) of the partial sums at lattice point (u_idx, v).
    lcm = math.lcm(m, n)
    a = lcm // m
    b = lcm // n
    mn = m * n
    zeta = lcm**2 * (m + n) * (6 * round(u) - mn * (4 * mn - 1)) // (6 * mn**2)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    cells = [(np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64))] + [empty] * m
    for ui in range(n + 1):
        new_cells = []
        left = empty
        for v, up in enumerate(cells):
            values = np.concatenate((left[0], up[0]))
            freqs = np.concatenate((left[1], up[1]))
            uniq, inverse = np.unique(values, return_inverse=True)
            summed = np.bincount(inverse, weights=freqs, minlength=uniq.size)
            left = (uniq + (a * v - b * ui) ** 2, np.rint(summed).astype(np.int64))
            new_cells.append(left)
        cells = new_cells
    values, freqs = cells[m]
    return float(freqs[values >= zeta].sum() / math.comb(m + n, m))


@validate_params({"method": [Options(*_METHODS)]})
def cramervonmises_2samp(
    ref: ArrayLike, cur: ArrayLike, *, method: CvMMethod = "auto"
) -> TestResult:
    """Two-sample Cramér–von Mises test; the statistic is Anderson's ``T`` (midranks for ties).

    ``method="exact"`` enumerates the permutation distribution (small samples only: it
    takes seconds at 20 x 19 and is refused above ``n_ref * n_cur = 1000``); ``"asymptotic"`` uses the limiting distribution after
    standardizing ``T``; ``"auto"`` is exact when both sizes are <= 20, as in scipy.
    Both samples need at least two values.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = cramervonmises_2samp(rng.normal(size=200), rng.normal(size=300))
    >>> r.method, 0.0 <= r.p_value <= 1.0
    ('cvm_asymptotic', True)
    """
    x = np.sort(as_sample("ref", ref, min_size=2))
    y = np.sort(as_sample("cur", cur, min_size=2))
    nx, ny = x.size, y.size
    rx = _midranks_sorted(x, y)
    ry = _midranks_sorted(y, x)
    u = nx * float(np.sum((rx - np.arange(1, nx + 1)) ** 2)) + ny * float(
        np.sum((ry - np.arange(1, ny + 1)) ** 2)
    )
    k, n = nx * ny, nx + ny
    t = u / (k * n) - (4 * k - 1) / (6 * n)
    if method == "exact" and nx * ny > EXACT_MAX_PRODUCT:
        raise ParameterError(
            f"The 'method' parameter 'exact' is only available when n_ref * n_cur <= "
            f"{EXACT_MAX_PRODUCT}; got {nx} x {ny}. Use method='asymptotic' (or 'auto')."
        )
    resolved = method
    if method == "auto":
        resolved = "exact" if max(nx, ny) <= _AUTO_EXACT_MAX_N else "asymptotic"
    p = _pvalue_exact(u, nx, ny) if resolved == "exact" else _pvalue_asymptotic(t, nx, ny)
    return TestResult(statistic=t, p_value=p, method=f"cvm_{resolved}", n_ref=nx, n_cur=ny)
