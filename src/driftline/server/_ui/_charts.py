"""Chart data of the pages: the timeline's columns (drawn by ``static/timeline.js``) and a
feature's reference-vs-current distribution (drawn here with the report's SVG charts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftline.report import bar_chart, histogram_chart
from driftline.server._ui._data import Estimate, WindowRow

__all__ = ["distribution_svg", "timeline_data"]


def _r(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.5g}")


def timeline_data(
    rows: Sequence[WindowRow],
    est_metric: str | None,
    real_metric: str | None,
    *,
    window_url: str,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Column arrays, one entry per window with a start time (oldest first)."""
    timed = [r for r in rows if r.start is not None]
    empty = Estimate(None)
    est = [r.estimated.get(est_metric, empty) if est_metric else empty for r in timed]
    real = [r.realized.get(real_metric, empty) if real_metric else empty for r in timed]
    return {
        "window_url": window_url,
        "labels": labels,
        "t": [int(r.start.timestamp()) for r in timed if r.start is not None],
        "key": [r.key for r in timed],
        "est": [_r(e.value) for e in est],
        "est_lo": [_r(e.lower) for e in est],
        "est_hi": [_r(e.upper) for e in est],
        "band_lo": [_r(e.band_lower) for e in est],
        "band_hi": [_r(e.band_upper) for e in est],
        "out": [1 if e.outside else 0 for e in est],
        "real": [_r(e.value) for e in real],
        "real_lo": [_r(e.lower) for e in real],
        "real_hi": [_r(e.upper) for e in real],
        "drift": [_r(r.drift_share) for r in timed],
        "rows": [r.rows for r in timed],
        "cov": [_r(r.labels / r.rows) if r.rows else None for r in timed],
    }


def distribution_svg(feature: str, chart: dict[str, Any]) -> str | None:
    """Reference vs current shares of a feature (histogram or category bars), or None."""
    ref, cur = chart.get("reference"), chart.get("current")
    if not isinstance(ref, list) or not isinstance(cur, list):
        return None
    series = [("reference", ref), ("current window", cur)]
    title = f"{feature}: reference vs current window"
    if chart.get("type") == "histogram" and isinstance(chart.get("edges"), list):
        if chart.get("axis") == "datetime":
            return histogram_chart(title, chart["edges"], series, x_format="datetime")
        return histogram_chart(title, chart["edges"], series)
    if chart.get("type") == "bars" and isinstance(chart.get("categories"), list):
        return bar_chart(
            title, [str(c) for c in chart["categories"]], series, y_label="share of rows"
        )
    return None
