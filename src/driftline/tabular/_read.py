"""The one loader: any accepted data -> an Arrow table, or a stream of Arrow tables.

Files are typed the same way whatever their format: Parquet keeps its types, CSV is read
as text and typed column by column with the one kind rule (so the same rows give the
same table from either). A schema fixes the kind of the columns it names, for any source.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from driftline._params import Interval, check
from driftline.exceptions import (
    DataError,
    ParameterError,
    SchemaMismatchError,
    UnsupportedInputError,
)
from driftline.tabular._csv import CSV_SUFFIXES, CsvOptions, csv_text_batches, sniff
from driftline.tabular._kinds import ColumnKind, infer_kind
from driftline.tabular._memory import (
    ACCEPTED_INPUTS,
    MIXED_TYPES_KEY,
    check_columns,
    in_memory_table,
    normalize_types,
    select_columns,
)
from driftline.tabular._schema import check_schema
from driftline.tabular._typing import INVALID_KEY, conform, plan_columns, type_table, with_kind

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FILE_BATCH_SIZE",
    "iter_batches",
    "iter_slices",
    "read_table",
    "to_table",
]

#: Largest batch cut from in-memory data (slices are zero-copy).
DEFAULT_BATCH_SIZE: Final = 1 << 20
#: Rows per batch when streaming files (bounds memory whatever the file size).
FILE_BATCH_SIZE: Final = 1 << 18
_PARQUET_SUFFIXES: Final = (".parquet", ".pq")
_COUNT_KEYS: Final = (MIXED_TYPES_KEY, INVALID_KEY)


def _check_batch_size(batch_size: int | None) -> None:
    check(None, "batch_size", batch_size, Interval("int", 1, None), None)


def _check_csv(csv: CsvOptions | None) -> CsvOptions:
    if csv is None:
        return CsvOptions()
    if not isinstance(csv, CsvOptions):
        raise ParameterError(
            f"The 'csv' parameter must be a CsvOptions or None; got {type(csv).__name__} instead."
        )
    return csv


def _is_path(data: object) -> bool:
    return isinstance(data, str | os.PathLike)


def _file(data: object) -> tuple[Path, str]:
    path = Path(os.fspath(data))  # type: ignore[call-overload]
    name = path.name.lower()
    if name.endswith(_PARQUET_SUFFIXES):
        fmt = "parquet"
    elif name.endswith(CSV_SUFFIXES):
        fmt = "csv"
    else:
        raise UnsupportedInputError(
            f"Cannot read {str(path)!r}: unsupported file type. Accepted: {ACCEPTED_INPUTS}."
        )
    if not path.exists():
        raise UnsupportedInputError(f"No file at {str(path)!r}.")
    if not path.is_file():
        raise UnsupportedInputError(f"{str(path)!r} is not a file.")
    return path, fmt


def _check_known(kinds: Mapping[str, ColumnKind], available: Sequence[str], source: str) -> None:
    unknown = [c for c in kinds if c not in set(available)]
    if unknown:
        raise SchemaMismatchError(
            f"The schema names column(s) {unknown} that are not in {source}; its columns: "
            f"{list(available)}. Fix the names in the schema (CLI: --schema, --categorical, "
            "--numeric)."
        )


def _apply_kinds(table: pa.Table, kinds: Mapping[str, ColumnKind], *, infer_rest: bool) -> pa.Table:
    """Conform the columns ``kinds`` names; with ``infer_rest``, record every other kind."""
    if not kinds and not infer_rest:
        return table
    fields: list[pa.Field] = []
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for field in table.schema:
        column = table.column(field.name)
        forced = kinds.get(field.name)
        if forced is not None:
            values, n_bad = conform(column, forced)
            fields.append(with_kind(field.with_type(values.type), forced, n_bad))
            arrays.append(values)
        elif infer_rest:
            fields.append(with_kind(field, infer_kind(field, column)))
            arrays.append(column)
        else:
            fields.append(field)
            arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _written_categories(pf: pq.ParquetFile) -> dict[str, ColumnKind]:
    """Columns written as categories — pandas ``category`` or Arrow dictionaries — that
    Arrow reads back as plain values (integer dictionaries): they are categorical."""
    found: set[str] = set()
    try:
        columns = (pf.schema_arrow.pandas_metadata or {}).get("columns", [])
        found |= {
            str(c["field_name"])
            for c in columns
            if isinstance(c, dict) and c.get("pandas_type") == "categorical"
        }
        stored = (pf.metadata.metadata or {}).get(b"ARROW:schema")
        if stored is not None:
            written = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(stored)))
            found |= {f.name for f in written if pa.types.is_dictionary(f.type)}
    except (ValueError, TypeError, KeyError, pa.ArrowInvalid):
        pass  # unreadable metadata: nothing to learn from it
    return dict.fromkeys(sorted(found), "categorical")


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        # pre_buffer=True (Arrow's default) keeps reading ahead and holds memory that
        # grows with the file; without it memory stays flat at about one batch.
        return pq.ParquetFile(path, pre_buffer=False)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(
            f"Cannot read the Parquet file {str(path)!r}: {exc}. Fix: check that it is a "
            "complete Parquet file (or name a CSV file .csv)."
        ) from exc


def read_table(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    csv: CsvOptions | None = None,
) -> pa.Table:
    """Read a Parquet or CSV file whole into one typed Arrow table.

    CSV files are sniffed (delimiter, decimal mark, thousands separator; ``csv``
    overrides any of them), every cell in :data:`~driftline.tabular.NULL_VALUES` is
    missing (also in string columns), and each column is typed by the one kind rule:
    numbers as int64 (whole numbers) or float64, true/false as bool, ISO 8601 dates as
    timestamps, everything else as strings. Parquet keeps its types. ``schema`` fixes
    the kind of the columns it names. Every field records its kind in its metadata;
    values that could not be read as it become missing, with a
    :class:`~driftline.exceptions.DataWarning`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "shop.csv"
    >>> _ = p.write_text('zip;price;name\\n02139;"1.303,48";\\n94105;12,5;Ann\\n')
    >>> t = read_table(p)
    >>> t.column("zip").to_pylist(), t.column("price").to_pylist(), t.column("name").to_pylist()
    (['02139', '94105'], [1303.48, 12.5], [None, 'Ann'])
    >>> from driftline.tabular import table_kinds
    >>> table_kinds(t)
    {'zip': 'categorical', 'price': 'numeric', 'name': 'categorical'}
    """
    cols = check_columns(columns)
    kinds = check_schema(schema)
    file, fmt = _file(path)
    source = repr(str(file))
    if fmt == "parquet":
        pf = _parquet_file(file)
        selected = select_columns(pf.schema_arrow.names, cols, source)
        _check_known(kinds, pf.schema_arrow.names, source)
        try:
            table = pf.read(columns=selected)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"Cannot read the Parquet file {source}: {exc}.") from exc
        table = normalize_types(table.replace_schema_metadata(None))
        kinds = {**_written_categories(pf), **kinds}
        return _apply_kinds(
            table, {k: v for k, v in kinds.items() if k in selected}, infer_rest=True
        )
    options = sniff(file, _check_csv(csv))
    names, selected, batches = csv_text_batches(file, options, cols)
    _check_known(kinds, names, source)
    text_schema = pa.schema([pa.field(n, pa.large_string()) for n in selected])
    text = pa.Table.from_batches(list(batches), schema=text_schema)
    plans = plan_columns(text, options, {k: v for k, v in kinds.items() if k in selected})
    return type_table(text, plans, whole=True, source=source)


def to_table(
    data: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    csv: CsvOptions | None = None,
) -> pa.Table:
    """Any accepted data as one Arrow table (files via :func:`read_table`).

    In-memory data is converted without copying numeric buffers; ``schema`` conforms
    the columns it names to their kinds (integer codes as categories, strings parsed as
    numbers, ...) and records the kind in the field metadata, where every consumer
    (:func:`infer_kind`) finds it.

    >>> t = to_table({"zip": [2139, 94105], "x": [1.5, 2.5]}, schema={"zip": "categorical"})
    >>> t.column("zip").to_pylist(), infer_kind(t.schema.field("zip"), t.column("zip"))
    (['2139', '94105'], 'categorical')
    """
    if _is_path(data):
        return read_table(data, columns=columns, schema=schema, csv=csv)  # type: ignore[arg-type]
    cols = check_columns(columns)
    kinds = check_schema(schema)
    table = in_memory_table(data, cols)
    _check_known(kinds, table.column_names if cols is None else cols, "the data")
    return _apply_kinds(table, kinds, infer_rest=False)


def _strip_counts(table: pa.Table) -> pa.Table:
    """``table`` without per-column counts (they belong to the first slice only)."""
    if not any(k in (f.metadata or {}) for f in table.schema for k in _COUNT_KEYS):
        return table
    fields = []
    for f in table.schema:
        meta = {k: v for k, v in (f.metadata or {}).items() if k not in _COUNT_KEYS}
        fields.append(f.with_metadata(meta or None))
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields))  # zero-copy


def iter_slices(
    data: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    batch_size: int | None = None,
    csv: CsvOptions | None = None,
) -> Iterator[pa.Table]:
    """Stream ``data`` as Arrow tables of at most ``batch_size`` rows.

    Files are read :data:`FILE_BATCH_SIZE` rows at a time (memory stays flat whatever
    the file size): Parquet batch by batch, CSV typed by a plan made from its first
    block (a later value that does not fit is counted in the field metadata, see
    :func:`~driftline.tabular.invalid_count`). In-memory data is cut into zero-copy
    slices of :data:`DEFAULT_BATCH_SIZE` rows whose columns may stay chunked (pandas
    string columns often come in many chunks; making them contiguous would copy every
    string). Counts in the field metadata belong to the slice that carries them.

    >>> [t.num_rows for t in iter_slices({"x": [1, 2, 3]}, batch_size=2)]
    [2, 1]
    """
    _check_batch_size(batch_size)
    cols = check_columns(columns)
    kinds = check_schema(schema)
    options = _check_csv(csv)
    if _is_path(data):
        return _file_slices(data, cols, kinds, batch_size or FILE_BATCH_SIZE, options)
    return _memory_slices(data, cols, kinds, batch_size or DEFAULT_BATCH_SIZE)


def _memory_slices(
    data: object, cols: list[str] | None, kinds: Mapping[str, ColumnKind], size: int
) -> Iterator[pa.Table]:
    table = to_table(data, columns=cols, schema=kinds)
    yield table.slice(0, size)
    if table.num_rows > size:
        rest = _strip_counts(table)
        for start in range(size, table.num_rows, size):
            yield rest.slice(start, size)


def _file_slices(
    data: object,
    cols: list[str] | None,
    kinds: Mapping[str, ColumnKind],
    size: int,
    csv: CsvOptions,
) -> Iterator[pa.Table]:
    path, fmt = _file(data)
    source = repr(str(path))
    if fmt == "parquet":
        pf = _parquet_file(path)
        names = pf.schema_arrow.names
        selected = select_columns(names, cols, source)
        _check_known(kinds, names, source)
        kinds = {**_written_categories(pf), **kinds}
        wanted = {k: v for k, v in kinds.items() if k in selected}
        empty = True
        for batch in pf.iter_batches(batch_size=size, columns=selected):
            empty = False
            table = normalize_types(pa.Table.from_batches([batch]))
            yield _apply_kinds(table, wanted, infer_rest=False)
        if empty:
            table = normalize_types(pf.schema_arrow.empty_table().select(selected))
            yield _apply_kinds(table, wanted, infer_rest=False)
        return
    options = sniff(path, csv)
    names, selected, batches = csv_text_batches(path, options, cols)
    _check_known(kinds, names, source)
    wanted = {k: v for k, v in kinds.items() if k in selected}
    plans = None
    for batch in batches:
        text = pa.Table.from_batches([batch])
        if plans is None:
            plans = plan_columns(text, options, wanted)
        typed = type_table(text, plans, whole=False)
        yield typed.slice(0, size)
        if typed.num_rows > size:
            rest = _strip_counts(typed)
            for start in range(size, typed.num_rows, size):
                yield rest.slice(start, size)
    if plans is None:  # a header without rows
        text = pa.schema([pa.field(n, pa.large_string()) for n in selected]).empty_table()
        yield type_table(text, plan_columns(text, options, wanted), whole=False)


def iter_batches(
    data: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    batch_size: int | None = None,
    csv: CsvOptions | None = None,
) -> Iterator[pa.RecordBatch]:
    """Like :func:`iter_slices`, but yield record batches (columns made contiguous).

    >>> import numpy as np
    >>> [b.num_rows for b in iter_batches({"x": np.arange(5.0)}, batch_size=2)]
    [2, 2, 1]
    """
    for table in iter_slices(data, columns=columns, schema=schema, batch_size=batch_size, csv=csv):
        if table.num_rows == 0:
            yield pa.RecordBatch.from_pylist([], schema=table.schema)
            continue
        yield from table.combine_chunks().to_batches()
