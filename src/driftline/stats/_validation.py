"""Parameter and input validation shared by every statistic (one place, one style of message)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline.exceptions import DataError, InsufficientDataError, ParameterError

__all__ = [
    "as_counts",
    "as_float",
    "as_probability_grid",
    "as_sample",
    "check_choice",
    "check_count_pair",
    "check_nonnegative",
    "check_positive",
]

_T = TypeVar("_T")


def check_choice(name: str, value: _T, allowed: Collection[_T]) -> _T:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ParameterError`."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ParameterError(
            f"The {name!r} parameter must be one of {{{choices}}}. Got {value!r} instead."
        )
    return value


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ParameterError(
            f"The {name!r} parameter must be a finite number > 0. Got {value!r} instead."
        )
    return v


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ParameterError(
            f"The {name!r} parameter must be a finite number >= 0. Got {value!r} instead."
        )
    return v


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


def as_float(name: str, value: Any) -> float:
    """A finite float, or a :class:`ParameterError` naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"The {name!r} parameter must be a number. Got {value!r}.") from exc
    if not np.isfinite(v):
        raise ParameterError(f"The {name!r} parameter must be finite. Got {value!r}.")
    return v
