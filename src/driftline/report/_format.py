"""Numbers, shares, counts and dates as people write them: one module every page uses.

Reports are read by risk officers and product managers, not by Python: ``52,270`` not
``5.227e+04``, ``12.3%`` not ``0.123``, ``1 column`` not ``1 columns``, ``Mar 2024`` not
``1.7e+09``, and a dash, never ``None`` or ``nan``, where there is no value.

>>> format_number(52270.4), format_number(0.000123456), format_number(None)
('52,270', '0.000123', '—')
>>> format_percent(0.1234), format_count(1, "column"), format_count(1200, "row")
('12.3%', '1 column', '1,200 rows')
>>> format_period(1704067200.0, 1711843200.0)
'Jan–Mar 2024'
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Literal

from driftline._params import Options, validate_params

__all__ = [
    "MISSING",
    "format_count",
    "format_date",
    "format_interval",
    "format_number",
    "format_p_value",
    "format_percent",
    "format_period",
    "plural",
    "to_datetime",
]

#: What a page shows where there is no value (never ``None`` or ``nan``).
MISSING = "—"

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_IRREGULAR = {"was": "were", "is": "are", "has": "have", "this": "these", "that": "those"}


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _scientific(value: float, digits: int) -> str:
    """``1.2 × 10⁻⁷``: typographic, never ``1.2e-07``."""
    mantissa, _, exponent = f"{value:.{max(digits - 1, 0)}e}".partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def format_number(value: Any, *, digits: int = 3, decimals: int | None = None) -> str:
    """A number as people write it.

    Integers and values of 1,000 or more get thousands separators and no decimals;
    smaller values keep ``digits`` significant digits (trailing zeros dropped) or exactly
    ``decimals`` decimals when given. Values under a millionth and astronomically large
    ones use ``× 10ⁿ``; ``None``/NaN become :data:`MISSING`; infinities ``∞``.

    >>> [format_number(v) for v in (3, 1234567, 52270.4, 12.345, 0.5, -0.0123456)]
    ['3', '1,234,567', '52,270', '12.3', '0.5', '-0.0123']
    >>> format_number(0.8, decimals=3), format_number(2.5e-9), format_number(float("inf"))
    ('0.800', '2.5 × 10⁻⁹', '∞')
    """
    x = _as_float(value)
    if x is None:
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1e18:
        return _scientific(x, digits)
    if magnitude >= 1000 or (x.is_integer() and decimals is None):
        return f"{x:,.0f}"
    if decimals is not None:
        return f"{x:,.{decimals}f}"
    if magnitude < 1e-6:
        return _scientific(x, digits)
    places = max(digits - 1 - math.floor(math.log10(magnitude)), 0)
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_percent(value: Any, *, decimals: int = 1) -> str:
    """A share in ``[0, 1]`` as a percentage; a non-zero share never rounds to 0% or 100%.

    >>> [format_percent(v) for v in (0, 0.1, 0.1234, 0.00004, 0.99996, 1, None)]
    ['0%', '10%', '12.3%', '< 0.1%', '> 99.9%', '100%', '—']
    """
    x = _as_float(value)
    if x is None:
        return MISSING
    pct = 100.0 * x
    step = 10.0**-decimals
    if 0 < pct < step:
        return f"< {step:.{decimals}f}%"
    if 100 - step < pct < 100:
        return f"> {100 - step:.{decimals}f}%"
    text = f"{pct:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def format_p_value(value: Any) -> str:
    """A p-value: two significant digits, ``< 0.001`` below that.

    >>> format_p_value(0.0312), format_p_value(1e-12), format_p_value(None)
    ('0.031', '< 0.001', '—')
    """
    x = _as_float(value)
    if x is None:
        return MISSING
    return "< 0.001" if x < 0.001 else format_number(x, digits=2)


def format_interval(low: Any, high: Any, **kwargs: Any) -> str:
    """``[low, high]`` with :func:`format_number`; :data:`MISSING` when either is absent.

    >>> format_interval(0.81234, 0.85, decimals=3), format_interval(None, 1)
    ('[0.812, 0.850]', '—')
    """
    if _as_float(low) is None or _as_float(high) is None:
        return MISSING
    return f"[{format_number(low, **kwargs)}, {format_number(high, **kwargs)}]"


def plural(n: float, word: str, many: str | None = None) -> str:
    """``word`` or its plural for a count of ``n`` (``many`` overrides the English rule).

    >>> plural(1, "column"), plural(2, "column"), plural(0, "category"), plural(3, "was")
    ('column', 'columns', 'categories', 'were')
    """
    if n == 1:
        return word
    if many is not None:
        return many
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def format_count(n: int | float, word: str, many: str | None = None) -> str:
    """``1 column``, ``1,200 rows``: the count with separators and the right form of the noun.

    >>> format_count(0, "finding"), format_count(2, "window"), format_count(3, "match")
    ('0 findings', '2 windows', '3 matches')
    """
    return f"{format_number(n)} {plural(n, word, many)}"


def to_datetime(value: Any) -> _dt.datetime | None:
    """A timezone-aware UTC datetime from a datetime, date, pandas/numpy timestamp, ISO
    string or seconds since the epoch (how profiles and drift store datetime columns).

    >>> to_datetime(0).isoformat(), to_datetime("2024-03-01").isoformat()
    ('1970-01-01T00:00:00+00:00', '2024-03-01T00:00:00+00:00')
    """
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT
            return None
    except (TypeError, ValueError):
        return None
    if isinstance(value, _dt.datetime):
        out = value
    elif isinstance(value, _dt.date):
        out = _dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            out = _dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    elif hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if value != value:  # NaT
            return None
        out = value.to_pydatetime()
    elif hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "M":  # numpy
        if value != value:
            return None
        seconds = value.astype("datetime64[us]").astype("int64") / 1e6
        return _dt.datetime.fromtimestamp(float(seconds), tz=_dt.UTC)
    else:
        x = _as_float(value)
        if x is None or math.isinf(x):
            return None
        return _dt.datetime.fromtimestamp(x, tz=_dt.UTC)
    return out if out.tzinfo is not None else out.replace(tzinfo=_dt.UTC)


def format_date(value: Any, *, time: bool | None = None) -> str:
    """``2024-03-15`` (ISO dates sort and read the same everywhere), with ``HH:MM`` when the
    value is not at midnight (or ``time=True``); :data:`MISSING` for no value.

    >>> format_date(1710460800.0), format_date("2024-03-15T14:30:00"), format_date(None)
    ('2024-03-15', '2024-03-15 14:30', '—')
    """
    when = to_datetime(value)
    if when is None:
        return MISSING
    if time is None:
        time = (when.hour, when.minute, when.second) != (0, 0, 0)
    return when.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")


@validate_params({"grain": [Options("auto", "year", "month", "day", "time")]})
def format_period(
    low: Any, high: Any, *, grain: Literal["auto", "year", "month", "day", "time"] = "auto"
) -> str:
    """A compact span of time, at the resolution the span needs (or at ``grain``).

    >>> format_period("2015-01-01", "2018-12-31"), format_period("2023-11-02", "2024-02-20")
    ('2015–2018', 'Nov 2023–Feb 2024')
    >>> format_period("2024-03-04", "2024-03-17"), format_period("2024-02-26", "2024-03-03")
    ('4–17 Mar 2024', '26 Feb–3 Mar 2024')
    >>> format_period("2024-03-04T09:00", "2024-03-04T17:30")
    '4 Mar 2024 09:00–17:30'
    >>> format_period("2024-03-04", "2024-03-17", grain="month")
    'Mar 2024'
    """
    a, b = to_datetime(low), to_datetime(high)
    if a is None or b is None:
        return MISSING
    if b < a:
        a, b = b, a
    if grain == "auto":
        days = (b - a).total_seconds() / 86_400
        if days >= 3 * 365 or (days >= 365 and (a.month, b.month) == (1, 12)):
            grain = "year"
        elif days >= 59:
            grain = "month"
        elif days >= 1 or a.date() != b.date():
            grain = "day"
        else:
            grain = "time"
    if grain == "year":
        return f"{a.year}" if a.year == b.year else f"{a.year}–{b.year}"
    if grain == "month":
        if a.year == b.year:
            if a.month == b.month:
                return a.strftime("%b %Y")
            return f"{a:%b}–{b:%b %Y}"
        return f"{a:%b %Y}–{b:%b %Y}"
    if grain == "day":
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{b.day} {b:%b %Y}" if a.day != b.day else f"{a.day} {a:%b %Y}"
        if a.year == b.year:
            return f"{a.day} {a:%b}–{b.day} {b:%b %Y}"
        return f"{a.day} {a:%b %Y}–{b.day} {b:%b %Y}"
    if a.date() == b.date():
        return f"{a.day} {a:%b %Y} {a:%H:%M}–{b:%H:%M}"
    return f"{a.day} {a:%b %Y} {a:%H:%M}–{b.day} {b:%b %Y} {b:%H:%M}"
