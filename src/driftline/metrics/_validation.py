"""Input and parameter validation for driftline.metrics, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from driftline._params import Constraint, InstanceOf, Interval, Options, check
from driftline.exceptions import DataError, InsufficientDataError, ParameterError

RandomState: TypeAlias = int | np.random.Generator | None
FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]

PROB_ATOL = 1e-6


#: The constraints of the options every metric with an interval shares.
CONFIDENCE: Final = Interval("real", 0, 1, closed="neither")
RANDOM_STATE: Final[tuple[Constraint, ...]] = (
    Interval("int", 0, None),
    InstanceOf((np.random.Generator,), "a numpy Generator"),
    None,
)


def resampling(ci: Sequence[str] | None = None) -> dict[str, list[Constraint]]:
    """Constraints of ``confidence``, ``n_resamples``, ``random_state`` (and ``ci``, given
    its allowed methods) for a metric function's :func:`~driftline._params.validate_params`."""
    table: dict[str, list[Constraint]] = {
        "confidence": [CONFIDENCE],
        "n_resamples": [Interval("int", 2, None)],
        "random_state": list(RANDOM_STATE),
    }
    if ci is not None:
        table["ci"] = [Options(*ci)]
    return table


def check_confidence(confidence: float, owner: object = None) -> float:
    """Confidence level strictly between 0 and 1."""
    return float(check(owner, "confidence", confidence, CONFIDENCE))


def check_int(name: str, value: object, *, minimum: int, owner: object = None) -> int:
    """An ``int`` (not bool) that is at least ``minimum``."""
    return int(check(owner, name, value, Interval("int", minimum, None)))


def check_float(
    name: str, value: object, *, low: float, high: float, owner: object = None
) -> float:
    """A float in the open interval ``(low, high)``."""
    return float(check(owner, name, value, Interval("real", low, high, closed="neither")))


def as_rng(random_state: RandomState) -> np.random.Generator:
    """A numpy Generator from a seed, a Generator or ``None``."""
    check(None, "random_state", random_state, *RANDOM_STATE)
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def as_1d(name: str, x: ArrayLike) -> NDArray[Any]:
    """A 1-d numpy array (pandas/polars series and lists are accepted)."""
    arr = np.asarray(x)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{name!r} must be 1-dimensional. Got an array of shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise InsufficientDataError(f"{name!r} is empty; at least one row is needed.")
    return arr


def check_lengths(**arrays: NDArray[Any] | None) -> int:
    """Common length of the given arrays; :class:`DataError` on mismatch."""
    lengths = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise DataError(f"Inputs must have the same number of rows. Got {detail}.")
    return next(iter(lengths.values()))


def as_float(name: str, x: ArrayLike, *, probability: bool = False) -> FloatArray:
    """1-d float64 array without NaN/inf; in [0, 1] when ``probability``."""
    arr = as_1d(name, x)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name!r} must be numeric. Got dtype {arr.dtype}.") from exc
    _check_finite(name, out)
    if probability:
        _check_unit(name, out)
    return out


def _check_finite(name: str, out: FloatArray) -> None:
    bad = ~np.isfinite(out)
    if bad.any():
        raise DataError(
            f"{name!r} contains {int(bad.sum())} NaN or infinite value(s) "
            f"(first at row {int(np.argmax(bad.ravel()))}); drop or impute them first."
        )


def _check_unit(name: str, out: FloatArray) -> None:
    if out.min() < 0.0 or out.max() > 1.0:
        raise DataError(
            f"{name!r} must contain probabilities in [0, 1]. "
            f"Got values in [{out.min():.6g}, {out.max():.6g}]."
        )


def as_binary(name: str, y: ArrayLike) -> NDArray[np.int8]:
    """Labels in {0, 1} (bool or numeric) as int8."""
    arr = as_1d(name, y)
    if arr.dtype == bool:
        return arr.astype(np.int8)
    if arr.dtype.kind not in "iuf":
        raise DataError(
            f"{name!r} must hold binary labels 0/1 or booleans. Got dtype {arr.dtype}; "
            "encode the positive class as 1 first."
        )
    if arr.dtype.kind == "f":
        _check_finite(name, arr.astype(np.float64))
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        raise DataError(
            f"{name!r} must hold binary labels 0/1. Got {sorted(set(np.unique(arr[bad])))[:5]!r}; "
            "for more classes use the multiclass functions."
        )
    return arr.astype(np.int8)


