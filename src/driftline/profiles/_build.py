"""From an Arrow column batch to a column profile: kind inference and coercion.

Values that cannot be read as the column's kind (unparseable strings, values of
another type) become ``n_invalid``; they never stop the run.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from driftline.profiles._boolean import boolean_from_array
from driftline.profiles._categorical import categorical_from_array
from driftline.profiles._column import ColumnKind, ColumnProfile
from driftline.profiles._input import MIXED_TYPES_KEY, TYPE_HINT_KEY
from driftline.profiles._numeric import numeric_from_values

__all__ = ["column_from_array", "infer_kind", "mixed_type_count"]

_NUMBER_RE: Final = r"^\s*[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|nan|NaN|inf|Infinity)\s*$"
_NUMERIC_SHARE: Final = 0.95
_TEXT_MEAN_BYTES: Final = 32
_SAMPLE: Final = 1000
_TRUE: Final = pa.array(["true", "t", "yes", "y", "1"])
_FALSE: Final = pa.array(["false", "f", "no", "n", "0"])
_SECONDS: Final = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def _is_stringish(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _kind_of_type(t: pa.DataType) -> ColumnKind | None:
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "datetime"
    if pa.types.is_dictionary(t):
        inner = _kind_of_type(t.value_type)
        return "categorical" if inner is None or inner == "text" else inner
    if pa.types.is_duration(t):
        return "numeric"
    return None


def _hint_kind(field: pa.Field) -> ColumnKind | None:
    meta = field.metadata or {}
    hint = meta.get(TYPE_HINT_KEY)
    if hint is None:
        return None
    text = hint.decode()
    if text == "bool":
        return "boolean"
    if text.startswith(("int", "uint", "double", "float", "decimal")):
        return "numeric"
    if text.startswith(("timestamp", "date")):
        return "datetime"
    return None


def infer_kind(field: pa.Field, arr: pa.Array) -> ColumnKind | None:
    """Kind of a column from its Arrow type and, for strings, a sample of values.

    Returns None when nothing can be said yet (an all-null batch of untyped values).
    Strings are numeric when at least 95 % of a sample parse as numbers, text-like
    when their mean length is at least 32 bytes, and categorical otherwise.
    """
    by_type = _kind_of_type(field.type)
    if by_type is not None:
        return by_type
    hinted = _hint_kind(field)
    if hinted is not None:
        return hinted
    if arr.null_count == len(arr):
        return None
    if not _is_stringish(field.type):
        return "text" if not pa.types.is_null(field.type) else None
    sample = pc.drop_null(arr.slice(0, 4 * _SAMPLE))[:_SAMPLE]
    numeric = pc.sum(pc.match_substring_regex(sample, _NUMBER_RE)).as_py() or 0
    if numeric >= _NUMERIC_SHARE * len(sample):
        return "numeric"
    mean_len = (pc.sum(pc.binary_length(sample)).as_py() or 0) / len(sample)
    return "text" if mean_len >= _TEXT_MEAN_BYTES else "categorical"


def _decode(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        return arr.dictionary_decode()
    return arr


def _parse_numbers(arr: pa.Array) -> pa.Array:
    try:
        return pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_numeric(pd.Series(arr.to_pylist(), dtype=object), errors="coerce")
        return pa.array(parsed.to_numpy(dtype=np.float64), from_pandas=True)


def _parse_datetimes(arr: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        return _datetime_seconds(pc.cast(arr, pa.timestamp("us")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(
            pd.Series(arr.to_pylist(), dtype=object), errors="coerce", utc=True, format="mixed"
        )
        ns = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64).astype(np.float64)
        ns[parsed.isna().to_numpy()] = np.nan
        return np.asarray(ns / 1e9)


def _float_values(arr: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]]:
    if not pa.types.is_float64(arr.type):
        arr = pc.cast(arr, pa.float64())
    out = arr.to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=np.float64)


def _datetime_seconds(arr: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]]:
    t = arr.type
    if pa.types.is_timestamp(t):
        ints = _float_values(pc.cast(arr, pa.int64()))
        return ints / _SECONDS[t.unit]
    if pa.types.is_date32(t):
        return _float_values(pc.cast(arr, pa.int32())) * 86400.0
    if pa.types.is_date64(t):
        return _float_values(pc.cast(arr, pa.int64())) / 1e3
    if pa.types.is_duration(t):
        return _float_values(pc.cast(arr, pa.int64())) / _SECONDS[t.unit]
    raise TypeError(str(t))


def _numeric_input(arr: pa.Array, kind: ColumnKind) -> np.ndarray[Any, np.dtype[np.float64]]:
    """float64 values with NaN where missing or unreadable."""
    t = arr.type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
        return _float_values(arr)
    if pa.types.is_boolean(t):
        return _float_values(pc.cast(arr, pa.float64()))
    if pa.types.is_temporal(t):
        return _datetime_seconds(arr)
    if _is_stringish(t):
        return _parse_datetimes(arr) if kind == "datetime" else _float_values(_parse_numbers(arr))
    return np.full(len(arr), np.nan)


def _numeric(name: str, kind: ColumnKind, arr: pa.Array, k: int) -> ColumnProfile:
    values = _numeric_input(arr, kind)
    n_null = arr.null_count
    n_invalid = 0
    if not pa.types.is_floating(arr.type) and len(values):
        # Non-float sources have no NaN of their own: extra NaN means unreadable.
        n_invalid = int(np.count_nonzero(np.isnan(values))) - n_null
        if _is_stringish(arr.type) and kind == "numeric":
            nan_text = pc.match_substring_regex(arr, r"^\s*(nan|NaN)\s*$")
            n_invalid -= int(pc.sum(nan_text).as_py() or 0)
    return numeric_from_values(name, kind, values, n_null=n_null, n_invalid=n_invalid, k=k)


def _to_strings(arr: pa.Array) -> pa.Array:
    arr = _decode(arr)
    if pa.types.is_large_string(arr.type):
        return arr
    try:
        return pc.cast(arr, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        items = arr.to_pylist()
        return pa.array([None if v is None else str(v) for v in items], type=pa.large_string())


def _to_booleans(arr: pa.Array) -> pa.Array:
    arr = _decode(arr)
    t = arr.type
    if pa.types.is_boolean(t):
        return arr
    if _is_stringish(t):
        low = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        yes, no = pc.is_in(low, value_set=_TRUE), pc.is_in(low, value_set=_FALSE)
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        yes, no = pc.equal(arr, 1), pc.equal(arr, 0)
    else:
        return pa.nulls(len(arr), type=pa.bool_())
    return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))


def _mixed(field: pa.Field) -> int:
    meta = field.metadata or {}
    return int(meta.get(MIXED_TYPES_KEY, b"0"))


def mixed_type_count(field: pa.Field) -> int:
    """Values of a minority Python type in the whole column (from the field metadata)."""
    return _mixed(field)


def column_from_array(
    field: pa.Field, arr: pa.Array, kind: ColumnKind, *, k: int, cap: int, n_mixed: int = 0
) -> ColumnProfile:
    """Profile one batch of one column as ``kind``; ``n_mixed`` values count as invalid
    (categorical and text columns)."""
    name = field.name
    if isinstance(arr, pa.ChunkedArray) and (
        kind in ("numeric", "datetime", "boolean") or pa.types.is_dictionary(arr.type)
    ):
        # Numbers need one contiguous buffer (zero-copy for a single chunk); strings
        # are counted chunk by chunk by Arrow without copying.
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if kind in ("numeric", "datetime"):
        return _numeric(name, kind, _decode(arr), k)
    if kind == "boolean":
        values = _to_booleans(arr)
        return boolean_from_array(name, values, n_invalid=values.null_count - arr.null_count)
    return categorical_from_array(name, kind, _to_strings(arr), n_invalid=n_mixed, cap=cap)
