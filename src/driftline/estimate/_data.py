"""Reading estimator inputs: a data frame with column names, or plain arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.exceptions import DataError, SchemaMismatchError, UnsupportedInputError

__all__ = ["ColumnSpec", "get_array", "is_frame", "score_matrix"]

#: A column name in the data frame, or the values themselves.
ColumnSpec = str | Sequence[Any] | npt.NDArray[Any]


def is_frame(data: object) -> bool:
    """True for pandas / polars data frames and pyarrow tables."""
    return hasattr(data, "columns") and not isinstance(data, np.ndarray)


def _column(data: Any, name: str) -> npt.NDArray[Any]:
    if name not in list(getattr(data, "column_names", None) or data.columns):
        raise SchemaMismatchError(
            f"Column {name!r} is not in the data; its columns are {list(data.columns)[:20]}."
        )
    col = data.column(name) if hasattr(data, "column_names") else data[name]
    return np.asarray(col.to_numpy() if hasattr(col, "to_numpy") else col)


def get_array(data: object, spec: ColumnSpec | None, what: str) -> npt.NDArray[Any] | None:
    """The values of ``spec``: a column of ``data`` when ``spec`` is a name, else ``spec``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if not is_frame(data):
            raise UnsupportedInputError(
                f"{what}={spec!r} names a column, so the data must be a pandas or polars data "
                f"frame or a pyarrow table; got {type(data).__name__}."
            )
        return _column(data, spec)
    return np.asarray(spec)


def score_matrix(data: object, spec: ColumnSpec | Sequence[str], what: str) -> npt.NDArray[Any]:
    """Scores as a float array: 1-D (binary) or n×C (one column per class)."""
    if (
        isinstance(spec, Sequence)
        and not isinstance(spec, str)
        and spec
        and all(isinstance(s, str) for s in spec)
    ):
        cols = [get_array(data, s, what) for s in spec]
        arr = np.column_stack([c for c in cols if c is not None])
    else:
        got = get_array(data, spec, what)
        if got is None:  # pragma: no cover - spec is never None here
            raise DataError(f"{what} is required.")
        arr = got
    try:
        out = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must be numeric scores; {exc}") from exc
    if out.ndim not in (1, 2) or out.shape[0] == 0:
        raise DataError(f"{what} must be a non-empty 1-D or 2-D array; got shape {out.shape}.")
    if not np.isfinite(out).all():
        raise DataError(
            f"{what} has {int((~np.isfinite(out)).sum())} missing or infinite values; "
            "drop or impute them first."
        )
    return out