def as_weights(sample_weight: ArrayLike | None, n: int) -> FloatArray | None:
    """Non-negative finite weights of length ``n`` with a positive sum, or ``None``."""
    if sample_weight is None:
        return None
    w = as_float("sample_weight", sample_weight)
    if len(w) != n:
        raise DataError(f"'sample_weight' has {len(w)} rows but the data has {n}.")
    if (w < 0).any() or w.sum() <= 0:
        raise DataError("'sample_weight' must be non-negative with a positive sum.")
    return w


def as_proba_matrix(name: str, p: ArrayLike, n_classes: int | None = None) -> FloatArray:
    """2-d probability matrix with rows in [0, 1] summing to 1."""
    arr = np.asarray(p)
    if arr.ndim != 2:
        raise DataError(f"{name!r} must be 2-dimensional (n_rows, n_classes). Got {arr.shape}.")
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name!r} must be numeric. Got dtype {arr.dtype}.") from exc
    _check_finite(name, out)
    _check_unit(name, out)
    if n_classes is not None and out.shape[1] != n_classes:
        raise DataError(
            f"{name!r} has {out.shape[1]} columns but there are {n_classes} classes; "
            "pass 'labels' to name the classes of the columns."
        )
    sums = out.sum(axis=1)
    off = np.abs(sums - 1.0) > PROB_ATOL
    if off.any():
        raise DataError(
            f"Rows of {name!r} must sum to 1 (within {PROB_ATOL}); row {int(np.argmax(off))} "
            f"sums to {sums[off][0]:.6g}."
        )
    return out


def encode_labels(
    y_true: ArrayLike, y_pred: ArrayLike | None = None, labels: ArrayLike | None = None
) -> tuple[NDArray[Any], IntArray, IntArray | None]:
    """Class labels and integer codes of ``y_true`` (and ``y_pred``) into them.

    Labels default to the sorted union of the observed values (scikit-learn's order).
    """
    yt = as_1d("y_true", y_true)
    yp = None if y_pred is None else as_1d("y_pred", y_pred)
    if yp is not None:
        check_lengths(y_true=yt, y_pred=yp)
    if yp is not None and yp.dtype == bool:
        yp = yp.astype(np.int64)
    if yt.dtype == bool:
        yt = yt.astype(np.int64)
    if labels is None:
        fast = _small_int_codes(yt, yp)
        if fast is not None:
            return fast
        lab = np.unique(yt) if yp is None else np.union1d(yt, yp)
    else:
        lab = np.asarray(labels)
        if len(np.unique(lab)) != len(lab) or lab.ndim != 1:
            raise ParameterError(f"'labels' must be 1-d and unique. Got {lab!r}.")
    order = np.argsort(lab, kind="stable")
    sorted_lab = lab[order]

    def codes(v: NDArray[Any], name: str) -> IntArray:
        pos = np.searchsorted(sorted_lab, v)
        pos = np.clip(pos, 0, len(sorted_lab) - 1)
        unknown = sorted_lab[pos] != v
        if unknown.any():
            raise DataError(
                f"{name!r} contains values not in 'labels': {np.unique(v[unknown])[:5]!r}."
            )
        return order[pos].astype(np.int64)

    return lab, codes(yt, "y_true"), None if yp is None else codes(yp, "y_pred")


def _small_int_codes(
    yt: NDArray[Any], yp: NDArray[Any] | None
) -> tuple[NDArray[Any], IntArray, IntArray | None] | None:
    """O(n) label encoding for integer labels spanning a small range (no sort)."""
    arrays = [yt] if yp is None else [yt, yp]
    if any(a.dtype.kind not in "iu" for a in arrays):
        return None
    lo = min(int(a.min()) for a in arrays)
    hi = max(int(a.max()) for a in arrays)
    if hi - lo > 65_536:
        return None
    seen = np.zeros(hi - lo + 1, dtype=bool)
    for a in arrays:
        seen[a - lo] = True
    lab = np.flatnonzero(seen) + lo
    lookup = np.cumsum(seen) - 1
    codes = [lookup[a - lo].astype(np.int64) for a in arrays]
    return lab.astype(yt.dtype), codes[0], None if yp is None else codes[1]
