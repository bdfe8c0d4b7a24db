"""Prediction timestamps: any accepted encoding to ``timestamp[us, UTC]``, range-checked.

A timestamp is accepted when it lies in [``MIN_TIMESTAMP``, ``MAX_TIMESTAMP``): every such
moment, and the end of a window of up to a year that starts at it, fits a Python
``datetime``, an int64 count of microseconds and both databases. Values outside, and
values that cannot be read, are rejected row by row (never with an overflow that would
lose the batch): the range is checked in each encoding's own unit *before* any conversion
that could overflow. Sub-microsecond digits (``timestamp[ns]``) are truncated toward the
past.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import SchemaMismatchError

__all__ = ["MAX_TIMESTAMP", "MIN_TIMESTAMP", "RANGE_TEXT", "TIMESTAMP_TYPE", "to_timestamps"]

MIN_TIMESTAMP: Final = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP: Final = datetime(3000, 1, 1, tzinfo=UTC)
RANGE_TEXT: Final = "outside the supported range 1900-01-01 to 2999-12-31 (UTC)"
TIMESTAMP_TYPE: Final = pa.timestamp("us", tz="UTC")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_US: Final = (MIN_TIMESTAMP - _EPOCH) // timedelta(microseconds=1)
_MAX_US: Final = (MAX_TIMESTAMP - _EPOCH) // timedelta(microseconds=1)  # exclusive
# microseconds per unit (nanoseconds are divided instead)
_PER_UNIT: Final = {"days": 86_400_000_000, "s": 1_000_000, "ms": 1_000, "us": 1}
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$"
_ZONED = r"(Z|[+-]\d{2}:?\d{2})$"

Flag = Callable[[np.ndarray, str], None]


def _bounded(values: np.ndarray, valid: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Which of ``values`` (int64, in one unit) are valid and within [lo, hi)."""
    return valid & (values >= lo) & (values < hi)


