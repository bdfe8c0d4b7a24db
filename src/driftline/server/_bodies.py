"""Request bodies → ``pyarrow.Table``, columnar: JSON (orjson); the limits every body obeys.

JSON ``{"records": [...]}`` is turned into one Python list per column (no object per
row); a column whose values Arrow cannot type as one kind (``[1.5, "abc"]``) is kept as
strings, so that the schema validation rejects only the bad rows, with their reasons.
Arrow IPC and Parquet bodies are read by :mod:`driftline.server._binary`.

Every table, whatever its format, then passes :func:`check_table`: no more rows than
``max_rows_per_request``, no duplicate column names, no string longer than
``max_string_bytes``, and a decoded size (dictionaries expanded, as validation will
expand them) within ``max_decoded_bytes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from driftline._config import Settings
from driftline.server._errors import ApiError

__all__ = [
    "ARROW_TYPES",
    "JSON_TYPES",
    "MAX_COLUMNS",
    "MAX_JSON_DEPTH",
    "PARQUET_TYPES",
    "PROFILE_TYPES",
    "BodyLimits",
    "check_names",
    "check_rows",
    "check_table",
    "is_text",
    "media_type",
    "parse_json",
    "read_body",
    "table_from_json",
    "too_large",
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
MAX_JSON_DEPTH: Final = 32  # for a value inside a record or column (a scalar is expected)


@dataclass(frozen=True)
class BodyLimits:
    """The limits of one request body (from the server settings)."""

    max_rows: int
    max_decoded_bytes: int
    max_string_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> BodyLimits:
        """The limits configured in ``settings``."""
        return cls(
            settings.max_rows_per_request, settings.max_decoded_bytes, settings.max_string_bytes
        )


def too_large(message: str, **details: Any) -> ApiError:
    """A 413 answer saying which limit was passed."""
    return ApiError(413, message, details=details or None)


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
            raise too_large(
                f"The body is {size} bytes; the limit is {limit} bytes. Send smaller batches.",
                limit_bytes=limit,
                content_length=size,
            )
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(
                f"The body exceeds the limit of {limit} bytes. Send smaller batches.",
                limit_bytes=limit,
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


def check_rows(n_rows: int, n_columns: int, max_rows: int) -> None:
    """413 above ``max_rows`` rows; 400 above :data:`MAX_COLUMNS` columns."""
    if n_rows > max_rows:
        raise too_large(
            f"The batch has {n_rows} rows; the limit is {max_rows} per request. Send smaller "
            "batches.",
            limit_rows=max_rows,
            rows=n_rows,
        )
    if n_columns > MAX_COLUMNS:
        raise ApiError(400, f"The batch has {n_columns} columns; the limit is {MAX_COLUMNS}.")


def check_names(names: list[str]) -> None:
    """400 when two columns share a name (which one would be meant is ambiguous)."""
    if len(set(names)) != len(names):
        repeated = sorted(n for n, k in Counter(names).items() if k > 1)
        raise ApiError(
            400,
            f"The body has duplicate column names {repeated}; every column needs its own name.",
            code="duplicate_columns",
            details={"columns": repeated},
        )


def _string_column(name: str, values: pa.Array, limit: int) -> int:
    """The bytes of a string/binary array; 413 if a value is longer than ``limit``."""
    longest = pc.max(pc.binary_length(values)).as_py() or 0
    if longest > limit:
        raise too_large(
            f"Column {name!r} holds a value of {longest} bytes; the limit is {limit} bytes per "
            "value (max_string_bytes).",
            column=name,
            limit_bytes=limit,
            value_bytes=longest,
        )
    return int(values.nbytes)


def _decoded_bytes(name: str, column: pa.ChunkedArray, limits: BodyLimits) -> int:
    """What the column costs once dictionaries are expanded (validation expands them)."""
    dtype = column.type
    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(dtype):
            dictionary, indices = chunk.dictionary, chunk.indices
            if is_text(dictionary.type):
                _string_column(name, dictionary, limits.max_string_bytes)
                lengths = pc.binary_length(dictionary).cast(pa.int64())
                total += int(pc.sum(pc.take(lengths, indices)).as_py() or 0)
                total += 8 * len(chunk)  # offsets and validity, roughly
            else:
                total += int(indices.nbytes) + len(chunk) * 8
        elif is_text(dtype):
            total += _string_column(name, chunk, limits.max_string_bytes)
        else:
            total += int(chunk.nbytes)
    return total


def is_text(dtype: pa.DataType) -> bool:
    """Whether ``dtype`` is a string or binary type (offsets and bytes)."""
    return bool(
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_binary(dtype)
        or pa.types.is_large_binary(dtype)
    )


def check_table(table: pa.Table, limits: BodyLimits) -> pa.Table:
    """Refuse a table over the limits (413) or with duplicate column names (400).

    Only for tables already validated (``Table.validate(full=True)``) or built here.
    """
    check_rows(table.num_rows, table.num_columns, limits.max_rows)
    check_names(table.column_names)
    total = 0
    for name, column in zip(table.column_names, table.columns, strict=True):
        total += _decoded_bytes(name, column, limits)
        if total > limits.max_decoded_bytes:
            raise too_large(
                f"The body decodes to more than {limits.max_decoded_bytes} bytes "
                "(max_decoded_bytes; dictionary-encoded strings count expanded). Send smaller "
                "batches.",
                limit_decoded_bytes=limits.max_decoded_bytes,
            )
    return table


def _depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests (1 for a flat list or object), counting up to ``limit``."""
    deepest, level = 0, [value]
    while level and deepest <= limit:
        deepest += 1
        level = [
            item
            for v in level
            for item in (v.values() if isinstance(v, dict) else v)
            if isinstance(item, list | dict)
        ]
    return deepest


def _as_text(name: str, value: Any) -> str:
    if isinstance(value, list | dict) and _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise ApiError(
            400,
            f"Column {name!r} holds a value nested deeper than {MAX_JSON_DEPTH} levels; "
            "values must be scalars (numbers, strings, booleans or null).",
            code="invalid_json",
        )
    return orjson.dumps(value).decode()


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
        except (OverflowError, pa.ArrowInvalid):  # an integer beyond int64: kept as text
            pass
    # Mixed kinds: keep every value as text, so validation rejects the bad rows one by one.
    as_text = [
        None if v is None else v if isinstance(v, str) else _as_text(name, v) for v in values
    ]
    return pa.array(as_text, pa.string())


def table_from_json(data: Any, limits: BodyLimits) -> pa.Table:
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
        check_rows(len(records), len(names), limits.max_rows)
        if not records:
            raise ApiError(400, '"records" is empty; send at least one row.')
        table = pa.table({name: _column(name, [r.get(name) for r in records]) for name in names})
        return check_table(table, limits)
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
    check_rows(n_rows, len(columns), limits.max_rows)
    if n_rows == 0:
        raise ApiError(400, '"columns" holds no rows; send at least one row.')
    table = pa.table({name: _column(name, values) for name, values in columns.items()})
    return check_table(table, limits)
