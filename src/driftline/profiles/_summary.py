"""Readable text lines for a dataset profile (what ``driftline profile PATH`` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._column import ColumnProfile
from driftline.profiles._numeric import NumericProfile, _iso
from driftline.report import MISSING, format_count, format_number

if TYPE_CHECKING:
    from driftline.profiles._dataset import DatasetProfile

__all__ = ["column_summary", "fmt_number", "profile_lines"]


def fmt_number(x: float) -> str:
    """A number as people write it (4 significant digits; see
    :func:`driftline.report.format_number`).

    >>> fmt_number(1234567.0), fmt_number(0.000123456), fmt_number(float("nan"))
    ('1,234,567', '0.0001235', '—')
    """
    return format_number(x, digits=4)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"  # one decimal everywhere: the terminal table's column aligns


def column_summary(col: ColumnProfile) -> tuple[str, str]:
    """(distinct, details) cells for one column, as people write numbers and dates.

    >>> from driftline.profiles import profile
    >>> column_summary(profile({"n": [52270.0, 1.0, 3.0]})["n"])[1]
    'mean 17,425  sd 30,177  min 1  p01 1  p50 3  p99 52,270  max 52,270'
    """
    if isinstance(col, NumericProfile):
        if col.count == 0:
            return "-", "no finite values"
        p01, p50, p99 = col.quantiles([0.01, 0.5, 0.99])
        if col.kind == "datetime":
            return "-", f"{_iso(col.min)} .. {_iso(col.max)}"
        return "-", (
            f"mean {fmt_number(col.mean)}  sd {fmt_number(col.std)}  "
            f"min {fmt_number(col.min)}  p01 {fmt_number(p01)}  p50 {fmt_number(p50)}  "
            f"p99 {fmt_number(p99)}  max {fmt_number(col.max)}"
        )
    if isinstance(col, CategoricalProfile):
        distinct = f"{col.distinct:,}" + ("" if col.distinct_is_exact else "~")
        if col.count == 0:
            return distinct, "no values"
        top = ", ".join(f"{k[:20]!s} {_pct(v / col.count)}" for k, v in col.frequent.top(3))
        return distinct, f"top: {top}"
    if isinstance(col, BooleanProfile):
        rate = MISSING if col.count == 0 else _pct(col.true_rate)
        return "2", f"true {rate}"
    return "-", ""


def profile_lines(profile: DatasetProfile) -> list[str]:
    """One header line, then one table row per column."""
    rows = [("column", "kind", "missing", "invalid", "distinct", "summary")]
    for col in profile.columns:
        distinct, detail = column_summary(col)
        rows.append(
            (col.name, col.kind, _pct(col.missing_rate), f"{col.n_invalid:,}", distinct, detail)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        f"{format_count(profile.n_rows, 'row')} x {format_count(len(profile.columns), 'column')}"
    ]
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join([*cells, r[5]]).rstrip())
    return lines
