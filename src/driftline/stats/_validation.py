"""Parameter and input validation shared by every statistic (one place, one style of message)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Interval, check
from driftline.exceptions import DataError, InsufficientDataError

__all__ = [
    "NONNEGATIVE",
    "POSITIVE",
    "as_counts",
    "as_float",
    "as_probability_grid",
    "as_sample",
    "check_count_pair",
    "check_nonnegative",
    "check_positive",
]

#: A finite number > 0 / >= 0 (the constraints of sizes, scales and smoothing terms).
POSITIVE: Final = Interval("real", 0, None, closed="neither")
NONNEGATIVE: Final = Interval("real", 0, None)


def check_positive(owner: str, name: str, value: float) -> float:
    """``value`` as a float if it is finite and > 0 (message names ``owner``)."""
    return float(check(owner, name, value, POSITIVE))


def check_nonnegative(owner: str, name: str, value: float) -> float:
    """``value`` as a float if it is finite and >= 0 (message names ``owner``)."""
    return float(check(owner, name, value, NONNEGATIVE))


def _as_1d_float(name: str, values: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{name!r} must be a 1-D array of numbers; it could not be converted to float64 "
            f"({exc})."
        ) from exc
    if arr.ndim != 1:
        raise DataError(f"{name!r} must be 1-D. Got an array of shape {arr.shape}.")
    return arr


def as_sample(name: str, values: ArrayLike, *, min_size: int = 1) -> NDArray[np.float64]:
    """A 1-D float64 sample with only finite values and at least ``min_size`` of them.

    Missing values are the caller's business (drop them before): a NaN here raises.
    """
    arr = _as_1d_float(name, values)
    if arr.size < min_size:
        raise InsufficientDataError(f"{name!r} needs at least {min_size} value(s); got {arr.size}.")
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise DataError(
            f"{name!r} contains {bad} NaN or infinite value(s); drop missing values first."
        )
    return arr


def as_counts(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """A 1-D float64 vector of finite, non-negative counts (or weights/probabilities)."""
    arr = _as_1d_float(name, values)
    if arr.size == 0:
        raise InsufficientDataError(f"{name!r} must contain at least one bin; got none.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise DataError(f"{name!r} must contain only finite values >= 0.")
    if arr.sum() <= 0:
        raise InsufficientDataError(f"{name!r} sums to 0: there is nothing to compare.")
    return arr


def check_count_pair(
    ref_name: str, ref: ArrayLike, cur_name: str, cur: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate two count vectors over the same bins."""
    r = as_counts(ref_name, ref)
    c = as_counts(cur_name, cur)
    if r.shape != c.shape:
        raise DataError(
            f"{ref_name!r} and {cur_name!r} must have the same number of bins; "
            f"got {r.size} and {c.size}."
        )
    return r, c


def as_probability_grid(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """A non-decreasing vector of CDF values in [0, 1]."""
    arr = _as_1d_float(name, values)
    if arr.size == 0:
        raise InsufficientDataError(f"{name!r} must contain at least one grid point.")
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1).any():
        raise DataError(f"{name!r} must contain CDF values in [0, 1].")
    if (np.diff(arr) < -1e-12).any():
        raise DataError(f"{name!r} must be non-decreasing (a CDF evaluated on a sorted grid).")
    return arr


def as_float(owner: str, name: str, value: Any) -> float:
    """A finite float, or a :class:`ParameterError` naming ``owner`` and ``name``."""
    return float(check(owner, name, value, Interval("real", None, None)))