def _from_units(arr: pa.Array, unit: str, flag: Flag, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integers counted in ``unit`` since the epoch -> (micros, ok), range-checked first."""
    valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False))
    if unit == "ns":
        lo, hi = _MIN_US * 1000, _MAX_US * 1000
    else:
        per = _PER_UNIT[unit]
        lo, hi = -(-_MIN_US // per), -(-_MAX_US // per)  # ceil: the first unit inside
    ok = _bounded(values, valid, lo, hi)
    flag(valid & ~ok, f"{name}: {RANGE_TEXT}")
    safe = np.where(ok, values, 0)
    micros = safe // 1000 if unit == "ns" else safe * _PER_UNIT[unit]
    return micros, ok


def _from_strings(arr: pa.Array, flag: Flag, name: str) -> tuple[np.ndarray, np.ndarray]:
    valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    iso = pc.fill_null(pc.match_substring_regex(arr, _ISO), False)
    iso_np = np.asarray(iso.to_numpy(zero_copy_only=False), dtype=bool)
    flag(valid & ~iso_np, f"{name}: not an ISO 8601 timestamp")
    text = pc.if_else(iso, pc.replace_substring(arr, " ", "T", max_replacements=1), None)
    zoned = pc.fill_null(pc.match_substring_regex(text, _ZONED), False)
    try:
        with_zone = pc.cast(pc.if_else(zoned, text, None), TIMESTAMP_TYPE)
        naive = pc.cast(pc.cast(pc.if_else(zoned, None, text), pa.timestamp("us")), TIMESTAMP_TYPE)
        parsed = pc.if_else(zoned, with_zone, naive)
        return _from_units(parsed, "us", flag, name)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Slow path, only for batches holding a well-formed but impossible date.
    micros = np.zeros(len(arr), dtype=np.int64)
    ok = np.zeros(len(arr), dtype=bool)
    bad = np.zeros(len(arr), dtype=bool)
    outside = np.zeros(len(arr), dtype=bool)
    for i, item in enumerate(text.to_pylist()):
        if item is None:
            continue
        try:
            parsed_one = datetime.fromisoformat(item)
            if parsed_one.tzinfo is None:
                parsed_one = parsed_one.replace(tzinfo=UTC)
            if not MIN_TIMESTAMP <= parsed_one < MAX_TIMESTAMP:
                outside[i] = True
                continue
        except (ValueError, OverflowError):
            bad[i] = True
            continue
        micros[i] = (parsed_one - _EPOCH) // timedelta(microseconds=1)
        ok[i] = True
    flag(bad, f"{name}: not a valid date and time")
    flag(outside, f"{name}: {RANGE_TEXT}")
    return micros, ok


def _from_seconds(arr: pa.Array, flag: Flag, name: str) -> tuple[np.ndarray, np.ndarray]:
    seconds = np.asarray(
        pc.fill_null(pc.cast(arr, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    )
    valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    finite = valid & np.isfinite(seconds)
    flag(valid & ~finite, f"{name}: not a valid Unix time in seconds")
    with np.errstate(invalid="ignore"):
        ok = finite & (seconds >= _MIN_US / 1e6) & (seconds < _MAX_US / 1e6)
    flag(finite & ~ok, f"{name}: {RANGE_TEXT}")
    micros = np.round(np.where(ok, seconds, 0.0) * 1e6).astype(np.int64)
    return micros, ok


def to_timestamps(col: pa.ChunkedArray, name: str, flag: Flag) -> pa.Array:
    """``col`` (timestamps, dates, ISO 8601 strings or Unix seconds) as ``timestamp[us, UTC]``.

    ``flag(mask, reason)`` receives the rows that are rejected (a boolean mask, possibly
    all False), with the reason; they are null in the result. Naive timestamps and ISO
    strings without an offset are UTC.

    >>> found = []
    >>> def flag(mask, why):
    ...     if mask.any():
    ...         found.append((mask.tolist(), why))
    >>> out = to_timestamps(pa.chunked_array([["2024-01-01T00:00:00+01:00", "9999-12-31"]]),
    ...                     "ts", flag)
    >>> out.to_pylist()[0].isoformat()
    '2023-12-31T23:00:00+00:00'
    >>> found
    [([False, True], 'ts: outside the supported range 1900-01-01 to 2999-12-31 (UTC)')]
    """
    arr = col.combine_chunks()
    dtype = arr.type
    if len(arr) == 0:
        return pa.array([], TIMESTAMP_TYPE)
    if dtype == TIMESTAMP_TYPE and arr.null_count == 0:
        ints = arr.cast(pa.int64())  # the common case: one pass for the range, no copy
        low, high = pc.min_max(ints).values()
        if low.as_py() >= _MIN_US and high.as_py() < _MAX_US:
            return arr
    if pa.types.is_timestamp(dtype):  # naive and zoned values both count from the UTC epoch
        micros, ok = _from_units(arr, dtype.unit, flag, name)
    elif pa.types.is_date32(dtype):
        micros, ok = _from_units(arr.cast(pa.int32()).cast(pa.int64()), "days", flag, name)
    elif pa.types.is_date64(dtype):
        micros, ok = _from_units(arr.cast(pa.int64()), "ms", flag, name)
    elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        micros, ok = _from_strings(arr.cast(pa.string()), flag, name)
    elif pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        micros, ok = _from_seconds(arr, flag, name)
    elif pa.types.is_null(dtype):
        micros, ok = np.zeros(len(arr), dtype=np.int64), np.zeros(len(arr), dtype=bool)
    else:
        raise SchemaMismatchError(
            f"Column {name!r} must hold timestamps, ISO 8601 strings or Unix seconds; got {dtype}."
        )
    flag(np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool), f"{name}: missing")
    return pa.array(micros, pa.int64(), mask=~ok).cast(TIMESTAMP_TYPE)
