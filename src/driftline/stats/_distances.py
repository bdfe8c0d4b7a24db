"""Distances between two count (or probability) vectors over the same bins.

Counts are normalized to proportions first, so counts and probabilities give the same
value. Jensen–Shannon, Hellinger and total variation are finite with empty bins and are
computed exactly. PSI is a symmetrized Kullback–Leibler divergence and is infinite when a
bin is empty on one side only, so it smooths (see :func:`psi`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import validate_params
from driftline.stats._validation import NONNEGATIVE, check_count_pair

__all__ = [
    "PSI_EPSILON",
    "hellinger_distance",
    "jensen_shannon_distance",
    "jensen_shannon_divergence",
    "psi",
    "total_variation_distance",
]

#: Default additive smoothing of proportions in :func:`psi`.
PSI_EPSILON = 1e-4


def _proportions(ref: ArrayLike, cur: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r, c = check_count_pair("ref", ref, "cur", cur)
    return r / r.sum(), c / c.sum()


@validate_params({"epsilon": [NONNEGATIVE]})
def psi(ref: ArrayLike, cur: ArrayLike, *, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum (q - p) ln(q / p)`` (p: reference, q: current).

    Smoothing: both proportion vectors become ``(p + epsilon) / (1 + k * epsilon)`` over
    ``k`` bins, always (not only when a bin is empty), so PSI is continuous in the counts,
    stays finite, is still 0 for identical inputs and symmetric. With the default
    ``epsilon = 1e-4`` an empty bin caps its log-ratio near ``ln(q / 1e-4)``; the change
    to non-empty bins is at most ~``k * 1e-4`` relative. ``epsilon=0`` gives the raw
    formula (``inf`` if a bin is empty on one side only).

    >>> round(psi([50, 30, 20], [40, 30, 30]), 6)
    0.06282
    """
    eps = float(epsilon)
    p, q = _proportions(ref, cur)
    if eps > 0:
        p = (p + eps) / (1.0 + p.size * eps)
        q = (q + eps) / (1.0 + q.size * eps)
    diff = q - p
    nonzero = diff != 0
    with np.errstate(divide="ignore"):
        terms = diff[nonzero] * (np.log(q[nonzero]) - np.log(p[nonzero]))
    return float(max(terms.sum(), 0.0))


def _xlogx_ratio(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    # sum a * log2(a / b) with 0 log 0 = 0 (b > 0 wherever a > 0 here)
    pos = a > 0
    return float(np.sum(a[pos] * np.log2(a[pos] / b[pos])))


def jensen_shannon_divergence(ref: ArrayLike, cur: ArrayLike) -> float:
    """Jensen–Shannon divergence in bits (log base 2), bounded to [0, 1].

    This is the *divergence*; ``scipy.spatial.distance.jensenshannon(p, q, base=2)``
    returns its square root, which :func:`jensen_shannon_distance` gives.

    >>> jensen_shannon_divergence([1, 0], [0, 1])
    1.0
    """
    p, q = _proportions(ref, cur)
    m = 0.5 * (p + q)
    js = 0.5 * _xlogx_ratio(p, m) + 0.5 * _xlogx_ratio(q, m)
    return float(min(max(js, 0.0), 1.0))


def jensen_shannon_distance(ref: ArrayLike, cur: ArrayLike) -> float:
    """Jensen–Shannon distance, ``sqrt`` of the base-2 divergence (a metric in [0, 1]).

    Equals ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.

    >>> round(jensen_shannon_distance([1, 1], [1, 3]), 6)
    0.220896
    """
    return float(np.sqrt(jensen_shannon_divergence(ref, cur)))


def hellinger_distance(ref: ArrayLike, cur: ArrayLike) -> float:
    """Hellinger distance ``||sqrt(p) - sqrt(q)||_2 / sqrt(2)``, in [0, 1].

    >>> hellinger_distance([1, 0], [0, 1])
    1.0
    """
    p, q = _proportions(ref, cur)
    h = float(np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / np.sqrt(2.0))
    return min(h, 1.0)


def total_variation_distance(ref: ArrayLike, cur: ArrayLike) -> float:
    """Total variation distance ``0.5 * sum |p - q|``, in [0, 1].

    >>> round(total_variation_distance([50, 50], [30, 70]), 12)
    0.2
    """
    p, q = _proportions(ref, cur)
    return float(min(0.5 * np.abs(p - q).sum(), 1.0))
