"""Multiple-testing corrections: adjusted p-values for a family of tests (e.g. one per column).

A hypothesis is rejected at level ``alpha`` when its *adjusted* p-value is <= ``alpha``.
Benjamini–Hochberg controls the false discovery rate (for independent or positively
dependent tests); Bonferroni and Holm control the family-wise error rate, Holm being
uniformly more powerful than Bonferroni.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Interval, Options, validate_params
from driftline.exceptions import DataError

__all__ = ["adjust_p_values", "benjamini_hochberg", "bonferroni", "holm", "reject"]

Correction = Literal["fdr_bh", "bonferroni", "holm", "none"]
_CORRECTIONS: tuple[Correction, ...] = ("fdr_bh", "bonferroni", "holm", "none")


def _as_p_values(p_values: ArrayLike) -> NDArray[np.float64]:
    try:
        p = np.asarray(p_values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"'p_values' must be numbers in [0, 1] ({exc}).") from exc
    if p.ndim != 1:
        raise DataError(f"'p_values' must be 1-D. Got shape {p.shape}.")
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise DataError("'p_values' must be finite numbers in [0, 1] (no NaN).")
    return p


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg step-up adjusted p-values (as ``false_discovery_control(p)``).

    ``adj_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the sorted p-values.

    >>> benjamini_hochberg([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.04, 0.04]
    """
    p = _as_p_values(p_values)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(adjusted_sorted, 1.0)
    return out


def bonferroni(p_values: ArrayLike) -> NDArray[np.float64]:
    """Bonferroni adjusted p-values ``min(1, m p)``.

    >>> bonferroni([0.01, 0.04, 0.5]).tolist()
    [0.03, 0.12, 1.0]
    """
    p = _as_p_values(p_values)
    return np.minimum(p * p.size, 1.0)


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm step-down adjusted p-values ``max_{j <= i} min(1, (m - j + 1) p_(j))``.

    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = _as_p_values(p_values)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(p[order] * (m - np.arange(m)), 1.0)
    out = np.empty(m, dtype=np.float64)
    out[order] = np.maximum.accumulate(scaled)
    return out


@validate_params({"method": [Options(*_CORRECTIONS)]})
def adjust_p_values(p_values: ArrayLike, *, method: Correction = "fdr_bh") -> NDArray[np.float64]:
    """Adjusted p-values by ``method``: ``"fdr_bh"``, ``"bonferroni"``, ``"holm"`` or ``"none"``.

    >>> adjust_p_values([0.01, 0.02], method="bonferroni").tolist()
    [0.02, 0.04]
    """
    if method == "fdr_bh":
        return benjamini_hochberg(p_values)
    if method == "bonferroni":
        return bonferroni(p_values)
    if method == "holm":
        return holm(p_values)
    return _as_p_values(p_values).copy()


@validate_params(
    {"alpha": [Interval("real", 0, 1, closed="neither")], "method": [Options(*_CORRECTIONS)]}
)
def reject(
    p_values: ArrayLike, *, alpha: float = 0.05, method: Correction = "fdr_bh"
) -> NDArray[np.bool_]:
    """Which hypotheses are rejected at level ``alpha`` after correction by ``method``.

    >>> reject([0.001, 0.2, 0.03], alpha=0.05).tolist()
    [True, False, True]
    """
    return np.asarray(adjust_p_values(p_values, method=method) <= alpha, dtype=np.bool_)
