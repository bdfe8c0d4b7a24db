"""Charts on a numeric x axis (ROC, precision-recall, reliability), a confusion-matrix
heat map, and small inline distribution charts for tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import get_args

from driftline._params import Options, validate_params
from driftline.report._format import format_number, format_percent
from driftline.report._scale import AxisFormat, numeric_ticks, tick_labels
from driftline.report._svg import (
    PALETTE,
    Frame,
    close_svg,
    legend,
    open_svg,
    x_axis_title,
    x_label_text,
    y_axis,
)

__all__ = ["Curve", "heatmap_chart", "mini_bars", "xy_chart"]


@dataclass(frozen=True)
class Curve:
    """One series of an :func:`xy_chart`: points ``(x[i], y[i])``; ``points`` draws dots
    (sized by ``sizes`` when given); ``low``/``high`` draw an interval bar at each point."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    dashed: bool = False
    points: bool = False
    sizes: Sequence[float] = field(default=())
    low: Sequence[float] = field(default=())
    high: Sequence[float] = field(default=())


@validate_params(
    {"x_format": [Options(*get_args(AxisFormat))], "y_format": [Options(*get_args(AxisFormat))]}
)
def xy_chart(
    title: str,
    curves: Sequence[Curve],
    *,
    x_label: str = "",
    y_label: str = "",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    diagonal: str = "",
    x_format: AxisFormat = "number",
    y_format: AxisFormat = "number",
) -> str:
    """Return an SVG chart of curves on numeric axes (for example ROC or reliability).

    ``diagonal`` draws the line y = x, labelled with its text (for example "chance" or
    "perfect calibration"). Dots of a curve with ``sizes`` scale with them (for example
    the rows in each calibration bin).

    >>> svg = xy_chart("ROC", [Curve("model", [0, 0.2, 1], [0, 0.7, 1])], diagonal="chance")
    >>> svg.count("<polyline") == 2
    True
    """
    xs = [v for c in curves for v in c.x if math.isfinite(v)]
    ys = [v for c in curves for v in c.y if math.isfinite(v)]
    x_lo, x_hi = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    y_lo, y_hi = y_range or ((min(ys), max(ys)) if ys else (0.0, 1.0))
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    size = (480, 410)
    frame = Frame(y_lo, y_hi, 2, x_range=(x_lo, x_hi), size=size, margin_bottom=64)
    parts = open_svg(title, size, max_width=520) + y_axis(frame, y_label, y_format)
    ticks = numeric_ticks(x_lo, x_hi)
    for tick, text in zip(ticks, tick_labels(ticks, x_format), strict=True):
        parts.append(x_label_text(frame, frame.x(tick), text))
    if x_label:
        parts.append(x_axis_title(frame, x_label))
    keys: list[tuple[str, str]] = []
    if diagonal:
        lo, hi = max(x_lo, y_lo), min(x_hi, y_hi)
        parts.append(
            f'<polyline points="{frame.x(lo):.1f},{frame.y(lo):.1f} {frame.x(hi):.1f},'
            f'{frame.y(hi):.1f}" fill="none" stroke="#9ca3af" stroke-width="1.5" '
            'stroke-dasharray="4 4"/>'
        )
        keys.append((diagonal, "#9ca3af"))
    biggest = max((s for c in curves for s in c.sizes), default=1.0) or 1.0
    for k, curve in enumerate(curves):
        colour = PALETTE[k % len(PALETTE)]
        keys.append((curve.label, colour))
        pts = [
            (frame.x(x), frame.y(y), i)
            for i, (x, y) in enumerate(zip(curve.x, curve.y, strict=True))
            if math.isfinite(x) and math.isfinite(y)
        ]
        dash = ' stroke-dasharray="6 4"' if curve.dashed else ""
        if len(pts) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        for x, _, i in pts if curve.low and curve.high else ():
            lo_y, hi_y = frame.y(curve.low[i]), frame.y(curve.high[i])
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{lo_y:.1f}" y2="{hi_y:.1f}" '
                f'stroke="{colour}" stroke-width="1.5" stroke-opacity="0.6"/>'
                f'<line x1="{x - 3:.1f}" x2="{x + 3:.1f}" y1="{lo_y:.1f}" y2="{lo_y:.1f}" '
                f'stroke="{colour}" stroke-opacity="0.6"/>'
                f'<line x1="{x - 3:.1f}" x2="{x + 3:.1f}" y1="{hi_y:.1f}" y2="{hi_y:.1f}" '
                f'stroke="{colour}" stroke-opacity="0.6"/>'
            )
        if curve.points:
            for x, y, i in pts:
                r = 3.0
                if curve.sizes:
                    r = 2.5 + 5.5 * math.sqrt(max(curve.sizes[i], 0.0) / biggest)
                tip = f"{format_number(curve.x[i])}, {format_number(curve.y[i])}"
                if curve.sizes:
                    tip += f" ({format_number(curve.sizes[i])} rows)"
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
                    f'fill-opacity="0.7"><title>{escape(tip)}</title></circle>'
                )
    parts += legend(keys, frame)
    return close_svg(parts, frame)


