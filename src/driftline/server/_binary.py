"""Arrow IPC stream and Parquet bodies → a validated ``pyarrow.Table``, size-bounded first.

Untrusted bytes never reach a compute kernel unvalidated: Arrow's readers check the
framing but not the contents of buffers (a string offset pointing 2 GB past its data is
read as is, and a kernel then reads out of bounds), so every batch is validated in full
(``RecordBatch.validate(full=True)``) as it is read, and a body that fails is a 400.

Decoded size is bounded before it is materialized:

- Arrow IPC: the message headers state each buffer's decompressed length
  (:mod:`driftline.server._ipc_scan`); their sum is checked against ``max_decoded_bytes``
  before any batch is decompressed.
- Parquet: every page header states the page's uncompressed size
  (:mod:`driftline.server._parquet_scan`); their sum, plus a fixed width per row and
  column for what the encodings compress away, is checked before reading, and
  dictionary-encoded string columns are read as dictionaries, so that a 1 KB file of one
  1 MB string repeated 1,000 times does not expand while it is read.

Then :func:`~driftline.server._bodies.check_table` bounds the expanded size and string
lengths of the table itself.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from driftline.server._bodies import (
    ARROW_TYPES,
    BodyLimits,
    check_names,
    check_rows,
    check_table,
    is_text,
    too_large,
)
from driftline.server._errors import ApiError
from driftline.server._ipc_scan import ScanError, scan_stream
from driftline.server._parquet_scan import ParquetScanError, scan_parquet

__all__ = ["decoded_estimate", "table_from_arrow", "table_from_parquet"]

_READ_ERRORS: Final = (pa.ArrowException, OSError, ValueError, IndexError, OverflowError)


def _decoded_limit(size: int, limits: BodyLimits, what: str) -> None:
    if size > limits.max_decoded_bytes:
        raise too_large(
            f"The {what} decodes to {size} bytes or more; the limit is "
            f"{limits.max_decoded_bytes} bytes (max_decoded_bytes). Send smaller batches.",
            limit_decoded_bytes=limits.max_decoded_bytes,
            decoded_bytes=size,
        )


def _invalid_arrow(detail: object) -> ApiError:
    return ApiError(
        400,
        f"The body is not a readable Arrow IPC stream: {str(detail).rstrip('.')}. Write it with "
        "pyarrow.ipc.new_stream (the stream format, not the file format).",
        code="invalid_arrow",
    )


def table_from_arrow(body: bytes, limits: BodyLimits) -> pa.Table:
    """An Arrow IPC stream body as a validated table (400 if it is not one, 413 if too big)."""
    if not body:
        raise ApiError(400, "The request body is empty; expected an Arrow IPC stream.")
    buffer = pa.py_buffer(body)
    try:
        size = scan_stream(buffer, max_decoded_bytes=limits.max_decoded_bytes)
    except ScanError as exc:
        raise _invalid_arrow(exc) from None
    _decoded_limit(size.decoded_bytes, limits, "Arrow stream")
    check_rows(size.rows, 0, limits.max_rows)
    try:
        with pa.ipc.open_stream(buffer) as reader:
            schema = reader.schema
            check_names(schema.names)
            check_rows(0, len(schema.names), limits.max_rows)
            batches = []
            for batch in reader:  # one at a time: each is validated before anything reads it
                batch.validate(full=True)
                batches.append(batch)
        table = pa.Table.from_batches(batches, schema)
    except ApiError:
        raise
    except _READ_ERRORS as exc:
        raise _invalid_arrow(exc) from None
    return check_table(table, limits)


def _invalid_parquet(detail: object) -> ApiError:
    return ApiError(
        400, f"The body is not a readable Parquet file: {detail}.", code="invalid_parquet"
    )


def table_from_parquet(
    body: bytes, limits: BodyLimits, *, columns: Collection[str] | None = None
) -> pa.Table:
    """A Parquet file body as a validated table (400 if it is not one, 413 if too big).

    With ``columns``, only those (of the ones present) are read: the others are neither
    decoded nor counted against ``max_decoded_bytes``.
    """
    if not body:
        raise ApiError(400, "The request body is empty; expected a Parquet file.")
    try:
        size = scan_parquet(body, columns=columns)  # footer and pages, not pyarrow's accessors
    except ParquetScanError as exc:
        raise _invalid_parquet(exc) from None
    check_rows(size.rows, 0, limits.max_rows)
    _decoded_limit(size.decoded_bytes, limits, "Parquet file")
    try:
        file = pq.ParquetFile(pa.BufferReader(body))
        schema = file.schema_arrow
        check_rows(0, len(schema.names), limits.max_rows)
        check_names(schema.names)
        dictionaries = [
            field.name
            for field in schema
            if is_text(field.type) and field.name in size.dictionary_columns
        ]
        if dictionaries:  # kept dictionary-encoded while read (expanded later, if it fits)
            file = pq.ParquetFile(pa.BufferReader(body), read_dictionary=dictionaries)
        wanted = None if columns is None else [n for n in schema.names if n in columns]
        table = file.read(columns=wanted, use_threads=False)
        table.validate(full=True)
    except ApiError:
        raise
    except _READ_ERRORS as exc:
        raise _invalid_parquet(exc) from None
    return check_table(table, limits)


def decoded_estimate(
    body: bytes, kind: str, limits: BodyLimits, *, columns: Collection[str] | None = None
) -> tuple[int, int]:
    """(decoded bytes, rows) that reading ``body`` will materialize, from its headers
    alone, capped at ``max_decoded_bytes`` and ``max_rows`` (beyond them the reader refuses
    the body anyway); (the body's size, 0) when the headers do not parse (the reader then
    refuses it)."""
    try:
        if kind in ARROW_TYPES:
            stream = scan_stream(pa.py_buffer(body), max_decoded_bytes=limits.max_decoded_bytes)
            size, rows = stream.decoded_bytes, stream.rows
        else:
            parquet = scan_parquet(body, columns=columns)
            size, rows = parquet.decoded_bytes, parquet.rows
    except (ScanError, ParquetScanError):
        return len(body), 0
    return min(size, limits.max_decoded_bytes), min(rows, limits.max_rows)
