"""k-sample Anderson–Darling test (Scholz & Stephens 1987), matching ``scipy.stats.anderson_ksamp``.

The statistic is the midrank version ``A2akN`` (eq. 7), which allows ties, standardized
as scipy reports it: ``(A2akN - (k - 1)) / sigma``. Its p-value comes from Scholz &
Stephens' table of critical values for significance levels 0.25 … 0.001, interpolated by a
quadratic in ``log(p)``. Outside the table the interpolation is not trustworthy, so the
p-value is clipped to ``[0.001, 0.25]`` exactly like scipy (without scipy's warning): a
reported 0.25 means "p >= 0.25", a reported 0.001 means "p <= 0.001". The result's
``p_value_bounds`` says so, so callers can tell a clipped value from an interpolated one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline.exceptions import InsufficientDataError
from driftline.stats._result import TestResult
from driftline.stats._validation import as_sample

__all__ = ["AD_P_VALUE_BOUNDS", "anderson_ksamp"]

#: The range the interpolated Anderson–Darling p-value is clipped to.
AD_P_VALUE_BOUNDS = (0.001, 0.25)

_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
_SIG = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])


def _a2akn(sorted_samples: list[NDArray[np.float64]], pooled: NDArray[np.float64]) -> float:
    n_total = pooled.size
    distinct = pooled[np.flatnonzero(np.append(pooled[1:] != pooled[:-1], True))]
    left = np.searchsorted(pooled, distinct, side="left")
    lj = np.searchsorted(pooled, distinct, side="right") - left
    bj = left + lj / 2.0
    denom = bj * (n_total - bj) - n_total * lj / 4.0
    total = 0.0
    for s in sorted_samples:
        right = np.searchsorted(s, distinct, side="right")
        fij = right - np.searchsorted(s, distinct, side="left")
        mij = right - fij / 2.0
        inner = lj / n_total * (n_total * mij - bj * s.size) ** 2 / denom
        total += float(inner.sum()) / s.size
    return total * (n_total - 1.0) / n_total


def _sigma_squared(sizes: NDArray[np.float64], n_total: int) -> float:
    k = sizes.size
    big_h = float((1.0 / sizes).sum())
    hs_cs = np.cumsum(1.0 / np.arange(n_total - 1, 1, -1))
    h = float(hs_cs[-1]) + 1.0
    g = float((hs_cs / np.arange(2, n_total)).sum())
    n = float(n_total)
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * big_h
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * big_h - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * big_h + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    return (a * n**3 + b * n**2 + c * n + d) / ((n - 1.0) * (n - 2.0) * (n - 3.0))


def anderson_ksamp(samples: Sequence[ArrayLike]) -> TestResult:
    """Anderson–Darling test that k >= 2 samples come from one distribution.

    Pass ``[reference, current]`` for the two-sample case. ``statistic`` is scipy's
    standardized value; ``p_value`` is interpolated and clipped to ``[0.001, 0.25]``
    (see ``p_value_bounds``). ``n_ref``/``n_cur`` are the sizes of the first two samples.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = anderson_ksamp([rng.normal(size=300), rng.normal(1.0, size=300)])
    >>> r.p_value, r.p_value_bounds
    (0.001, (0.001, 0.25))
    """
    arrays = [np.sort(as_sample(f"samples[{i}]", s)) for i, s in enumerate(samples)]
    k = len(arrays)
    if k < 2:
        raise InsufficientDataError(f"'samples' needs at least 2 samples; got {k}.")
    pooled = np.sort(np.concatenate(arrays))
    n_total = pooled.size
    if n_total < 4 or pooled[0] == pooled[-1]:
        raise InsufficientDataError(
            "anderson_ksamp needs at least 4 values in total and not all of them equal."
        )
    sizes = np.array([a.size for a in arrays], dtype=np.float64)
    a2akn = _a2akn(arrays, pooled)
    m = k - 1
    a2 = (a2akn - m) / math.sqrt(_sigma_squared(sizes, n_total))
    critical = _B0 + _B1 / math.sqrt(m) + _B2 / m
    if a2 < critical.min():
        p = float(_SIG.max())
    elif a2 > critical.max():
        p = float(_SIG.min())
    else:
        coef = np.polyfit(critical, np.log(_SIG), 2)
        p = math.exp(float(np.polyval(coef, a2)))
    return TestResult(
        statistic=float(a2),
        p_value=p,
        method="anderson_darling",
        n_ref=float(sizes[0]),
        n_cur=float(sizes[1]),
        p_value_bounds=AD_P_VALUE_BOUNDS,
    )
