"""One-line explanations of what changed in a column, in the column's own units.

Numbers: moments in reference sds ("mean +0.31 sd", "sd x1.50"), else the quantile that
moved most ("p50 3.2 -> 4.1"); a constant reference says so ("constant 2015 -> 2016 to
2018"). Datetimes: the range of the central 90 % of dates on each side, at the calendar
grain the ranges need ("Jan–Mar 2024 -> Jun–Aug 2024", "3–9 Jan 2024 -> 10–16 Jan
2024"). Categories: a new category, or the share that moved most.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from driftline.drift._sides import NumericSide
from driftline.report import format_number, format_period


def _num(x: float) -> str:
    """A column value in an explanation: four significant digits keep small moves visible,
    and whole numbers under 10,000 are not grouped (a year is 2015, not 2,015)."""
    if float(x).is_integer() and abs(x) < 10_000:
        return f"{x:.0f}"
    return format_number(x, digits=4)


__all__ = [
    "categorical_explanation",
    "describe_mean_shift",
    "describe_sd_ratio",
    "describe_share_change",
    "numeric_explanation",
]

_Sorted = tuple[NDArray[np.float64], NDArray[np.intp]]
_QS: Final = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
_RANGE: Final = np.array([0.05, 0.5, 0.95])
_DAY: Final = 86_400.0
Grain = Literal["month", "day", "time"]


def describe_mean_shift(smd: float, *, digits: int = 2) -> str:
    """Phrase a standardized mean difference, e.g. ``"mean +0.31 sd"``.

    >>> describe_mean_shift(0.3127)
    'mean +0.31 sd'
    """
    return f"mean {float(smd):+.{digits}f} sd"


def describe_sd_ratio(ratio: float, *, digits: int = 2) -> str:
    """Phrase a ratio of sds, e.g. ``"sd x1.50"``.

    >>> describe_sd_ratio(1.5)
    'sd x1.50'
    """
    return f"sd x{float(ratio):.{digits}f}"


def _percent(share: float) -> str:
    v = 100.0 * share
    if v == 0:
        return "0%"
    if v >= 1:
        return f"{v:.0f}%"
    return f"{v:.1g}%"


def describe_share_change(label: str, share_ref: float, share_cur: float) -> str:
    """Phrase a change in a category's share, e.g. ``"'c50_0003' share 4% -> 11%"``.

    >>> describe_share_change("c50_0003", 0.04, 0.11)
    "'c50_0003' share 4% -> 11%"
    """
    return f"{label!r} share {_percent(share_ref)} -> {_percent(share_cur)}"


def _as_datetime(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _datetime_explanation(qr: NDArray[np.float64], qc: NDArray[np.float64]) -> str | None:
    """``qr``/``qc``: p5, p50, p95 of each side, in seconds since the epoch."""
    when = [_as_datetime(float(v)) for v in (*qr, *qc)]
    if any(w is None for w in when):
        return None
    r_lo, r_mid, r_hi, c_lo, c_mid, c_hi = (w for w in when if w is not None)
    span = max(float(qr[2] - qr[0]), float(qc[2] - qc[0]))
    grains: tuple[Grain, ...] = ("month", "day", "time") if span >= 60 * _DAY else ("day", "time")
    if span < 2 * _DAY:
        grains = ("time",)
    for grain in grains:
        ref_text, cur_text = (
            format_period(r_lo, r_hi, grain=grain),
            format_period(c_lo, c_hi, grain=grain),
        )
        if ref_text != cur_text:
            return f"{ref_text} -> {cur_text}"
    fine: tuple[Grain, ...] = ("day", "time")
    for grain in fine:
        ref_text, cur_text = (
            format_period(r_mid, r_mid, grain=grain),
            format_period(c_mid, c_mid, grain=grain),
        )
        if ref_text != cur_text:
            return f"median {ref_text} -> {cur_text}"
    return "dates unchanged at the minute"


def _moment_parts(ref: NumericSide, cur: NumericSide) -> list[str]:
    parts = []
    if ref.std > 0:
        smd = (cur.mean - ref.mean) / ref.std
        if abs(smd) >= 0.1:
            parts.append(describe_mean_shift(smd))
        ratio = cur.std / ref.std
        if ratio >= 1.1 or ratio <= 1 / 1.1:
            parts.append(describe_sd_ratio(ratio))
    return parts


def _side_quantiles(
    side: NumericSide, qs: NDArray[np.float64], gathered: _Sorted | None
) -> NDArray[np.float64]:
    if gathered is not None and side.buckets is not None and "sorted_values" not in side.__dict__:
        return side.buckets.quantiles(qs, gathered)
    return side.quantiles(qs)


def numeric_explanation(
    ref: NumericSide,
    cur: NumericSide,
    gathered: tuple[_Sorted | None, _Sorted | None] = (None, None),
) -> str:
    """What changed in a numeric or datetime column (module docs)."""
    if ref.kind == "datetime":
        qr = _side_quantiles(ref, _RANGE, gathered[0])
        qc = _side_quantiles(cur, _RANGE, gathered[1])
        text = _datetime_explanation(qr, qc)
        if text is not None:
            return text
    if not ref.std > 0:
        a = _num(ref.mean)
        if not cur.std > 0:
            return f"constant {a} -> {_num(cur.mean)}"
        lo, hi = _side_quantiles(cur, np.array([0.05, 0.95]), gathered[1])
        return f"constant {a} -> {_num(lo)} to {_num(hi)}"
    parts = _moment_parts(ref, cur)
    if parts:
        return ", ".join(parts)
    qr = _side_quantiles(ref, _QS, gathered[0])
    qc = _side_quantiles(cur, _QS, gathered[1])
    moved = np.abs(qc - qr)
    if not moved.any():
        return "quantiles p5 to p95 unchanged"
    i = int(np.argmax(moved))
    return f"p{round(_QS[i] * 100)} {_num(qr[i])} -> {_num(qc[i])}"


def categorical_explanation(
    labels: list[str],
    ref_share: NDArray[np.float64],
    cur_share: NDArray[np.float64],
    ref_exact: bool,
    *,
    relative: bool = False,
) -> str:
    """A new category, or the share that moved most (by PSI contribution if ``relative``)."""
    parts = []
    if ref_exact:
        new = [(cur_share[i], labels[i]) for i in range(len(labels)) if ref_share[i] == 0]
        new = [item for item in sorted(new, reverse=True) if item[0] >= 0.005]
        if new:
            share, label = new[0]
            more = f" (+{len(new) - 1} more)" if len(new) > 1 else ""
            parts.append(f"new category {label!r} ({share:.0%} of rows){more}")
    if relative:  # the category whose relative change weighs most (its PSI term)
        p, q = ref_share + 1e-4, cur_share + 1e-4
        i = int(np.argmax((q - p) * np.log(q / p)))
    else:
        i = int(np.argmax(np.abs(cur_share - ref_share)))
    if not parts or labels[i] not in parts[0]:
        parts.append(describe_share_change(labels[i], float(ref_share[i]), float(cur_share[i])))
    return ", ".join(parts)
