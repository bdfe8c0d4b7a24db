"""Columnar validation of a prediction batch against a version schema.

Every check runs over whole Arrow columns (pyarrow.compute / numpy) and yields a boolean
"bad" mask with a reason; only the rejected rows are visited one by one, to list their
reasons. The output is a normalized table: ``prediction_id`` (string, null where it must
be generated), ``timestamp`` (``timestamp[us, UTC]``), the features (float64, string or
bool), then ``score`` and/or ``prediction`` (float64).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import SchemaMismatchError, UnsupportedInputError
from driftline.store._schema import VersionSchema

__all__ = ["ValidatedBatch", "validate_batch"]

MAX_ID_LENGTH: Final = 128
_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$"
_ZONED = r"(Z|[+-]\d{2}:?\d{2})$"
_TS: Final = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ValidatedBatch:
    """A normalized batch, which rows are valid, and why the others are not."""

    table: pa.Table
    valid: np.ndarray
    reasons: dict[int, list[str]]


class _Checks:
    def __init__(self, n: int) -> None:
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[tuple[np.ndarray, str]] = []

    def add(self, mask: pa.Array | pa.ChunkedArray | np.ndarray, reason: str) -> None:
        if not isinstance(mask, np.ndarray):
            mask = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            self.bad |= mask
            self.found.append((mask, reason))

    def reasons(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for mask, reason in self.found:
            for row in np.flatnonzero(mask).tolist():
                out.setdefault(row, []).append(reason)
        return out


def _all_finite(col: pa.ChunkedArray | pa.Array) -> bool:
    """True if a float64 column has no null, NaN or infinity (one numpy pass, no copy)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    for chunk in chunks:
        if chunk.null_count or not np.isfinite(chunk.to_numpy(zero_copy_only=True)).all():
            return False
    return True


def _as_float(col: pa.ChunkedArray, name: str, checks: _Checks) -> pa.ChunkedArray:
    dtype = col.type
    if pa.types.is_float64(dtype) and _all_finite(col):
        return col  # the common case: nothing to convert, flag or null out
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        matches = pc.match_substring_regex(col, _NUMBER)
        checks.add(pc.and_(pc.is_valid(col), pc.invert(matches)), f"{name}: not a number")
        col = pc.cast(pc.if_else(matches, pc.utf8_trim_whitespace(col), None), pa.float64())
    elif pa.types.is_dictionary(dtype):
        return _as_float(pc.cast(col, pa.string()), name, checks)
    elif (
        pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_decimal(dtype)
        or pa.types.is_null(dtype)
    ):
        col = pc.cast(col, pa.float64(), safe=False)
    else:
        raise SchemaMismatchError(
            f"Column {name!r} must be numeric (or numeric strings); got Arrow type {dtype}."
        )
    checks.add(pc.is_inf(col), f"{name}: not finite")
    # NaN is a missing value, stored as null; infinities were rejected above.
    return pc.if_else(pc.or_(pc.is_nan(col), pc.is_inf(col)), None, col)


