"""The drift HTML page: verdict, timeline of chunks, every column, multivariate, not tested.

Charts use :mod:`driftline.report`'s primitives. Two small ones live here for now (to move
to ``report/_svg.py`` when the chart module gains them): ``small_multiples``, a grid of
small reference-vs-current distributions (one panel per column, date labels for datetime
columns), and the share-of-columns timeline is drawn with ``line_chart``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Final, Literal

from driftline.drift._result import ColumnDrift
from driftline.report import (
    Callout,
    Chart,
    Line,
    Report,
    Table,
    Text,
    bar_chart,
    format_date,
    format_number,
    format_p_value,
    histogram_chart,
    line_chart,
)

if TYPE_CHECKING:
    from driftline.drift._report import DriftReport

Tone = Literal["ok", "warn", "fail", "info"]

__all__ = ["build_page", "small_multiples"]

_COLOURS: Final = ("#2563eb", "#dc2626")
_PANEL_W, _PANEL_H, _PER_ROW = 240, 130, 3
_CAP: Final = 5.0  # effect / threshold ratios above this are drawn at it
_TONES: Final[dict[str, Tone]] = {
    "drift": "fail",
    "no_drift": "ok",
    "not_enough_data": "warn",
    "not_tested": "warn",
}


def _tone(status: str) -> Tone | None:
    return None if status == "no_drift" else _TONES[status]


def _p(value: float | None) -> str:
    return format_p_value(value)


def _edge_label(value: float, axis: str) -> str:
    return format_date(value) if axis == "datetime" else format_number(value)


def _panel(col: ColumnDrift, x0: float, y0: float) -> list[str]:
    """One small panel: title, reference and current shares as step lines or bars."""
    chart = col.chart
    ref: list[float] = list(chart.get("reference", []))
    cur: list[float] = list(chart.get("current", []))
    title = f"{col.column}{' — drifted' if col.drifted else ''}"
    colour = "#b91c1c" if col.drifted else "#111827"
    parts = [
        f'<text x="{x0 + 4:.1f}" y="{y0 + 12:.1f}" font-size="11" font-weight="600" '
        f'fill="{colour}">{escape(title[:34])}</text>'
    ]
    if col.missing is not None and col.missing.drifted:
        parts.append(
            f'<text x="{x0 + _PANEL_W - 8:.1f}" y="{y0 + 12:.1f}" text-anchor="end" '
            f'fill="{colour}">{escape(col.missing.explanation())}</text>'
        )
    top = max([*ref, *cur, 1e-9])
    left, right = x0 + 6, x0 + _PANEL_W - 8
    base, height = y0 + _PANEL_H - 24, _PANEL_H - 44
    if not ref:
        parts.append(
            f'<text x="{x0 + 6:.1f}" y="{y0 + 40:.1f}" fill="#6b7280">no values to draw</text>'
        )
        return parts
    parts.append(
        f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{base:.1f}" y2="{base:.1f}" stroke="#9ca3af"/>'
    )
    k = len(ref)
    step = (right - left) / max(k, 1)
    for series, c in zip((ref, cur), _COLOURS, strict=True):
        if chart.get("type") == "histogram":
            path = [f"M{left:.1f},{base:.1f}"]
            for i, v in enumerate(series):
                y = base - height * v / top
                path.append(f"L{left + step * i:.1f},{y:.1f}L{left + step * (i + 1):.1f},{y:.1f}")
            path.append(f"L{right:.1f},{base:.1f}")
            parts.append(
                f'<path d="{"".join(path)}" fill="{c}" fill-opacity="0.12" stroke="{c}" '
                'stroke-width="1.2"/>'
            )
        else:
            offset = 0.1 if c == _COLOURS[0] else 0.5
            for i, v in enumerate(series):
                h = height * v / top
                parts.append(
                    f'<rect x="{left + step * (i + offset):.1f}" y="{base - h:.1f}" '
                    f'width="{step * 0.4:.1f}" height="{h:.1f}" fill="{c}" fill-opacity="0.8"/>'
                )
    if chart.get("type") == "histogram":
        edges = chart.get("edges", [])
        axis = str(chart.get("axis", "number"))
        if edges:
            lo, hi = _edge_label(edges[0], axis), _edge_label(edges[-1], axis)
            parts.append(
                f'<text x="{left:.1f}" y="{base + 13:.1f}" fill="#4b5563">{escape(lo)}</text>'
                f'<text x="{right:.1f}" y="{base + 13:.1f}" text-anchor="end" '
                f'fill="#4b5563">{escape(hi)}</text>'
            )
    else:
        cats = [str(c) for c in chart.get("categories", [])]
        shown = f"{cats[0][:12]} … {cats[-1][:12]}" if len(cats) > 1 else "".join(cats)[:24]
        parts.append(
            f'<text x="{left:.1f}" y="{base + 13:.1f}" fill="#4b5563">{escape(shown)}</text>'
        )
    return parts


def small_multiples(columns: Sequence[ColumnDrift]) -> list[str]:
    """SVGs of small reference (blue) vs current (red) distributions, three per row."""
    out = []
    for start in range(0, len(columns), _PER_ROW):
        row = columns[start : start + _PER_ROW]
        width, height = _PANEL_W * _PER_ROW, _PANEL_H
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="distributions of {escape(", ".join(c.column for c in row))}" '
            'class="chart" font-family="system-ui, sans-serif" font-size="10">'
        ]
        for i, col in enumerate(row):
            parts += _panel(col, i * _PANEL_W, 0.0)
        parts.append("</svg>")
        out.append("".join(parts))
    return out


def _big_chart(col: ColumnDrift) -> str:
    chart = col.chart
    title = f"{col.column}: reference vs current"
    if chart.get("type") == "histogram" and chart.get("axis") != "datetime":
        return histogram_chart(
            title,
            chart["edges"],
            [("reference", chart["reference"]), ("current", chart["current"])],
        )
    if chart.get("type") == "histogram":  # dates: one bar per bin, labelled with its start
        labels = [format_date(e) for e in chart["edges"][:-1]]
        series = [("reference", chart["reference"]), ("current", chart["current"])]
        return bar_chart(title, labels, series, y_label="share of rows")
    return bar_chart(
        title,
        chart.get("categories", []),
        [("reference", chart.get("reference", [])), ("current", chart.get("current", []))],
        y_label="share of rows",
    )


def _effects(col: ColumnDrift) -> str:
    if not col.effects:
        return "—"
    return "; ".join(
        f"{e.name} {format_number(e.value)} (>= {format_number(e.threshold)})" for e in col.effects
    )


def _missing(col: ColumnDrift) -> str:
    m = col.missing
    if m is None:
        return f"{col.missing_rate_reference:.0%} -> {col.missing_rate_current:.0%}"
    return f"{m.explanation()[8:]} (h {m.effect_size:.2f}, p {_p(m.p_value_adjusted)})"


def _what_changed(col: ColumnDrift) -> str:
    if not col.drifted:
        return col.note or col.explanation
    parts = []
    if col.kind_changed:
        parts.append(f"kind changed: {col.reference_kind} -> {col.kind}")
    if "distribution" in col.reasons:
        parts.append(col.explanation)
    if col.missing is not None and "missing values" in col.reasons:
        parts.append(col.missing.explanation())
    return "; ".join(parts)


def _columns_table(columns: Sequence[ColumnDrift]) -> Table:
    ordered = sorted(columns, key=lambda c: (not c.drifted, -c.severity, c.column))
    rows = [
        [
            c.column,
            c.kind if not c.kind_changed else f"{c.reference_kind} -> {c.kind}",
            c.method,
            _p(c.p_value_adjusted),
            _effects(c),
            _missing(c),
            ", ".join(c.reasons) if c.drifted else "no",
            _what_changed(c),
        ]
        for c in ordered
    ]
    headers = [
        "column",
        "kind",
        "method",
        "p (adjusted)",
        "effect sizes (threshold)",
        "missing",
        "drifted",
        "what changed",
    ]
    return Table(headers, rows, tones=["fail" if c.drifted else None for c in ordered])


def _ratio(col: ColumnDrift) -> float | None:
    """The largest effect / threshold of a column (its missing rate's too), capped."""
    pairs = [(e.value, e.threshold) for e in col.effects]
    if col.missing is not None:
        pairs.append((col.missing.effect_size, col.missing.threshold))
    ratios = [v / t for v, t in pairs if t > 0 and v == v]
    return min(max(ratios), _CAP) if ratios else None


def _when(iso: str | None) -> str:
    return "" if iso is None else iso.replace("T", " ")[:16]


def _timeline(report: DriftReport, page: Report) -> None:
    section = page.section("Over time")
    labels = [c.label for c in report.chunks]
    counts = [float(len(c.report.drifted_columns)) for c in report.chunks]
    tested = [float(len(c.report.columns)) for c in report.chunks]
    section.add(
        Chart(
            bar_chart(
                "columns drifted per chunk",
                labels,
                [("tested", tested), ("drifted", counts)],
                y_label="columns",
            ),
            caption="A chunk with no tested column had too few rows to test.",
        )
    )
    worst = list(report.drifted_columns)[:5]
    if worst:
        lines = []
        for name in worst:
            values: list[float | None] = []
            for chunk in report.chunks:
                col = chunk.report.columns.get(name)
                values.append(None if col is None else _ratio(col))
            lines.append(Line(name, values))
        lines.append(Line("threshold", [1.0] * len(labels), dashed=True))
        section.add(
            Chart(
                line_chart(
                    "effect size / threshold per chunk", labels, lines, y_label="effect / threshold"
                ),
                caption=f"Above 1 the effect is large enough (drawn at most at {_CAP:g}); a chunk drifts when its test is "
                "also significant after false-discovery-rate control across chunks and columns.",
            )
        )
    rows = []
    for chunk in report.chunks:
        r = chunk.report
        found = ", ".join(r.drifted_columns) or "—"
        when = f"{_when(chunk.start)} – {_when(chunk.end)}" if chunk.start else ""
        rows.append([chunk.label, when, f"{r.n_current:,}", r.status.replace("_", " "), found])
    section.add(
        Table(
            ["chunk", "from – to", "rows", "verdict", "drifted columns"],
            rows,
            tones=[
                _TONES[c.report.status] if c.report.status != "no_drift" else None
                for c in report.chunks
            ],
        )
    )


_DETECTORS: Final = {
    "domain_classifier": "domain classifier (ROC AUC)",
    "pca": "PCA reconstruction error",
}


def _multivariate(report: DriftReport, page: Report) -> None:
    section = page.section("Multivariate drift")
    rows = []
    for name, m in report.multivariate.items():
        label = _DETECTORS.get(name, name)
        rows.append(
            [
                label,
                f"{m.statistic:.3f}",
                _p(m.p_value),
                f"{m.effect_size:.3f} (>= {m.threshold:g})",
                "yes" if m.drifted else "no",
                m.explanation(),
            ]
        )
    section.add(
        Table(
            ["detector", "statistic", "p", "effect (threshold)", "drifted", "what it saw"],
            rows,
            tones=["fail" if m.drifted else None for m in report.multivariate.values()],
        )
    )
    for name, m in report.multivariate.items():
        if m.top_features:
            section.add(
                Table(
                    ["feature", "importance"],
                    [[f, format_number(s)] for f, s in m.top_features[:10]],
                    caption=f"Top features of the {_DETECTORS.get(name, name)}",
                )
            )


def build_page(report: DriftReport, title: str) -> Report:
    """The drift report as a :class:`~driftline.report.Report`."""
    page = Report(
        title,
        subtitle=f"{report.n_reference:,} reference rows vs {report.n_current:,} current rows",
    )
    verdict = page.section("Verdict")
    verdict.add(Callout(report.summary().splitlines()[0], _TONES[report.status]))
    verdict.add(
        Text(
            "A column drifts when its test is significant after false-discovery-rate control "
            "across every test of this report and an effect size reaches its threshold, when "
            "its missing rate changed by the same rule, or when its kind changed — so the "
            "verdict means the same at any sample size."
        )
    )
    if report.chunks:
        _timeline(report, page)
    columns = list(report.columns.values())
    if columns:
        page.section("Columns").add(_columns_table(columns))
    if report.multivariate:
        _multivariate(report, page)
    drifted = [c for c in columns if c.drifted and c.chart]
    if drifted:
        charts = page.section("Drifted columns")
        for col in sorted(drifted, key=lambda c: -c.severity):
            charts.add(Chart(_big_chart(col), caption=col.verdict_line()))
    drawable = [c for c in columns if c.chart]
    if drawable:
        section = page.section("Distributions of every column")
        section.add(Text("Reference in blue, current in red; shares of rows."))
        ordered = sorted(drawable, key=lambda c: (not c.drifted, c.column))
        for svg in small_multiples(ordered):
            section.add(Chart(svg))
    if report.skipped:
        page.section("Not tested").add(
            Table(["column", "reason"], [[n, r] for n, r in report.skipped.items()])
        )
    return page