def _tint(share: float) -> str:
    """White to blue as ``share`` goes from 0 to 1."""
    s = min(max(share, 0.0), 1.0)
    r, g, b = (round(255 + (t - 255) * s) for t in (37, 99, 235))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_chart(
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    row_title: str = "",
    column_title: str = "",
) -> str:
    """Return a heat map with each cell's count and its share of the row (a confusion
    matrix: rows are the true class, columns the predicted class).

    >>> svg = heatmap_chart("Confusion", ["0", "1"], ["0", "1"], [[50, 5], [10, 35]])
    >>> "50" in svg and "90.9%" in svg
    True
    """
    n_rows, n_cols = len(row_labels), len(column_labels)
    cell = max(min(420 / max(n_cols, 1), 80), 36)
    left, top = 130, 56
    width = int(left + cell * n_cols + 24)
    height = int(top + cell * n_rows + 20)
    parts = open_svg(title, (width, height), max_width=int(width * 1.2))
    parts.append(
        f'<text x="{left + cell * n_cols / 2:.0f}" y="32" text-anchor="middle" '
        f'fill="#374151">{escape(column_title)}</text>'
    )
    parts.append(
        f'<text x="12" y="{top + cell * n_rows / 2:.0f}" text-anchor="middle" fill="#374151" '
        f'transform="rotate(-90 12 {top + cell * n_rows / 2:.0f})">{escape(row_title)}</text>'
    )
    for j, name in enumerate(column_labels):
        parts.append(
            f'<text x="{left + cell * (j + 0.5):.0f}" y="{top - 6}" text-anchor="middle" '
            f'fill="#4b5563">{escape(name[:16])}</text>'
        )
    for i, name in enumerate(row_labels):
        row = values[i] if i < len(values) else []
        total = sum(v for v in row if math.isfinite(v)) or 1.0
        parts.append(
            f'<text x="{left - 8}" y="{top + cell * (i + 0.5) + 4:.0f}" text-anchor="end" '
            f'fill="#4b5563">{escape(name[:18])}</text>'
        )
        for j in range(n_cols):
            v = float(row[j]) if j < len(row) else float("nan")
            share = v / total if math.isfinite(v) else 0.0
            x, y = left + cell * j, top + cell * i
            ink = "#ffffff" if share > 0.55 else "#111827"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell - 2:.1f}" height="{cell - 2:.1f}" '
                f'fill="{_tint(share)}" stroke="#e5e7eb"/>'
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 - 2:.1f}" '
                f'text-anchor="middle" font-size="13" font-weight="600" fill="{ink}">'
                f"{escape(format_number(v))}</text>"
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 13:.1f}" '
                f'text-anchor="middle" fill="{ink}">{escape(format_percent(share))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def mini_bars(
    title: str,
    labels: Sequence[str],
    shares: Sequence[float],
    *,
    width: int = 160,
    height: int = 40,
) -> str:
    """A small bar chart for a table cell (a column's distribution at a glance): one bar
    per label, the label and share shown on hover.

    >>> mini_bars("x", ["a", "b"], [0.25, 0.75]).count("<rect")
    2
    """
    top = max([s for s in shares if math.isfinite(s)] + [1e-12])
    n = max(len(shares), 1)
    gap = 1.0 if n < 40 else 0.0
    bar = (width - gap * (n - 1)) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'class="mini">'
    ]
    for i, (label, share) in enumerate(zip(labels, shares, strict=True)):
        h = 0.0 if not math.isfinite(share) else (height - 2) * share / top
        parts.append(
            f'<rect x="{i * (bar + gap):.1f}" y="{height - h:.1f}" width="{max(bar, 0.5):.1f}" '
            f'height="{h:.1f}" fill="#2563eb" fill-opacity="0.75">'
            f"<title>{escape(label)}: {escape(format_percent(share))}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
