"""Reading a column's values as its kind: numbers, booleans, timestamps, strings.

One set of parsers for every path: the CSV reader types its columns with them, profiles
and drift read in-memory string columns with them. A value that cannot be read as the
column's kind becomes missing and is counted (the count is returned), never fatal.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline._params import Options, validate_params
from driftline.tabular._kinds import KINDS, ColumnKind, is_string_type
from driftline.tabular._patterns import (
    DATETIME_RE,
    FALSE_TEXT,
    INTEGER_RE,
    NAN_RE,
    NUMBER_RE,
    TRUE_TEXT,
    ZONED_RE,
)

__all__ = [
    "boolean_values",
    "numeric_values",
    "parse_booleans",
    "parse_datetimes",
    "parse_numbers",
    "string_values",
]

_SECONDS: Final = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
_UTC: Final = pa.timestamp("us", tz="UTC")
_NAIVE: Final = pa.timestamp("us")

Column: TypeAlias = pa.Array | pa.ChunkedArray


def _contiguous(arr: Column) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return arr


def _decode(arr: pa.Array) -> pa.Array:
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _count(mask: pa.Array) -> int:
    return int(pc.sum(mask).as_py() or 0)


def parse_numbers(strings: Column, *, integers: bool = False) -> tuple[Column, int]:
    """Strings as float64 (or int64 when ``integers`` and every value is a whole number
    that fits), and how many present values are not numbers (they become null).

    >>> values, n_bad = parse_numbers(pa.array([" 1.5", "oops", None, "nan", "-2e3"]))
    >>> values.to_pylist()[:3], n_bad
    ([1.5, None, None], 1)
    >>> parse_numbers(pa.array(["12", "-4", None]), integers=True)[0].type
    DataType(int64)
    """
    arr = strings  # chunk by chunk: no copy of the text
    integers = integers and arr.null_count < len(arr)  # no value: no reason for integers
    clean = _cast_numbers(arr, integers)  # the common case: every value is a plain number
    if clean is not None:
        return clean, 0
    arr = pc.utf8_trim_whitespace(arr)
    ok = pc.match_substring_regex(arr, NUMBER_RE)
    n_bad = _count(pc.and_(pc.is_valid(arr), pc.invert(ok)))
    text = pc.replace_substring_regex(pc.if_else(ok, arr, pa.scalar(None, arr.type)), r"^\+", "")
    return _cast_numbers(text, integers) or pc.cast(text, pa.float64()), n_bad


def _cast_numbers(arr: Column, integers: bool) -> Column | None:
    """Arrow's own parse (int64 first when ``integers`` and the first values are whole
    numbers), or None if a value does not fit."""
    head = pc.drop_null(arr.slice(0, 1000))
    whole = integers and bool(pc.all(pc.match_substring_regex(head, INTEGER_RE)).as_py())
    targets = (pa.int64(), pa.float64()) if whole else (pa.float64(),)
    for target in targets:
        try:
            return pc.cast(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


def parse_booleans(strings: Column) -> tuple[Column, int]:
    """Strings as booleans (true/t/yes/y/1, false/f/no/n/0, any case) and the count of
    present values that are neither.

    >>> parse_booleans(pa.array(["True", "no", "maybe", None]))[0].to_pylist()
    [True, False, None, None]
    """
    arr = pc.utf8_lower(pc.utf8_trim_whitespace(strings))
    yes = pc.is_in(arr, value_set=pa.array(TRUE_TEXT, arr.type))
    no = pc.is_in(arr, value_set=pa.array(FALSE_TEXT, arr.type))
    out = pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
    return out, out.null_count - arr.null_count


def parse_datetimes(strings: Column) -> tuple[Column, int]:
    """Strings as timestamps (microseconds) and the count of present values that are not.

    ISO 8601 dates and timestamps are read by Arrow; other spellings by pandas
    (``format="mixed"``). When any value carries a zone the result is UTC
    (``timestamp[us, tz=UTC]``, zone-less values taken as UTC); otherwise it is naive.

    >>> ts, n_bad = parse_datetimes(pa.array(["2024-01-05", "2024-01-05T10:00:00Z", "x"]))
    >>> ts.type, n_bad
    (TimestampType(timestamp[us, tz=UTC]), 1)
    """
    arr = pc.utf8_trim_whitespace(pc.cast(strings, pa.large_string()))
    iso = pc.fill_null(pc.match_substring_regex(arr, DATETIME_RE), False)
    zoned = pc.fill_null(pc.match_substring_regex(arr, ZONED_RE), False)
    has_zone = bool(pc.any(zoned).as_py())
    none = pa.scalar(None, arr.type)
    try:
        naive = pc.cast(pc.if_else(pc.and_(iso, pc.invert(zoned)), arr, none), _NAIVE)
        if has_zone:
            with_zone = pc.cast(pc.if_else(zoned, arr, none), _UTC)
            out = pc.if_else(zoned, with_zone, pc.assume_timezone(naive, "UTC"))
        else:
            out = naive
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = _pandas_datetimes(pc.if_else(iso, arr, none), utc=has_zone)
    rest = pc.and_(pc.is_valid(arr), pc.invert(iso))
    if _count(rest):  # other spellings, or impossible dates: pandas, value by value
        other = _pandas_datetimes(pc.if_else(rest, arr, none), utc=has_zone)
        out = pc.if_else(rest, other, out)
    return out, out.null_count - arr.null_count


def _pandas_datetimes(arr: Column, *, utc: bool) -> pa.Array:
    import pandas as pd

    series = pd.Series(arr.to_pylist(), dtype=object)
    parsed = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
    if not utc:
        parsed = parsed.dt.tz_localize(None)
    return pc.cast(pa.array(parsed, from_pandas=True), _UTC if utc else _NAIVE)


def _floats(arr: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]]:
    if not pa.types.is_float64(arr.type):
        arr = pc.cast(arr, pa.float64())
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)


def _seconds(arr: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]]:
    t = arr.type
    if pa.types.is_timestamp(t):
        return _floats(pc.cast(arr, pa.int64())) / _SECONDS[t.unit]
    if pa.types.is_date32(t):
        return _floats(pc.cast(arr, pa.int32())) * 86400.0
    if pa.types.is_date64(t):
        return _floats(pc.cast(arr, pa.int64())) / 1e3
    if pa.types.is_duration(t):
        return _floats(pc.cast(arr, pa.int64())) / _SECONDS[t.unit]
    raise TypeError(f"not a temporal type: {t}")


@validate_params({"kind": [Options(*KINDS)]})
def numeric_values(arr: Column, kind: ColumnKind) -> np.ndarray[Any, np.dtype[np.float64]]:
    """float64 values of a numeric or datetime column, NaN where missing or unreadable.

    Datetimes become seconds since the epoch (UTC); strings are parsed as ``kind``.

    >>> numeric_values(pa.array(["1.5", None, "x"]), "numeric").tolist()
    [1.5, nan, nan]
    >>> numeric_values(pa.array(["1970-01-02"]), "datetime").tolist()
    [86400.0]
    """
    arr = _decode(_contiguous(arr))
    t = arr.type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
        return _floats(arr)
    if pa.types.is_boolean(t):
        return _floats(pc.cast(arr, pa.float64()))
    if pa.types.is_temporal(t) and not pa.types.is_time(t):
        return _seconds(arr)
    if is_string_type(t):
        if kind == "datetime":
            return _seconds(parse_datetimes(arr)[0])
        return _floats(parse_numbers(arr)[0])
    return np.full(len(arr), np.nan)


def nan_text_count(arr: Column) -> int:
    """Present string values that spell NaN (a value, not an unreadable one).

    >>> nan_text_count(pa.array(["nan", "1", " NaN "]))
    2
    """
    return _count(pc.match_substring_regex(arr, NAN_RE))


def string_values(arr: Column) -> pa.Array | pa.ChunkedArray:
    """Values as ``large_string`` (dictionaries decoded; numbers and others as text).

    Chunked string columns stay chunked (no copy).

    >>> string_values(pa.array([1, None, 3])).to_pylist()
    ['1', None, '3']
    """
    if isinstance(arr, pa.ChunkedArray) and pa.types.is_dictionary(arr.type):
        arr = arr.combine_chunks()
    if isinstance(arr, pa.Array):
        arr = _decode(arr)
    if pa.types.is_large_string(arr.type):
        return arr
    try:
        return pc.cast(arr, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        items = arr.to_pylist()
        return pa.array([None if v is None else str(v) for v in items], type=pa.large_string())


def boolean_values(arr: Column) -> pa.Array:
    """Values as booleans: strings parsed (:func:`parse_booleans`), numbers 1/0, else null.

    >>> boolean_values(pa.array([1, 0, 2])).to_pylist()
    [True, False, None]
    """
    arr = _decode(_contiguous(arr))
    t = arr.type
    if pa.types.is_boolean(t):
        return arr
    if is_string_type(t):
        return parse_booleans(arr)[0]
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        yes, no = pc.equal(arr, 1), pc.equal(arr, 0)
        return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
    return pa.nulls(len(arr), type=pa.bool_())
