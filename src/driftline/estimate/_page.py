"""The page of an :class:`EstimationResult`: per metric, the estimate of every chunk with
its confidence band and the reference alert band, the realized value once labels are in,
and the assumption checks (NannyML's signature chart, offline and self-contained)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from driftline.report import (
    MISSING,
    Band,
    Callout,
    Chart,
    Line,
    Report,
    Stat,
    Table,
    Text,
    format_count,
    format_date,
    format_interval,
    format_number,
    format_period,
    line_chart,
    plural,
)

if TYPE_CHECKING:
    from driftline.estimate._result import ChunkEstimate, EstimationResult

__all__ = ["estimation_report"]


def _value(v: float | None) -> str:
    if v is None:
        return MISSING
    return format_number(v, decimals=3) if abs(v) < 1000 else format_number(v)


def _axis_label(chunk: ChunkEstimate) -> str:
    if isinstance(chunk.start, pd.Timestamp):
        return format_date(chunk.start)
    return chunk.key


def _span(chunk: ChunkEstimate) -> str:
    if isinstance(chunk.start, pd.Timestamp) and isinstance(chunk.end, pd.Timestamp):
        return format_period(chunk.start, chunk.end)
    if isinstance(chunk.start, int) and isinstance(chunk.end, int):
        return f"rows {format_number(chunk.start + 1)}–{format_number(chunk.end + 1)}"
    return chunk.key


def _metric_section(page: Report, result: EstimationResult, name: str) -> None:
    chunks = result.chunks
    ests = [c.metric(name) for c in chunks]
    pct = round(100 * result.confidence)
    alerts = [i for i, e in enumerate(ests) if e.alert]
    realized = [e.realized for e in ests]
    has_realized = any(r is not None for r in realized)
    section = page.section(f"Estimated {name}")
    last = ests[-1]
    section.add(
        Stat(
            f"estimated {name}, last chunk",
            _value(last.value),
            note=f"{pct}% band {format_interval(last.lower, last.upper, decimals=3)}",
            tone="fail" if last.alert else "ok",
        ),
        Stat(
            "chunks outside the reference band",
            f"{len(alerts)} of {len(chunks)}",
            note=f"first: {_span(chunks[alerts[0]])}" if alerts else "",
            tone="fail" if alerts else "ok",
        ),
    )
    lines = [Line(f"estimated {name} (no labels)", [e.value for e in ests])]
    if has_realized:
        lines.append(Line(f"realized {name} (labels)", realized, dashed=True))
    ref_low = [e.reference_lower for e in ests]
    ref_high = [e.reference_upper for e in ests]
    if any(v is not None for v in ref_low):
        lines.append(Line("reference band, lower edge", ref_low, dashed=True))
    if any(v is not None for v in ref_high):
        lines.append(Line("reference band, upper edge", ref_high, dashed=True))
    section.add(
        Chart(
            line_chart(
                f"{name}: estimated per chunk, {pct}% band" + (", realized" if has_realized else ""),
                [_axis_label(c) for c in chunks],
                lines,
                y_label=name,
                bands=[Band(f"{pct}% band", [e.lower for e in ests], [e.upper for e in ests])],
                highlight=alerts,
            ),
            caption=f"The shaded band is where the realized {name} should fall with "
            f"{pct}% probability if the model's calibration holds; an estimate outside the "
            "reference band (mean ± 3 sd of the reference chunks) raises an alert (circled).",
        ),
        Table(
            ["chunk", "period", "rows", "estimate", f"{pct}% band", "reference band",
             "realized", "alert"],
            [
                [c.key, _span(c), format_number(c.n_rows), _value(e.value),
                 format_interval(e.lower, e.upper, decimals=3),
                 format_interval(e.reference_lower, e.reference_upper, decimals=3),
                 _value(e.realized) + ("" if e.realized_in_band is not False else " (outside band)"),
                 "yes" if e.alert else "no"]
                for c, e in zip(chunks, ests, strict=True)
            ],
            tones=["fail" if e.alert else None for e in ests],
            numeric=(2, 3, 4, 5, 6),
        ),
    )  # fmt: skip


def estimation_report(result: EstimationResult, *, title: str = "") -> Report:
    """The page of an estimation: one section per metric, then the assumption checks."""
    n_rows = sum(c.n_rows for c in result.chunks)
    page = Report(
        title or f"Estimated performance ({result.estimator})",
        subtitle=f"{result.estimator}, {result.problem}: {format_count(len(result.chunks), 'chunk')}, "
        f"{format_count(n_rows, 'row')}, {round(100 * result.confidence)}% bands"
        + (
            f"; calibration {'isotonic' if result.calibration.get('calibrated') else 'none'}"
            if result.calibration
            else ""
        ),
    )
    verdict = page.section("Verdict")
    n_alerts = len(result.alerts)
    spans = {c.key: _span(c) for c in result.chunks}
    warnings = [w for w in result.warnings if w.severity == "warning"]
    if n_alerts:
        verdict.add(
            Callout(
                f"{format_count(n_alerts, 'estimate')} left the reference band: "
                + ", ".join(f"{m} in {spans[k]}" for k, m in result.alerts[:6])
                + (" …" if n_alerts > 6 else ""),
                "fail",
            )
        )
    else:
        verdict.add(Callout("Every estimate stays inside its reference band.", "ok"))
    if warnings:
        verdict.add(
            Callout(
                f"{format_count(len(warnings), 'assumption check')} "
                f"{plural(len(warnings), 'is')} violated: the estimates may be off (see below).",
                "warn",
            )
        )
    verdict.add(
        Text(
            "Estimated from the model's scores alone, without labels: each chunk's expected "
            "metric under the calibrated probabilities. The estimate is only as good as the "
            "calibration, which concept shift breaks; the checks below say when to doubt it."
        )
    )
    for name in result.metrics:
        _metric_section(page, result, name)
    checks = page.section("Assumption checks")
    if not result.warnings:
        checks.add(Callout("No assumption check raised a warning.", "ok"))
    for w in result.warnings:
        where = f" (chunks: {', '.join(w.chunks[:6])})" if w.chunks else ""
        checks.add(
            Callout(f"{w.check}: {w.message}{where}", "warn" if w.severity == "warning" else "info")
        )
    return page
