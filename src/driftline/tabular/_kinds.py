"""The column-kind rule, once: from an Arrow field (and, for strings, a sample of values).

Every part of driftline that needs to know whether a column is numeric, categorical,
boolean, datetime or text asks :func:`infer_kind`: profiles, drift, the store's version
schemas, the client and the CLI. A kind fixed by a schema travels with the column as
field metadata (:data:`KIND_KEY`) and wins over inference.
"""

from __future__ import annotations

import warnings
from typing import Final, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from driftline._params import Options, check
from driftline.exceptions import DataWarning
from driftline.tabular._patterns import (
    BOOLEAN_TEXT,
    DATETIME_RE,
    FORMATTED_NUMBER_RE,
    HAS_SEPARATOR_RE,
    INTEGER_RE,
    LEADING_ZERO_RE,
    NUMBER_RE,
)

__all__ = [
    "KINDS",
    "KIND_KEY",
    "ColumnKind",
    "check_kind",
    "infer_kind",
    "is_string_type",
    "kind_of_field",
    "kind_of_type",
    "numeric_looking",
]

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text"]
#: Every column kind, in a stable order.
KINDS: Final[tuple[ColumnKind, ...]] = get_args(ColumnKind)
#: Field-metadata key carrying a column's kind when a schema or a file reader fixed it.
KIND_KEY: Final = b"driftline.kind"

#: Share of a string sample that must parse as a kind for the column to take that kind.
PARSE_SHARE: Final = 0.95
#: Strings of at least this mean length (UTF-8 bytes) are ``text``, not ``categorical``.
TEXT_MEAN_BYTES: Final = 32
#: Values of a string column looked at to infer its kind (the first non-null ones).
SAMPLE: Final = 1000
#: A "categorical" column with at least this many distinct values in the sample whose
#: values look like formatted numbers raises a :class:`DataWarning`.
NUMERIC_LOOKING_DISTINCT: Final = 20
_NUMERIC_LOOKING_SHARE: Final = 0.9


def check_kind(value: object, *, parameter: str) -> ColumnKind:
    """Validate a column kind, naming ``parameter`` in the error.

    >>> check_kind("numeric", parameter="kind")
    'numeric'
    >>> check_kind("float", parameter="schema['x']")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The "schema['x']" parameter must be a str among {'numeric', 'categorical', 'boolean', 'datetime', 'text'}. Got 'float' instead.
    """
    return check(None, parameter, value, Options(*KINDS))  # type: ignore[no-any-return]


def is_string_type(t: pa.DataType) -> bool:
    """True for Arrow string types (``string``, ``large_string``, ``string_view``)."""
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def kind_of_type(t: pa.DataType) -> ColumnKind | None:
    """The kind an Arrow type implies, or None when the values must be looked at.

    Dictionary-encoded columns (pandas ``category``, Parquet dictionaries) are
    categorical whatever their values: integer codes that are categories stay categories.

    >>> kind_of_type(pa.decimal128(10, 2)), kind_of_type(pa.timestamp("us", tz="UTC"))
    ('numeric', 'datetime')
    >>> kind_of_type(pa.dictionary(pa.int8(), pa.int64())), kind_of_type(pa.string()) is None
    ('categorical', True)
    """
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_duration(t):
        return "numeric"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "datetime"
    if pa.types.is_dictionary(t):
        return "categorical"
    return None


def kind_of_field(field: pa.Field) -> ColumnKind | None:
    """The kind recorded in a field's metadata (by a schema or a file reader), if any.

    >>> kind_of_field(pa.field("zip", pa.int64(), metadata={KIND_KEY: b"categorical"}))
    'categorical'
    """
    meta = field.metadata or {}
    value = meta.get(KIND_KEY)
    if value is None:
        return None
    kind = value.decode()
    return kind if kind in KINDS else None


