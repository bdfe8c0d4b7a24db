"""The spellings driftline reads: numbers, dates, booleans and missing values (RE2 syntax)."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BOOLEAN_TEXT",
    "DATETIME_RE",
    "FALSE_TEXT",
    "FORMATTED_NUMBER_RE",
    "HAS_SEPARATOR_RE",
    "INTEGER_RE",
    "LEADING_ZERO_RE",
    "NAN_RE",
    "NULL_VALUES",
    "NUMBER_RE",
    "TRUE_TEXT",
    "ZONED_RE",
    "number_format_re",
]

#: A plain number: what ``float()`` reads (no separators), with nan / inf spellings.
NUMBER_RE: Final = r"^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan|inf|infinity))$"
#: A whole number (the digits Arrow reads as int64, without a sign ``+``).
INTEGER_RE: Final = r"^-?\d+$"
#: A digit string with a leading zero: a code (``"02139"``), not a quantity.
LEADING_ZERO_RE: Final = r"^\s*[-+]?0\d"
#: A NaN spelled as text (a value, not a missing cell).
NAN_RE: Final = r"^\s*[-+]?(?i:nan)\s*$"
#: An ISO 8601 date or timestamp, with an optional zone.
DATETIME_RE: Final = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
    r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
#: A timestamp that carries its zone.
ZONED_RE: Final = r"[T ]\d{2}:\d{2}.*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
#: Values read as true / false when a column's kind is boolean (after lower-casing).
TRUE_TEXT: Final = ("true", "t", "yes", "y", "1")
FALSE_TEXT: Final = ("false", "f", "no", "n", "0")
#: Strings that make a column boolean when inferred (after lower-casing).
BOOLEAN_TEXT: Final = ("true", "false")
#: A number as people write it: thousands separators, decimal comma, currency, percent.
FORMATTED_NUMBER_RE: Final = (
    r"^[-+]?[$€£¥]?\s?[-+]?(?:\d{1,3}(?:[,.' \x{A0}]\d{3})+|\d+)(?:[.,]\d+)?\s?[%$€£¥]?$"
)
#: Something a plain number does not have: a group separator, a decimal comma, a symbol.
HAS_SEPARATOR_RE: Final = r"\d[,' \x{A0}]\d|[$€£¥%]"

#: Cells read as missing in text files (CSV): the same list for every column and every
#: command (pandas' default ``na_values``).
NULL_VALUES: Final = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


def number_format_re(decimal: str, thousands: str | None) -> str:
    """A number written with ``decimal`` and optional ``thousands`` separators.

    >>> import re
    >>> bool(re.match(number_format_re(",", "."), "1.303,48"))
    True
    >>> bool(re.match(number_format_re(".", ","), "1,303.48")), bool(re.match(number_format_re(".", ","), "13,03"))
    (True, False)
    """
    d = re.escape(decimal)
    whole = r"\d+" if thousands is None else rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return rf"^[-+]?(?:{whole}(?:{d}\d*)?|{d}\d+)(?:[eE][-+]?\d+)?$"
