"""Input conversion, once, at the edge: any accepted data -> an iterator of Arrow record batches.

Accepted inputs are pandas and polars DataFrames, pyarrow Tables and RecordBatches,
dicts of numpy arrays (or lists), and paths to Parquet or CSV files. Files are
streamed in record batches and never loaded whole. Everything downstream (profiles,
drift) computes on Arrow / numpy columns only.

Pandas ``object`` columns that mix Python types (``[1, "a", 2.5]``) are converted to
strings; the number of values whose type differs from the column's most common type
is stored in the field metadata under :data:`MIXED_TYPES_KEY` so that profiles can
count them as type violations instead of failing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from driftline.exceptions import (
    DataError,
    ParameterError,
    SchemaMismatchError,
    UnsupportedInputError,
)

__all__ = [
    "ACCEPTED_INPUTS",
    "DEFAULT_BATCH_SIZE",
    "FILE_BATCH_SIZE",
    "MIXED_TYPES_KEY",
    "iter_batches",
    "iter_slices",
    "to_table",
    "to_typed_table",
]

#: Largest batch cut from in-memory data (slices are zero-copy).
DEFAULT_BATCH_SIZE: Final = 1 << 20
#: Rows per batch when streaming files (bounds memory whatever the file size).
FILE_BATCH_SIZE: Final = 1 << 18
#: Field-metadata key carrying the count of values of a minority Python type.
MIXED_TYPES_KEY: Final = b"driftline.mixed_types"
ACCEPTED_INPUTS: Final = (
    "pandas.DataFrame, polars.DataFrame, pyarrow.Table, pyarrow.RecordBatch, "
    "dict of numpy arrays, or a path (str / os.PathLike) to a .parquet/.pq or .csv file"
)
_PARQUET_SUFFIXES: Final = (".parquet", ".pq")
_CSV_SUFFIXES: Final = (".csv", ".csv.gz", ".csv.bz2")


def _check_batch_size(batch_size: int | None) -> None:
    if batch_size is None:
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(
            "The 'batch_size' parameter must be None or a positive int; "
            f"got {batch_size!r} instead."
        )


def _check_columns(columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
        raise ParameterError(
            "The 'columns' parameter must be None or a sequence of column names (str); "
            f"got {columns!r} instead."
        )
    return list(columns)


def _select(available: Sequence[str], columns: list[str] | None) -> list[str]:
    if columns is None:
        return list(available)
    missing = [c for c in columns if c not in set(available)]
    if missing:
        raise SchemaMismatchError(
            f"Columns {missing} are not in the data. Available columns: {list(available)}."
        )
    return columns


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
    selected = _select(names, columns)
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
    selected = _select(names, columns)
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


def _normalize_types(table: pa.Table) -> pa.Table:
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


def _table_batches(table: pa.Table, batch_size: int) -> Iterator[pa.RecordBatch]:
    table = _normalize_types(table)
    if table.num_rows == 0:
        yield pa.RecordBatch.from_pylist([], schema=table.schema)
        return
    yield from table.to_batches(max_chunksize=batch_size)


def _path_batches(
    path: Path, columns: list[str] | None, batch_size: int
) -> Iterator[pa.RecordBatch]:
    name = path.name.lower()
    if not path.exists():
        raise UnsupportedInputError(f"No file at {str(path)!r}.")
    if name.endswith(_PARQUET_SUFFIXES):
        # pre_buffer=True (Arrow's default) keeps reading ahead and holds memory that
        # grows with the file; without it memory stays flat at about one batch.
        pf = pq.ParquetFile(path, pre_buffer=False)
        names = pf.schema_arrow.names
        selected = _select(names, columns)
        empty = True
        for batch in pf.iter_batches(batch_size=batch_size, columns=selected):
            empty = False
            yield from _table_batches(pa.Table.from_batches([batch]), batch_size)
        if empty:
            yield from _table_batches(pf.schema_arrow.empty_table().select(selected), batch_size)
        return
    if name.endswith(_CSV_SUFFIXES):
        yield from _csv_batches(path, columns, batch_size)
        return
    raise UnsupportedInputError(
        f"Cannot read {str(path)!r}: unsupported file type. Accepted: {ACCEPTED_INPUTS}."
    )


def _csv_batches(
    path: Path, columns: list[str] | None, batch_size: int
) -> Iterator[pa.RecordBatch]:
    # Types are inferred from the first block only; a later block whose values do not
    # fit would make Arrow fail mid-stream. So every column is read as text and the
    # profile parses it (counting unparseable values) with the inferred kind as a hint.
    probe = pa_csv.open_csv(path)
    inferred = probe.schema
    probe.close()
    selected = _select(inferred.names, columns)
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.large_string() for n in inferred.names},
        include_columns=selected,
        strings_can_be_null=True,
    )
    read = pa_csv.ReadOptions(block_size=1 << 22)
    hints = {f.name: f.type for f in inferred if f.name in set(selected)}
    reader = pa_csv.open_csv(path, read_options=read, convert_options=convert)
    fields = [pa.field(n, pa.large_string(), metadata=_hint(hints[n])) for n in selected]
    schema = pa.schema(fields)
    empty = True
    for batch in reader:
        empty = False
        table = pa.Table.from_batches([batch]).select(selected).cast(schema)
        yield from table.to_batches(max_chunksize=batch_size)
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=schema)


#: Field-metadata key naming the Arrow type a text column's values were inferred to have.
TYPE_HINT_KEY: Final = b"driftline.type_hint"


def _hint(arrow_type: pa.DataType) -> dict[bytes, bytes]:
    return {TYPE_HINT_KEY: str(arrow_type).encode()}


def iter_batches(
    data: object,
    columns: Sequence[str] | None = None,
    *,
    batch_size: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the data as Arrow record batches of at most ``batch_size`` rows.

    By default files are read :data:`FILE_BATCH_SIZE` rows at a time and in-memory
    data is cut in zero-copy slices of :data:`DEFAULT_BATCH_SIZE` rows.

    ``columns`` selects (and orders) columns; unknown names raise
    :class:`~driftline.exceptions.SchemaMismatchError`. Paths are streamed; in-memory
    frames are converted without copying numeric buffers where Arrow allows it.

    >>> import numpy as np
    >>> batches = list(iter_batches({"x": np.arange(5.0)}, batch_size=2))
    >>> [b.num_rows for b in batches]
    [2, 2, 1]
    """
    _check_batch_size(batch_size)
    cols = _check_columns(columns)
    return _iter(data, cols, batch_size)


