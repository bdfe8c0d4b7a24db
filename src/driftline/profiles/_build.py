"""From an Arrow column batch to a column profile, by the column's kind.

Kinds come from :func:`driftline.tabular.infer_kind` (the one rule); values are read
with :mod:`driftline.tabular`'s parsers. Values that cannot be read as the column's kind
(unparseable strings, values of another type) become ``n_invalid``; they never stop
the run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from driftline.profiles._boolean import boolean_from_array
from driftline.profiles._categorical import categorical_from_array
from driftline.profiles._column import ColumnKind, ColumnProfile
from driftline.profiles._numeric import numeric_from_values
from driftline.tabular import (
    MIXED_TYPES_KEY,
    boolean_values,
    invalid_count,
    nan_text_count,
    numeric_values,
    string_values,
)

__all__ = ["column_from_array", "mixed_type_count"]


def _is_stringish(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _numeric(
    name: str, kind: ColumnKind, arr: pa.Array, k: int, n_read_invalid: int
) -> ColumnProfile:
    values = numeric_values(arr, kind)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    # Values a reader already set to missing because they were unreadable are invalid.
    n_null = arr.null_count - n_read_invalid
    n_invalid = n_read_invalid
    if not pa.types.is_floating(arr.type) and len(values):
        # Non-float sources have no NaN of their own: extra NaN means unreadable.
        n_invalid += int(np.count_nonzero(np.isnan(values))) - arr.null_count
        if _is_stringish(arr.type) and kind == "numeric":
            n_invalid -= nan_text_count(arr)
    return numeric_from_values(name, kind, values, n_null=n_null, n_invalid=n_invalid, k=k)


def mixed_type_count(field: pa.Field) -> int:
    """Values of a minority Python type in this slice of the column (field metadata)."""
    meta = field.metadata or {}
    return int(meta.get(MIXED_TYPES_KEY, b"0"))


def column_from_array(
    field: pa.Field, arr: pa.Array | pa.ChunkedArray, kind: ColumnKind, *, k: int, cap: int
) -> ColumnProfile:
    """Profile one batch of one column as ``kind``.

    Values counted in the field metadata — of a minority Python type
    (:data:`~driftline.tabular.MIXED_TYPES_KEY`, categorical and text columns) or set
    to missing by a reader (:func:`~driftline.tabular.invalid_count`) — are invalid.
    """
    name = field.name
    n_read_invalid = invalid_count(field)
    if isinstance(arr, pa.ChunkedArray) and (
        kind in ("numeric", "datetime", "boolean") or pa.types.is_dictionary(arr.type)
    ):
        # Numbers need one contiguous buffer (zero-copy for a single chunk); strings
        # are counted chunk by chunk by Arrow without copying.
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if kind in ("numeric", "datetime"):
        return _numeric(name, kind, arr, k, n_read_invalid)
    if kind == "boolean":
        values = boolean_values(arr)
        n_invalid = values.null_count - arr.null_count + n_read_invalid
        return boolean_from_array(name, values, n_invalid=n_invalid)
    strings = string_values(arr)
    n_invalid = mixed_type_count(field) + n_read_invalid
    return categorical_from_array(name, kind, strings, n_invalid=n_invalid, cap=cap)