def _as_string(col: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    dtype = col.type
    if pa.types.is_dictionary(dtype) or pa.types.is_large_string(dtype):
        return pc.cast(col, pa.string())
    if pa.types.is_string(dtype):
        return col
    if (
        pa.types.is_integer(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_null(dtype)
        or pa.types.is_floating(dtype)
    ):
        return pc.cast(col, pa.string())
    raise SchemaMismatchError(
        f"Column {name!r} must be categorical (strings, integers or booleans); got {dtype}."
    )


def _as_bool(col: pa.ChunkedArray, name: str, checks: _Checks) -> pa.ChunkedArray:
    dtype = col.type
    if pa.types.is_boolean(dtype) or pa.types.is_null(dtype):
        return pc.cast(col, pa.bool_())
    if pa.types.is_integer(dtype):
        known = pc.is_in(col, pa.array([0, 1], dtype))
        checks.add(pc.and_(pc.is_valid(col), pc.invert(known)), f"{name}: not 0 or 1")
        return pc.cast(pc.if_else(known, col, None), pa.bool_())
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        lowered = pc.utf8_lower(col)
        known = pc.is_in(lowered, pa.array(["true", "false"]))
        checks.add(pc.and_(pc.is_valid(col), pc.invert(known)), f"{name}: not true or false")
        return pc.equal(pc.if_else(known, lowered, None), "true")
    raise SchemaMismatchError(f"Column {name!r} must be boolean; got Arrow type {dtype}.")


def _strings_to_timestamps(col: pa.Array, name: str, checks: _Checks) -> pa.Array:
    iso = pc.match_substring_regex(col, _ISO)
    checks.add(pc.and_(pc.is_valid(col), pc.invert(iso)), f"{name}: not an ISO 8601 timestamp")
    text = pc.if_else(iso, pc.replace_substring(col, " ", "T", max_replacements=1), None)
    zoned = pc.fill_null(pc.match_substring_regex(text, _ZONED), False)
    try:
        with_zone = pc.cast(pc.if_else(zoned, text, None), _TS)
        naive = pc.cast(pc.cast(pc.if_else(zoned, None, text), pa.timestamp("us")), _TS)
        return pc.if_else(zoned, with_zone, naive)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Slow path, only for batches holding a well-formed but impossible date.
    values: list[datetime | None] = []
    bad = np.zeros(len(col), dtype=bool)
    for i, item in enumerate(text.to_pylist()):
        try:
            parsed = None if item is None else datetime.fromisoformat(item)
        except ValueError:
            parsed, bad[i] = None, True
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        values.append(parsed)
    checks.add(bad, f"{name}: not a valid date and time")
    return pa.array(values, type=_TS)


def _as_timestamp(col: pa.ChunkedArray, name: str, checks: _Checks) -> pa.Array:
    arr = col.combine_chunks()
    dtype = arr.type
    if pa.types.is_timestamp(dtype):
        if dtype.tz is None:
            arr = pc.assume_timezone(arr, "UTC")
        out = pc.cast(arr, _TS)
    elif pa.types.is_date(dtype):
        out = pc.cast(pc.cast(arr, pa.timestamp("us")), _TS)
    elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        out = _strings_to_timestamps(pc.cast(arr, pa.string()), name, checks)
    elif pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        seconds = pc.cast(arr, pa.float64())
        bad = pc.or_(pc.is_nan(seconds), pc.is_inf(seconds))
        bad = pc.or_(bad, pc.greater(pc.abs(seconds), 253402300799.0))
        checks.add(bad, f"{name}: not a valid Unix time in seconds")
        micros = pc.cast(pc.round(pc.multiply(pc.if_else(bad, None, seconds), 1e6)), pa.int64())
        out = pc.cast(micros, _TS)
    elif pa.types.is_null(dtype):
        out = pa.nulls(len(arr), _TS)
    else:
        raise SchemaMismatchError(
            f"Column {name!r} must hold timestamps, ISO 8601 strings or Unix seconds; got {dtype}."
        )
    checks.add(pc.is_null(arr), f"{name}: missing")
    return out


def _as_datetime_or_text_feature(
    col: pa.ChunkedArray, name: str, kind: str, checks: _Checks
) -> pa.Array | pa.ChunkedArray:
    """A datetime feature as ``timestamp[us, UTC]`` (a missing value is allowed, unlike
    the row timestamp's), a text feature as strings."""
    if kind == "text":
        return _as_string(col, name)
    if pa.types.is_null(col.type):
        return pa.nulls(len(col), _TS)
    present = pc.is_valid(col)
    found = _Checks(len(col))
    out = _as_timestamp(col, name, found)
    for mask, reason in found.found:
        if not reason.endswith(": missing"):
            checks.add(
                mask & np.asarray(present.to_numpy(zero_copy_only=False), dtype=bool), reason
            )
    return out


def _as_ids(col: pa.ChunkedArray, name: str, checks: _Checks) -> pa.ChunkedArray:
    ids = _as_string(col, name)
    length = pc.utf8_length(ids)
    checks.add(pc.equal(length, 0), f"{name}: empty")
    checks.add(pc.greater(length, MAX_ID_LENGTH), f"{name}: longer than {MAX_ID_LENGTH}")
    return ids


def _table(data: object) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    raise UnsupportedInputError(
        f"A prediction batch must be a pyarrow.Table or RecordBatch; got {type(data).__name__}."
    )


def validate_batch(schema: VersionSchema, data: object, *, now: datetime) -> ValidatedBatch:
    """Normalize ``data`` to the schema and find the rows that break it.

    >>> import pyarrow as pa
    >>> schema = VersionSchema({"x": "numeric"})
    >>> t = pa.table({"x": ["1.5", "abc"], "score": [0.2, 1.7]})
    >>> out = validate_batch(schema, t, now=datetime(2024, 1, 1, tzinfo=UTC))
    >>> out.valid.tolist(), out.reasons
    ([True, False], {1: ['x: not a number', 'score: outside [0, 1]']})
    """
    table = _table(data)
    n = table.num_rows
    names = set(table.column_names)
    missing = [c for c in schema.features if c not in names]
    if missing:
        raise SchemaMismatchError(
            f"The batch lacks the feature column(s) {missing}; the version's schema needs "
            f"{list(schema.features)}."
        )
    outputs = [c for c in (schema.score_column, schema.prediction_column) if c in names]
    if not outputs:
        wanted = [c for c in (schema.score_column, schema.prediction_column) if c]
        raise SchemaMismatchError(f"The batch needs a score or prediction column ({wanted}).")
    checks = _Checks(n)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    if schema.id_column in names:
        columns["prediction_id"] = _as_ids(table[schema.id_column], schema.id_column, checks)
    else:
        columns["prediction_id"] = pa.nulls(n, pa.string())
    if schema.timestamp_column in names:
        ts_col = table[schema.timestamp_column]
        columns["timestamp"] = _as_timestamp(ts_col, schema.timestamp_column, checks)
    else:
        columns["timestamp"] = pa.array(np.full(n, now), type=_TS)
    for name, kind in schema.features.items():
        col = table[name]
        if kind == "numeric":
            columns[name] = _as_float(col, name, checks)
        elif kind == "categorical":
            columns[name] = _as_string(col, name)
        elif kind in ("datetime", "text"):
            columns[name] = _as_datetime_or_text_feature(col, name, kind, checks)
        else:
            columns[name] = _as_bool(col, name, checks)
    for role, source in (("score", schema.score_column), ("prediction", schema.prediction_column)):
        if source is not None and source in names:
            columns[role] = _as_float(table[source], source, checks)
    if "score" in columns and schema.task == "binary":
        score = columns["score"]
        outside = pc.or_(pc.less(score, 0.0), pc.greater(score, 1.0))
        checks.add(outside, f"{schema.score_column}: outside [0, 1]")
    present = [pc.is_valid(columns[c]) for c in ("score", "prediction") if c in columns]
    has_output = present[0] if len(present) == 1 else pc.or_(present[0], present[1])
    # Only for rows whose score/prediction was absent, not already rejected as invalid.
    no_output = ~np.asarray(has_output.to_numpy(zero_copy_only=False), dtype=bool)
    checks.add(no_output & ~checks.bad, "no score and no prediction")
    normalized = pa.table(columns)
    return ValidatedBatch(table=normalized, valid=~checks.bad, reasons=checks.reasons())