def _sample(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    head = pc.drop_null(arr.slice(0, 4 * SAMPLE))
    if len(head) < SAMPLE and len(head) < len(arr) - arr.null_count:
        head = pc.drop_null(arr)
    sample = head.slice(0, SAMPLE)
    if isinstance(sample, pa.ChunkedArray):
        sample = sample.combine_chunks()
    return pc.utf8_trim_whitespace(pc.cast(sample, pa.large_string()))


def _share(sample: pa.Array, pattern: str) -> float:
    matched = pc.sum(pc.match_substring_regex(sample, pattern)).as_py() or 0
    return float(matched) / len(sample)


def has_leading_zero(arr: pa.Array | pa.ChunkedArray) -> bool:
    """True when some value is a digit string with a leading zero (``"02139"``, ``"007"``).

    Such columns hold codes (zip codes, account numbers), not quantities.

    >>> has_leading_zero(pa.array(["2139", "02139"])), has_leading_zero(pa.array(["0", "0.5"]))
    (True, False)
    """
    return bool(pc.any(pc.match_substring_regex(arr, LEADING_ZERO_RE)).as_py())


def _string_kind(arr: pa.Array | pa.ChunkedArray) -> ColumnKind | None:
    if len(arr) == arr.null_count:
        return None
    sample = _sample(arr)
    if not len(sample):
        return None
    lowered = pc.utf8_lower(sample)
    if _share_in(lowered, BOOLEAN_TEXT) >= PARSE_SHARE:
        return "boolean"
    if _share(sample, DATETIME_RE) >= PARSE_SHARE:
        return "datetime"
    if _share(sample, NUMBER_RE) >= PARSE_SHARE:
        # Only digit strings can be codes; then any value of the column may show it.
        codes = _share(sample, INTEGER_RE) >= PARSE_SHARE and has_leading_zero(arr)
        return "categorical" if codes else "numeric"
    mean_len = (pc.sum(pc.binary_length(sample)).as_py() or 0) / len(sample)
    return "text" if mean_len >= TEXT_MEAN_BYTES else "categorical"


def _share_in(sample: pa.Array, values: tuple[str, ...]) -> float:
    hits = pc.equal(sample, values[0])
    for value in values[1:]:  # scalar comparisons: no Python list -> Arrow conversion
        hits = pc.or_(hits, pc.equal(sample, value))
    return float(pc.sum(hits).as_py() or 0) / len(sample)


def numeric_looking(arr: pa.Array | pa.ChunkedArray) -> str | None:
    """Why a string column read as categorical looks numeric, or None.

    A column with at least 20 distinct values in its sample, ≥ 90 % of which look like
    numbers written with thousands separators, a decimal comma or a currency or percent
    sign (``"1,303.48"``, ``"€ 12,50"``), is probably a number the reader did not parse.
    Plain digit strings (zip codes with leading zeros) are not reported.

    >>> prices = pa.array([f"{1000 + 7 * i:,}.50" for i in range(40)])
    >>> numeric_looking(prices)
    "40 distinct values, 100% of which look like formatted numbers (e.g. '1,000.50')"
    """
    if not is_string_type(arr.type) or len(arr) == arr.null_count:
        return None
    sample = _sample(arr)
    distinct = len(pc.unique(sample))
    if distinct < NUMERIC_LOOKING_DISTINCT:
        return None
    share = _share(sample, FORMATTED_NUMBER_RE)
    separated = sample.filter(pc.match_substring_regex(sample, HAS_SEPARATOR_RE))
    if share < _NUMERIC_LOOKING_SHARE or not len(separated):
        return None
    example = separated[0].as_py()
    return (
        f"{distinct:,} distinct values, {share:.0%} of which look like formatted numbers "
        f"(e.g. {example!r})"
    )


def infer_kind(field: pa.Field, array: pa.Array | pa.ChunkedArray) -> ColumnKind | None:
    """The kind of one column: from its metadata, else its Arrow type, else its values.

    Returns None when nothing can be said yet (an all-null column of untyped values).
    For strings, a sample of the first 1,000 non-null values decides: ``boolean`` when
    ≥ 95 % are true/false, ``datetime`` when ≥ 95 % are ISO 8601 dates or timestamps,
    ``numeric`` when ≥ 95 % are numbers — unless a value is a digit string with a
    leading zero (``"02139"``), which makes the column ``categorical`` —, ``text`` when
    their mean length is ≥ 32 bytes, and ``categorical`` otherwise. A categorical
    column whose many distinct values look like formatted numbers (``"1,303.48"``)
    raises a :class:`~driftline.exceptions.DataWarning`.

    >>> infer_kind(pa.field("x", pa.float64()), pa.array([1.5]))
    'numeric'
    >>> strings = pa.array(["2024-01-05", "2024-02-01T10:00:00Z"])
    >>> infer_kind(pa.field("t", pa.string()), strings)
    'datetime'
    >>> infer_kind(pa.field("zip", pa.string()), pa.array(["02139", "94105"]))
    'categorical'
    """
    kind = kind_of_field(field)
    if kind is not None:
        return kind
    kind = kind_of_type(field.type)
    if kind is not None:
        return kind
    if pa.types.is_null(field.type) or len(array) == array.null_count:
        return None
    if not is_string_type(field.type):
        return "text"  # binary, nested, time-of-day: kept as strings, not tested for drift
    kind = _string_kind(array)
    if kind == "categorical":
        reason = numeric_looking(array)
        if reason is not None:
            warnings.warn(
                DataWarning(
                    f"Column {field.name!r} is read as categorical: {reason}. If it is "
                    f"a number, give the number format (CLI: --thousands/--decimal) or "
                    f"its kind (CLI: --numeric {field.name}; API: schema={{{field.name!r}: "
                    "'numeric'}})."
                ),
                stacklevel=2,
            )
    return kind