def _iter(data: object, cols: list[str] | None, batch_size: int | None) -> Iterator[pa.RecordBatch]:
    if isinstance(data, str | os.PathLike):
        path = Path(os.fspath(data))
        yield from _path_batches(path, cols, batch_size or FILE_BATCH_SIZE)
        return
    yield from _table_batches(_in_memory_table(data, cols), batch_size or DEFAULT_BATCH_SIZE)


def iter_slices(
    data: object,
    columns: Sequence[str] | None = None,
    *,
    batch_size: int | None = None,
) -> Iterator[pa.Table]:
    """Like :func:`iter_batches`, but yield tables whose columns may stay chunked.

    In-memory data is cut into zero-copy slices of ``batch_size`` rows without
    re-chunking (pandas string columns often come in many chunks; making them
    contiguous would copy every string). Files yield one table per record batch.

    >>> [t.num_rows for t in iter_slices({"x": [1, 2, 3]}, batch_size=2)]
    [2, 1]
    """
    _check_batch_size(batch_size)
    cols = _check_columns(columns)
    return _iter_slices(data, cols, batch_size)


def _iter_slices(
    data: object, cols: list[str] | None, batch_size: int | None
) -> Iterator[pa.Table]:
    if isinstance(data, str | os.PathLike):
        for batch in _iter(data, cols, batch_size):
            yield pa.Table.from_batches([batch])
        return
    table = _normalize_types(_in_memory_table(data, cols))
    size = batch_size or DEFAULT_BATCH_SIZE
    yield table.slice(0, size)
    for start in range(size, table.num_rows, size):
        yield table.slice(start, size)


def _in_memory_table(data: object, cols: list[str] | None) -> pa.Table:
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data.select(_select(data.column_names, cols))
    module = type(data).__module__
    if module.startswith("pandas") and hasattr(data, "columns"):
        return _from_pandas(data, cols)
    if module.startswith("polars") and hasattr(data, "to_arrow"):
        names = list(data.columns)  # type: ignore[attr-defined]
        selected = _select(names, cols)
        return data.select(selected).to_arrow()  # type: ignore[attr-defined]
    if isinstance(data, Mapping):
        return _from_mapping(data, cols)
    raise UnsupportedInputError(
        f"Cannot read data of type {type(data).__module__}.{type(data).__qualname__}. "
        f"Accepted: {ACCEPTED_INPUTS}."
    )


def to_table(data: object, columns: Sequence[str] | None = None) -> pa.Table:
    """Read all of ``data`` into one Arrow table (files are read whole).

    >>> to_table({"a": [1, 2], "b": ["x", "y"]}).num_rows
    2
    """
    cols = _check_columns(columns)
    if isinstance(data, str | os.PathLike):
        batches = list(_iter(data, cols, None))
        return pa.Table.from_batches(batches)
    return _normalize_types(_in_memory_table(data, cols))


def to_typed_table(data: object, columns: Sequence[str] | None = None) -> pa.Table:
    """Like :func:`to_table`, but CSV columns get the types Arrow infers (numbers as numbers).

    Profiles read CSV as text and parse it themselves; code that needs typed values
    (model inputs, labels, scores) uses this. A CSV whose later rows do not fit the
    types inferred from its first block raises :class:`~driftline.exceptions.DataError`.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = path.write_text("a,b\\n1,x\\n2,y\\n")
    >>> to_typed_table(path).schema.field("a").type
    DataType(int64)
    """
    if isinstance(data, str | os.PathLike) and str(data).lower().endswith(
        (".csv", ".csv.gz", ".csv.bz2")
    ):
        path = Path(os.fspath(data))
        if not path.is_file():
            raise UnsupportedInputError(f"Cannot read {str(path)!r}: no such file.")
        cols = _check_columns(columns)
        try:
            table = pa_csv.read_csv(path)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"Cannot read the CSV file {str(path)!r}: {exc}") from exc
        return table.select(_select(table.column_names, cols))
    return to_table(data, columns)
