"""The HTML page of a profile (``driftline profile --html``) and of a quality report: one
row per column with its numbers and a small distribution chart, then the findings."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._column import ColumnProfile
from driftline.profiles._numeric import NumericProfile
from driftline.report import (
    MISSING,
    Callout,
    Chart,
    Report,
    Section,
    Stat,
    Table,
    Text,
    Tone,
    format_count,
    format_date,
    format_number,
    format_percent,
    mini_bars,
    plural,
)

if TYPE_CHECKING:
    from driftline.profiles._dataset import DatasetProfile
    from driftline.profiles._quality import QualityReport

__all__ = ["profile_report", "quality_section"]

_BINS = 24
_MAX_VALUES = 30  # an integer column with at most this many values gets a bar per value
_TOP = 8
SEVERITY_TONES: dict[str, Tone | None] = {"error": "fail", "warning": "warn", "info": None}


def _integer_values(col: NumericProfile) -> list[float] | None:
    """The values of a column of a few integers (flags, counts, ratings), else ``None``."""
    if col.kind != "numeric" or col.count == 0 or col.max - col.min > _MAX_VALUES:
        return None
    items, _ = col.sketch._weighted()
    if not (float(col.min).is_integer() and float(col.max).is_integer()):
        return None
    if items.size and not bool(np.all(np.mod(items, 1.0) == 0.0)):
        return None
    return [float(v) for v in range(int(col.min), int(col.max) + 1)]


def _numeric_chart(col: NumericProfile) -> Chart | str:
    if col.count == 0:
        return MISSING
    values = _integer_values(col)
    if values is not None:
        shares = (col.cdf(values) - col.cdf(values, inclusive=False)).tolist()
        return Chart(mini_bars(col.name, [format_number(v) for v in values], shares))
    lo, hi = (float(v) for v in col.quantiles([0.005, 0.995]))
    if not hi > lo:
        lo, hi = col.min, col.max
    if not hi > lo:
        return Chart(mini_bars(col.name, [_value(col, lo)], [1.0]))
    edges = np.linspace(lo, hi, _BINS + 1)
    counts = col.histogram(edges)
    shares = (counts / max(counts.sum(), 1.0)).tolist()
    labels = [f"{_value(col, a)} – {_value(col, b)}" for a, b in itertools.pairwise(edges)]
    return Chart(mini_bars(col.name, labels, shares))


def _value(col: NumericProfile, v: float) -> str:
    return format_date(v) if col.kind == "datetime" else format_number(v)


def _categorical_chart(col: CategoricalProfile) -> Chart | str:
    if col.count == 0:
        return MISSING
    top = col.frequent.top(_TOP)
    labels = [str(k) for k, _ in top]
    shares = [c / col.count for _, c in top]
    rest = 1.0 - sum(shares)
    if rest > 1e-9:
        labels.append("other values")
        shares.append(rest)
    return Chart(mini_bars(col.name, labels, shares))


def _summary(col: ColumnProfile) -> tuple[str, str, Chart | str]:
    """(distinct, summary, chart) cells of one column."""
    if isinstance(col, NumericProfile):
        if col.count == 0:
            return MISSING, "no values", MISSING
        p50 = float(col.quantiles([0.5])[0])
        if col.kind == "datetime":
            text = f"{format_date(col.min)} to {format_date(col.max)}, median {format_date(p50)}"
        else:
            text = (
                f"mean {format_number(col.mean)}, sd {format_number(col.std)}; "
                f"min {format_number(col.min)}, median {format_number(p50)}, "
                f"max {format_number(col.max)}"
            )
            if col.n_zero:
                text += f"; zeros {format_percent(col.n_zero / col.count)}"
        return MISSING, text, _numeric_chart(col)
    if isinstance(col, CategoricalProfile):
        distinct = format_number(col.distinct) + ("" if col.distinct_is_exact else " (about)")
        if col.count == 0:
            return distinct, "no values", MISSING
        top = ", ".join(f"{k[:24]} {format_percent(v / col.count)}" for k, v in col.frequent.top(3))
        if not top:
            return distinct, "no value is frequent (nearly every value is distinct)", MISSING
        return distinct, f"most common: {top}", _categorical_chart(col)
    if isinstance(col, BooleanProfile):
        if col.count == 0:
            return "2", "no values", MISSING
        chart = Chart(mini_bars(col.name, ["true", "false"], [col.true_rate, 1 - col.true_rate]))
        return "2", f"true {format_percent(col.true_rate)}", chart
    return MISSING, "", MISSING


def quality_section(page: Report, quality: QualityReport, title: str = "Data quality") -> Section:
    """Add the quality findings (worst first, coloured by severity) to ``page``."""
    section = page.section(title)
    counts = {
        s: sum(f.severity == s for f in quality.findings) for s in ("error", "warning", "info")
    }
    against = " against the reference" if quality.has_reference else ""
    if counts["error"]:
        head: tuple[str, Tone] = (
            f"{format_count(counts['error'], 'error')}{against}: the data fails its quality checks.",
            "fail",
        )
    elif counts["warning"]:
        head = (f"{format_count(counts['warning'], 'warning')}{against}, no error.", "warn")
    else:
        head = (f"No quality problem found{against}.", "ok")
    section.add(Callout(*head))
    section.add(
        Stat("errors", str(counts["error"]), tone="fail" if counts["error"] else "info"),
        Stat(
            plural(counts["warning"], "warning"),
            str(counts["warning"]),
            tone="warn" if counts["warning"] else "info",
        ),
        Stat("notes", str(counts["info"])),
    )
    if quality.findings:
        section.add(
            Table(
                ["severity", "column", "finding", "what"],
                [
                    [f.severity.upper(), f.column, f.kind.replace("_", " "), f.message]
                    for f in quality.findings
                ],
                tones=[SEVERITY_TONES[f.severity] for f in quality.findings],
            )
        )
    return section


def profile_report(
    profile: DatasetProfile, quality: QualityReport | None = None, *, title: str = "Data profile"
) -> Report:
    """The profile page: volumes, one row per column with a small chart, then the findings.

    >>> from driftline.profiles import profile
    >>> page = profile_report(profile({"x": [1.0, 2.0, 2.0], "c": ["a", "b", None]}))
    >>> [s.title for s in page.sections]
    ['Overview', 'Columns']
    """
    page = Report(
        title,
        subtitle=f"{format_count(profile.n_rows, 'row')}, {format_count(len(profile.columns), 'column')}",
    )
    kinds: dict[str, int] = {}
    for col in profile.columns:
        kinds[col.kind] = kinds.get(col.kind, 0) + 1
    cells = profile.n_rows * max(len(profile.columns), 1)
    missing = sum(c.n_missing for c in profile.columns)
    overview = page.section("Overview")
    overview.add(
        Stat("rows", format_number(profile.n_rows)),
        Stat("columns", format_number(len(profile.columns)),
             note=", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))),
        Stat("missing cells", format_percent(missing / cells) if cells else MISSING,
             note=f"{format_number(missing)} of {format_number(cells)}"),
    )  # fmt: skip
    rows: list[list[str | Chart]] = []
    tones: list[Tone | None] = []
    flagged = {f.column: f.severity for f in quality.findings} if quality is not None else {}
    for col in profile.columns:
        distinct, text, chart = _summary(col)
        invalid = format_number(col.n_invalid) if col.n_invalid else "0"
        rows.append(
            [col.name, col.kind, format_percent(col.missing_rate), invalid, distinct, chart, text]
        )
        severity = flagged.get(col.name)
        tones.append(SEVERITY_TONES[severity] if severity else None)
    page.section("Columns").add(
        Table(["column", "kind", "missing", "invalid", "distinct", "distribution", "summary"],
              rows, tones=tones, numeric=(2, 3, 4)),
        Text("Distributions come from the profile's sketches (bounded memory): a histogram of "
             "the middle 99% of numeric values, a bar per value for a few integers, the most "
             "common categories. Hover a bar for its value and share."),
    )  # fmt: skip
    if quality is not None:
        quality_section(page, quality)
    return page
