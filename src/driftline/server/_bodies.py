"""Request bodies → ``pyarrow.Table``, columnar: JSON (orjson), Arrow IPC stream, Parquet.

JSON ``{"records": [...]}`` is turned into one Python list per column (no object per
row); a column whose values Arrow cannot type as one kind (``[1.5, "abc"]``) is kept as
strings, so that the schema validation rejects only the bad rows, with their reasons.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
import pyarrow as pa

from driftline.server._errors import ApiError

__all__ = [
    "ARROW_TYPES",
    "JSON_TYPES",
    "PARQUET_TYPES",
    "PROFILE_TYPES",
    "media_type",
    "parse_json",
    "read_body",
    "table_from_arrow",
    "table_from_json",
    "table_from_parquet",
]

JSON_TYPES: Final = ("application/json",)
ARROW_TYPES: Final = (
    "application/vnd.apache.arrow.stream",
    "application/vnd.apache.arrow",
    "application/x-arrow-stream",
)
PARQUET_TYPES: Final = ("application/vnd.apache.parquet", "application/x-parquet")
PROFILE_TYPES: Final = ("application/vnd.driftline.profile", "application/octet-stream")
MAX_COLUMNS: Final = 10_000


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


async def read_body(request: Any, limit: int) -> bytes:
    """The whole body, refusing (413) more than ``limit`` bytes, declared or streamed."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, f"Content-Length is not a number: {declared!r}.") from None
        if size > limit:
            raise ApiError(
                413,
                f"The body is {size} bytes; the limit is {limit} bytes. Send smaller batches.",
                details={"limit_bytes": limit, "content_length": size},
            )
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ApiError(
                413,
                f"The body exceeds the limit of {limit} bytes. Send smaller batches.",
                details={"limit_bytes": limit},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """Parse JSON with orjson; 400 with the parser's message when it is not JSON."""
    if not body:
        raise ApiError(400, "The request body is empty; expected JSON.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", code="invalid_json") from None


def _column(name: str, values: list[Any]) -> pa.Array:
    try:
        array = pa.array(values)
        if not pa.types.is_nested(array.type):
            return array
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        pass
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool | int) for v in present):  # booleans mixed with 0/1
        try:
            return pa.array([None if v is None else int(v) for v in values], pa.int64())
        except OverflowError:
            pass
    # Mixed kinds: keep every value as text, so validation rejects the bad rows one by one.
    as_text = [
        None if v is None else v if isinstance(v, str) else orjson.dumps(v).decode() for v in values
    ]
    return pa.array(as_text, pa.string())


def _check_size(n_rows: int, n_columns: int, max_rows: int) -> None:
    if n_rows > max_rows:
        raise ApiError(
            413,
            f"The batch has {n_rows} rows; the limit is {max_rows} per request.",
            details={"limit_rows": max_rows, "rows": n_rows},
        )
    if n_columns > MAX_COLUMNS:
        raise ApiError(400, f"The batch has {n_columns} columns; the limit is {MAX_COLUMNS}.")


def table_from_json(data: Any, max_rows: int) -> pa.Table:
    """``{"records": [{col: value}, ...]}`` or ``{"columns": {col: [values]}}`` as a table."""
    if not isinstance(data, dict) or len(data.keys() & {"records", "columns"}) != 1:
        raise ApiError(
            400,
            'The JSON body must be an object with exactly one of "records" (a list of '
            'objects, one per row) or "columns" (an object of equal-length lists).',
        )
    if "records" in data:
        records = data["records"]
        if not isinstance(records, list):
            raise ApiError(400, '"records" must be a list of objects, one per row.')
        names: dict[str, None] = {}
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise ApiError(
                    400,
                    f'"records"[{i}] is a {type(record).__name__}; every record must be an '
                    "object mapping column names to values.",
                    details={"row": i},
                )
            names.update(dict.fromkeys(record))
            if len(names) > MAX_COLUMNS:
                break
        _check_size(len(records), len(names), max_rows)
        if not records:
            raise ApiError(400, '"records" is empty; send at least one row.')
        return pa.table({name: _column(name, [r.get(name) for r in records]) for name in names})
    columns = data["columns"]
    if not isinstance(columns, dict) or not columns:
        raise ApiError(400, '"columns" must be a non-empty object of column name to list.')
    lengths = {}
    for name, values in columns.items():
        if not isinstance(values, list):
            raise ApiError(400, f'"columns"[{name!r}] must be a list of values.')
        lengths[name] = len(values)
    if len(set(lengths.values())) != 1:
        raise ApiError(
            400, "Every column must have the same length; got lengths " + str(lengths) + "."
        )
    n_rows = next(iter(lengths.values()))
    _check_size(n_rows, len(columns), max_rows)
    if n_rows == 0:
        raise ApiError(400, '"columns" holds no rows; send at least one row.')
    return pa.table({name: _column(name, values) for name, values in columns.items()})


def table_from_arrow(body: bytes, max_rows: int) -> pa.Table:
    """An Arrow IPC stream body as a table (400 if it is not one)."""
    if not body:
        raise ApiError(400, "The request body is empty; expected an Arrow IPC stream.")
    try:
        with pa.ipc.open_stream(pa.py_buffer(body)) as reader:
            table = reader.read_all()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ApiError(
            400,
            f"The body is not a readable Arrow IPC stream: {exc}. Write it with "
            "pyarrow.ipc.new_stream (the stream format, not the file format).",
            code="invalid_arrow",
        ) from None
    _check_size(table.num_rows, table.num_columns, max_rows)
    return table


def table_from_parquet(body: bytes, max_rows: int) -> pa.Table:
    """A Parquet file body as a table (400 if it is not one)."""
    import pyarrow.parquet as pq

    if not body:
        raise ApiError(400, "The request body is empty; expected a Parquet file.")
    try:
        meta = pq.read_metadata(pa.BufferReader(body))
        _check_size(meta.num_rows, meta.num_columns, max_rows)
        table = pq.read_table(pa.BufferReader(body))
    except ApiError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ApiError(
            400, f"The body is not a readable Parquet file: {exc}.", code="invalid_parquet"
        ) from None
    return table
