"""Axis ticks: round numbers for numeric axes, calendar units for time axes.

>>> numeric_ticks(0.0, 1.0)
[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
>>> [label for _, label in time_ticks(1704067200.0, 1719792000.0)]
['Jan 2024', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul']
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from typing import Literal

from driftline.report._format import format_number, format_percent

__all__ = ["AxisFormat", "axis_ticks", "numeric_ticks", "tick_labels", "time_ticks"]

AxisFormat = Literal["number", "integer", "percent", "datetime"]

_MINUTE, _HOUR, _DAY = 60.0, 3_600.0, 86_400.0
# (unit, step) candidates from fine to coarse; "s" steps are seconds.
_TIME_STEPS: tuple[tuple[str, float], ...] = (
    ("s", 1), ("s", 5), ("s", 15), ("s", 30),
    ("s", _MINUTE), ("s", 5 * _MINUTE), ("s", 15 * _MINUTE), ("s", 30 * _MINUTE),
    ("s", _HOUR), ("s", 3 * _HOUR), ("s", 6 * _HOUR), ("s", 12 * _HOUR),
    ("d", 1), ("d", 2), ("w", 1), ("w", 2),
    ("m", 1), ("m", 2), ("m", 3), ("m", 6),
    ("y", 1), ("y", 2), ("y", 5), ("y", 10), ("y", 20), ("y", 50), ("y", 100),
)  # fmt: skip


def numeric_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]."""
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * step:
            step *= mult
            break
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _utc(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)


def _add_months(when: _dt.datetime, months: int) -> _dt.datetime:
    total = when.year * 12 + when.month - 1 + months
    return when.replace(year=total // 12, month=total % 12 + 1, day=1)


def _calendar(lo: float, hi: float, unit: str, step: float) -> list[_dt.datetime]:
    start = _utc(lo)
    out: list[_dt.datetime] = []
    if unit == "s":
        t = math.ceil(lo / step) * step
        while t <= hi:
            out.append(_utc(t))
            t += step
        return out
    if unit in ("d", "w"):
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "w":
            day -= _dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
        delta = _dt.timedelta(days=step * (7 if unit == "w" else 1))
        while day.timestamp() < lo:
            day += delta
        while day.timestamp() <= hi:
            out.append(day)
            day += delta
        return out
    months = int(step) * (12 if unit == "y" else 1)
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    index = first.year * 12 + first.month - 1
    first = _add_months(first, (-index) % months)
    while first.timestamp() < lo:
        first = _add_months(first, months)
    while first.timestamp() <= hi:
        out.append(first)
        first = _add_months(first, months)
    return out


def _time_label(when: _dt.datetime, previous: _dt.datetime | None, unit: str) -> str:
    if unit == "y":
        return str(when.year)
    if unit == "m":
        new_year = previous is None or previous.year != when.year
        return when.strftime("%b %Y" if new_year else "%b")
    new_year = previous is None or previous.year != when.year
    day = f"{when.day} {when:%b}" + (f" {when.year}" if new_year else "")
    if unit in ("d", "w"):
        return day
    new_day = previous is None or previous.date() != when.date()
    clock = when.strftime("%H:%M:%S" if when.second else "%H:%M")
    return f"{day} {clock}" if new_day else clock


def time_ticks(lo: float, hi: float, count: int = 7) -> list[tuple[float, str]]:
    """Ticks at calendar boundaries between ``lo`` and ``hi`` (seconds since the epoch,
    UTC), labelled with dates; the year or date is written where it changes."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [(lo, format_number(lo))] if math.isfinite(lo) else []
    span = hi - lo
    chosen = _TIME_STEPS[-1]
    for unit, step in _TIME_STEPS:
        seconds = step * {"s": 1.0, "d": _DAY, "w": 7 * _DAY, "m": 30 * _DAY, "y": 365 * _DAY}[unit]
        if span / seconds <= count:
            chosen = (unit, step)
            break
    unit, step = chosen
    moments = _calendar(lo, hi, unit, step)
    out: list[tuple[float, str]] = []
    previous: _dt.datetime | None = None
    for when in moments:
        out.append((when.timestamp(), _time_label(when, previous, unit)))
        previous = when
    return out


def tick_labels(ticks: Sequence[float], fmt: AxisFormat = "number") -> list[str]:
    """Labels for numeric ticks, with the same number of decimals on every tick.

    >>> tick_labels([0.0, 0.25, 0.5]), tick_labels([0.0, 0.1], "percent")
    (['0', '0.25', '0.5'], ['0%', '10%'])
    >>> tick_labels([0.0, 20000.0, 40000.0])
    ['0', '20,000', '40,000']
    """
    if fmt == "percent":
        decimals = _decimals([100 * t for t in ticks])
        return [format_percent(t, decimals=decimals) for t in ticks]
    if fmt == "datetime":
        from driftline.report._format import format_date

        return [format_date(t) for t in ticks]
    return [format_number(t, digits=4) for t in ticks]


def axis_ticks(lo: float, hi: float, fmt: AxisFormat = "number") -> list[float]:
    """:func:`numeric_ticks`, keeping whole numbers only for an ``integer`` axis (counts).

    >>> axis_ticks(-0.1, 2.1, "integer")
    [0.0, 1.0, 2.0]
    """
    ticks = numeric_ticks(lo, hi)
    if fmt != "integer":
        return ticks
    whole = [t for t in ticks if float(t).is_integer()]
    if len(whole) >= 2:
        return whole
    return [float(v) for v in range(math.ceil(lo), math.floor(hi) + 1)] or whole


def _decimals(values: Sequence[float]) -> int:
    for decimals in range(4):
        if all(abs(v - round(v, decimals)) < 1e-9 for v in values):
            return decimals
    return 4
