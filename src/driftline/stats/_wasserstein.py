"""Wasserstein-1 (earth mover's) distance from samples or quantile functions, raw or normalized.

Normalization divides by a scale of the *reference* so that one threshold works across
columns with different units. The default is the reference standard deviation: for a pure
location shift ``delta`` the distance is exactly ``|delta|``, so ``W1 / sd_ref`` equals the
shift in reference-sd units, the same unit as the standardized mean difference that the
drift explanations use ("mean +0.31 sd"). ``scale="iqr"`` is offered for heavy-tailed
columns, where a few extreme values inflate the sd and hide drift in the bulk. A reference
with zero scale gives 0 for a zero distance and ``inf`` otherwise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Options, validate_params
from driftline.exceptions import DataError
from driftline.stats._validation import as_sample, check_nonnegative

__all__ = [
    "normalized_wasserstein",
    "reference_scale",
    "wasserstein_distance",
    "wasserstein_from_quantiles",
    "wasserstein_from_sorted",
]

Scale = Literal["sd", "iqr"]
_SCALES: tuple[Scale, ...] = ("sd", "iqr")


def _w1_sorted(u: NDArray[np.float64], v: NDArray[np.float64]) -> float:
    if u.size == v.size:  # quantile functions share their breakpoints
        return float(np.mean(np.abs(u - v)))
    merged = np.sort(np.concatenate((u, v)), kind="stable")  # merges two sorted runs
    deltas = np.diff(merged)
    at = merged[:-1]
    cdf_u = np.searchsorted(u, at, side="right") / u.size
    cdf_v = np.searchsorted(v, at, side="right") / v.size
    return float(np.sum(np.abs(cdf_u - cdf_v) * deltas))


def wasserstein_distance(ref: ArrayLike, cur: ArrayLike) -> float:
    """Wasserstein-1 distance between two samples (matches ``scipy.stats.wasserstein_distance``).

    >>> wasserstein_distance([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    5.0
    """
    u = np.sort(as_sample("ref", ref))
    v = np.sort(as_sample("cur", cur))
    return _w1_sorted(u, v)


def wasserstein_from_sorted(
    ref_sorted: ArrayLike, cur_sorted: ArrayLike, *, validate: bool = True
) -> float:
    """Wasserstein-1 distance between two samples already sorted ascending (no sort is done).

    Use it with a reference sorted once at fit time. Unsorted input raises;
    ``validate=False`` skips the O(n) checks for callers that built the arrays
    themselves (float64, finite, sorted, non-empty).

    >>> wasserstein_from_sorted([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    5.0
    """
    if not validate:
        return _w1_sorted(
            np.asarray(ref_sorted, dtype=np.float64), np.asarray(cur_sorted, dtype=np.float64)
        )
    u = as_sample("ref_sorted", ref_sorted)
    v = as_sample("cur_sorted", cur_sorted)
    for name, arr in (("ref_sorted", u), ("cur_sorted", v)):
        if arr.size > 1 and bool((arr[1:] < arr[:-1]).any()):
            raise DataError(f"{name!r} must be sorted ascending; use wasserstein_distance.")
    return _w1_sorted(u, v)


@validate_params({"scale": [Options(*_SCALES)]})
def reference_scale(ref: ArrayLike, *, scale: Scale = "sd") -> float:
    """The reference scale used for normalization: sample sd (ddof=1) or interquartile range.

    >>> reference_scale([1.0, 2.0, 3.0, 4.0], scale="iqr")
    1.5
    """
    x = as_sample("ref", ref)
    if scale == "sd":
        return float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 - q1)


def _normalize(distance: float, ref_scale: float) -> float:
    if ref_scale > 0:
        return distance / ref_scale
    return 0.0 if distance == 0 else float("inf")


@validate_params({"scale": [Options(*_SCALES)]})
def normalized_wasserstein(ref: ArrayLike, cur: ArrayLike, *, scale: Scale = "sd") -> float:
    """Wasserstein-1 distance divided by the reference's ``scale`` (see module docs).

    >>> import numpy as np
    >>> ref = np.random.default_rng(0).normal(size=10_000)
    >>> round(normalized_wasserstein(ref, ref + 0.3 * ref.std(ddof=1)), 6)
    0.3
    """
    u = np.sort(as_sample("ref", ref))
    v = np.sort(as_sample("cur", cur))
    return _normalize(_w1_sorted(u, v), reference_scale(u, scale=scale))


def wasserstein_from_quantiles(
    q_ref: ArrayLike,
    q_cur: ArrayLike,
    *,
    probabilities: ArrayLike | None = None,
    ref_scale: float | None = None,
) -> float:
    """Wasserstein-1 distance ``∫ |Q_ref(p) - Q_cur(p)| dp`` from quantile functions.

    ``q_ref`` and ``q_cur`` are quantiles at the same ``probabilities``. Without
    ``probabilities`` they are taken as the mid-point grid ``(i + 0.5) / k`` and the integral
    is their mean absolute difference (exact for two equal-size sorted samples). With
    ``probabilities`` (increasing, in [0, 1]) the integral uses the trapezoid rule over
    that range only. Pass ``ref_scale`` (e.g. the reference sd from a profile) to normalize.

    >>> wasserstein_from_quantiles([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], ref_scale=2.0)
    0.5
    """
    a = as_sample("q_ref", q_ref)
    b = as_sample("q_cur", q_cur)
    if a.shape != b.shape:
        raise DataError(
            f"'q_ref' and 'q_cur' must hold quantiles at the same probabilities; got {a.size} "
            f"and {b.size} values."
        )
    gap = np.abs(a - b)
    if probabilities is None:
        w = float(gap.mean())
    else:
        p = as_sample("probabilities", probabilities)
        if p.shape != a.shape:
            raise DataError(
                f"'probabilities' must have one entry per quantile ({a.size}); got {p.size}."
            )
        if (p < 0).any() or (p > 1).any() or (np.diff(p) <= 0).any():
            raise DataError("'probabilities' must be strictly increasing values in [0, 1].")
        w = float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(p)))
    if ref_scale is None:
        return w
    return _normalize(w, check_nonnegative("wasserstein_from_quantiles", "ref_scale", ref_scale))
