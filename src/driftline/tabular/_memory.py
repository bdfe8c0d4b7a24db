"""In-memory data -> one Arrow table, without copying numeric buffers.

Accepted are pandas and polars DataFrames, pyarrow Tables and RecordBatches, and dicts
of numpy arrays (or lists). Pandas ``object`` columns that mix Python types
(``[1, "a", 2.5]``) are converted to strings; the number of values whose type differs
from the column's most common type is stored in the field metadata under
:data:`MIXED_TYPES_KEY` so that profiles can count them as type violations instead of
failing. Pandas ``category`` columns become dictionary arrays (categorical whatever
their values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa

from driftline.exceptions import ParameterError, SchemaMismatchError, UnsupportedInputError

__all__ = [
    "ACCEPTED_INPUTS",
    "MIXED_TYPES_KEY",
    "check_columns",
    "in_memory_table",
    "normalize_types",
    "select_columns",
]

#: Field-metadata key carrying the count of values of a minority Python type.
MIXED_TYPES_KEY: Final = b"driftline.mixed_types"
ACCEPTED_INPUTS: Final = (
    "pandas.DataFrame, polars.DataFrame, pyarrow.Table, pyarrow.RecordBatch, "
    "dict of numpy arrays, or a path (str / os.PathLike) to a .parquet/.pq or .csv/.tsv file"
)


def check_columns(columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
        raise ParameterError(
            "The 'columns' parameter must be None or a sequence of column names (str); "
            f"got {columns!r} instead."
        )
    return list(columns)


def select_columns(
    available: Sequence[str], columns: Sequence[str] | None, source: str = "the data"
) -> list[str]:
    """``columns`` (all when None), after checking that each is in ``available``."""
    if columns is None:
        return list(available)
    known = set(available)
    missing = [c for c in columns if c not in known]
    if missing:
        raise SchemaMismatchError(
            f"Columns {missing} are not in {source}. Available columns: {list(available)}."
        )
    return list(columns)


def _mixed_object_array(values: np.ndarray[Any, Any]) -> tuple[pa.Array, int]:
    """Strings for a mixed-type object array, and the count of minority-type values."""
    items = values.tolist()
    present = [v for v in items if v is not None and not _is_nan(v)]
    type_counts = Counter(type(v) for v in present)
    majority = type_counts.most_common(1)[0][1] if type_counts else 0
    strings = [None if v is None or _is_nan(v) else str(v) for v in items]
    return pa.array(strings, type=pa.large_string()), len(present) - majority


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def _to_arrow_column(values: Any, *, from_pandas: bool) -> tuple[pa.Array | pa.ChunkedArray, int]:
    try:
        arr = pa.array(values, from_pandas=from_pandas)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return _mixed_object_array(np.asarray(values, dtype=object))
    return arr, 0  # chunked arrays stay chunked: combining would copy every string


def _table_from_columns(
    names: list[str], arrays: list[pa.Array | pa.ChunkedArray], mixed: list[int]
) -> pa.Table:
    fields = []
    for name, arr, n_mixed in zip(names, arrays, mixed, strict=True):
        meta = {MIXED_TYPES_KEY: str(n_mixed).encode()} if n_mixed else None
        fields.append(pa.field(name, arr.type, metadata=meta))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _from_pandas(data: Any, columns: list[str] | None) -> pa.Table:
    names = [str(c) for c in data.columns]
    if len(set(names)) != len(names):
        raise SchemaMismatchError(f"Column names must be unique; got {names}.")
    selected = select_columns(names, columns)
    by_name = dict(zip(names, data.columns, strict=True))
    arrays: list[pa.Array | pa.ChunkedArray] = []
    mixed: list[int] = []
    for name in selected:
        arr, n_mixed = _to_arrow_column(data[by_name[name]], from_pandas=True)
        arrays.append(arr)
        mixed.append(n_mixed)
    return _table_from_columns(selected, arrays, mixed)


def _from_mapping(data: Mapping[Any, Any], columns: list[str] | None) -> pa.Table:
    names = [str(k) for k in data]
    selected = select_columns(names, columns)
    by_name = dict(zip(names, data.keys(), strict=True))
    arrays: list[pa.Array | pa.ChunkedArray] = []
    mixed: list[int] = []
    for name in selected:
        values = data[by_name[name]]
        if not isinstance(values, np.ndarray | list | tuple | pa.Array | pa.ChunkedArray):
            raise UnsupportedInputError(
                f"Column {name!r} of the dict is a {type(values).__name__}; "
                "each value must be a numpy array, list or pyarrow array."
            )
        if isinstance(values, np.ndarray) and values.ndim != 1:
            raise UnsupportedInputError(
                f"Column {name!r} has shape {values.shape}; each array must be 1-dimensional."
            )
        arr, n_mixed = _to_arrow_column(values, from_pandas=False)
        arrays.append(arr)
        mixed.append(n_mixed)
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        sizes = {n: len(a) for n, a in zip(selected, arrays, strict=True)}
        raise SchemaMismatchError(f"All columns must have the same length; got {sizes}.")
    return _table_from_columns(selected, arrays, mixed)


def normalize_types(table: pa.Table) -> pa.Table:
    """Cast Arrow types that compute kernels handle poorly (string views) to plain types."""
    fields = []
    changed = False
    for field in table.schema:
        if pa.types.is_string_view(field.type):
            fields.append(field.with_type(pa.large_string()))
            changed = True
        elif pa.types.is_binary_view(field.type):
            fields.append(field.with_type(pa.large_binary()))
            changed = True
        else:
            fields.append(field)
    return table.cast(pa.schema(fields)) if changed else table


def in_memory_table(data: object, cols: list[str] | None) -> pa.Table:
    """``data`` (any accepted in-memory type) as one Arrow table, string views cast."""
    return normalize_types(_in_memory_table(data, cols))


def _in_memory_table(data: object, cols: list[str] | None) -> pa.Table:
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data.select(select_columns(data.column_names, cols))
    module = type(data).__module__
    if module.startswith("pandas") and hasattr(data, "columns"):
        return _from_pandas(data, cols)
    if module.startswith("polars") and hasattr(data, "to_arrow"):
        names = list(data.columns)  # type: ignore[attr-defined]
        selected = select_columns(names, cols)
        return data.select(selected).to_arrow()  # type: ignore[attr-defined]
    if isinstance(data, Mapping):
        return _from_mapping(data, cols)
    raise UnsupportedInputError(
        f"Cannot read data of type {type(data).__module__}.{type(data).__qualname__}. "
        f"Accepted: {ACCEPTED_INPUTS}."
    )
