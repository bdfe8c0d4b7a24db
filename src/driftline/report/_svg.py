"""Small, dependency-free SVG charts that render offline inside a report.

Axis labels are written as people write them (``52,270``, ``12%``, ``Mar 2024``); a
histogram of a column with a few integer values is drawn as one bar per value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import get_args

from driftline._params import Options, validate_params
from driftline.report._format import format_number
from driftline.report._scale import (
    AxisFormat,
    axis_ticks,
    numeric_ticks,
    tick_labels,
    time_ticks,
)

__all__ = ["Band", "Line", "bar_chart", "histogram_chart", "line_chart"]

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
_W, _H = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 28, 44
#: A histogram over at most this many integers may be drawn as bars (see ``discrete``).
MAX_DISCRETE_VALUES = 40
_EMPTY = -(2**62)


@dataclass(frozen=True)
class Line:
    """One series of a line chart; ``None`` values leave a gap."""

    label: str
    values: Sequence[float | None]
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded interval (for example a confidence band) drawn under the lines."""

    label: str
    low: Sequence[float | None]
    high: Sequence[float | None]


class Frame:
    """Maps data to the plot area: ``x`` by index (or value with ``x_range``), ``y`` by value."""

    def __init__(
        self,
        y_lo: float,
        y_hi: float,
        n_x: int,
        *,
        x_range: tuple[float, float] | None = None,
        size: tuple[int, int] = (_W, _H),
        margin_bottom: int = _BOTTOM,
    ) -> None:
        if y_hi <= y_lo:
            y_hi = y_lo + (abs(y_lo) or 1.0) * 0.1
            y_lo -= (abs(y_lo) or 1.0) * 0.1
        self.y_lo, self.y_hi, self.n_x = y_lo, y_hi, max(n_x, 1)
        self.x_range = x_range
        self.width, self.height = size
        self.margin_bottom = margin_bottom
        self.extra_height = 0

    @property
    def right(self) -> float:
        return self.width - _RIGHT

    @property
    def bottom(self) -> float:
        return self.height - self.margin_bottom

    def x(self, i: float) -> float:
        span = self.width - _LEFT - _RIGHT
        if self.x_range is not None:
            lo, hi = self.x_range
            return _LEFT + span * (i - lo) / ((hi - lo) or 1.0)
        return _LEFT + span * (i + 0.5) / self.n_x  # labels at the ends stay inside

    def y(self, v: float) -> float:
        span = self.bottom - _TOP
        return _TOP + span * (1 - (v - self.y_lo) / (self.y_hi - self.y_lo))


def open_svg(title: str, size: tuple[int, int] = (_W, _H), *, max_width: int = 0) -> list[str]:
    """The ``<svg>`` element and the chart's title (``max_width`` caps its shown width)."""
    w, h = size
    style = f' style="max-width:{max_width}px"' if max_width else ""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{escape(title)}" class="chart" font-family="system-ui, sans-serif" '
        f'font-size="11"{style}>',
        f'<text x="{_LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]


def y_axis(frame: Frame, y_label: str, y_format: AxisFormat = "number") -> list[str]:
    """Horizontal grid lines with labelled ticks, and the rotated y-axis title."""
    parts = []
    ticks = axis_ticks(frame.y_lo, frame.y_hi, y_format)
    for tick, text in zip(ticks, tick_labels(ticks, y_format), strict=True):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563">'
            f"{escape(text)}</text>"
        )
    middle = (_TOP + frame.bottom) / 2
    parts.append(
        f'<text x="12" y="{middle:.0f}" transform="rotate(-90 12 {middle:.0f})" '
        f'text-anchor="middle" fill="#374151">{escape(y_label)}</text>'
    )
    return parts


def x_label_text(frame: Frame, x: float, text: str) -> str:
    """One label under the x axis, centred on ``x``."""
    return (
        f'<text x="{x:.1f}" y="{frame.bottom + 16}" text-anchor="middle" '
        f'fill="#4b5563">{escape(text)}</text>'
    )


def x_axis_title(frame: Frame, text: str) -> str:
    """The x-axis title, right-aligned under the tick labels."""
    return (
        f'<text x="{frame.right}" y="{frame.bottom + 30}" text-anchor="end" '
        f'fill="#374151">{escape(text)}</text>'
    )


def legend(
    labels: Sequence[tuple[str, str]], frame: Frame, *, opacity: Sequence[float] = ()
) -> list[str]:
    """Colour swatches with labels along the bottom edge, wrapped onto more rows when they
    do not fit (the caller's :func:`close_svg` grows the chart to hold them)."""
    parts, x, row = [], float(_LEFT), 0
    for k, (label, colour) in enumerate(labels):
        width = 24 + 6.2 * len(label)
        if x + width > frame.width and x > _LEFT:
            x, row = float(_LEFT), row + 1
        alpha = opacity[k] if k < len(opacity) else 1.0
        y = frame.height - 14 + 16 * row
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{colour}" '
            f'fill-opacity="{alpha:g}"/>'
            f'<text x="{x + 14:.0f}" y="{y + 9}" fill="#111827">{escape(label)}</text>'
        )
        x += width
    frame.extra_height = max(frame.extra_height, 16 * row)
    return parts


def close_svg(parts: list[str], frame: Frame) -> str:
    """Join the chart, grown by the rows its legend wrapped onto."""
    if frame.extra_height:
        w, h = frame.width, frame.height
        parts[0] = parts[0].replace(
            f'viewBox="0 0 {w} {h}"', f'viewBox="0 0 {w} {h + frame.extra_height}"', 1
        )
    parts.append("</svg>")
    return "".join(parts)


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _share_format(y_label: str, y_format: AxisFormat | None) -> AxisFormat:
    if y_format is not None:
        return y_format
    return "percent" if y_label.lower().startswith(("share", "fraction")) else "number"


@validate_params({"y_format": [Options(*get_args(AxisFormat))]})
def line_chart(
    title: str,
    x_labels: Sequence[str],
    lines: Sequence[Line],
    *,
    y_label: str = "",
    bands: Sequence[Band] = (),
    markers: Sequence[tuple[int, str]] = (),
    y_format: AxisFormat = "number",
    y_range: tuple[float, float] | None = None,
    highlight: Sequence[int] = (),
) -> str:
    """Return an SVG line chart; ``markers`` are ``(x index, label)`` vertical rules.

    ``y_format`` writes the y ticks as numbers or percentages; ``y_range`` fixes the
    y axis (it still widens to show every value); ``highlight`` circles the points of the
    first line at these x indexes (for example the chunks that raised an alert).

    >>> svg = line_chart("AUC", ["w1", "w2"], [Line("realized", [0.8, 0.7])])
    >>> svg.startswith("<svg") and "realized" in svg
    True
    """
    values = [v for line in lines for v in _finite(line.values)]
    values += [v for band in bands for v in _finite(band.low) + _finite(band.high)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    if y_range is not None:
        lo, hi = min(lo, y_range[0]), max(hi, y_range[1])
    frame = Frame(lo, hi, len(x_labels))
    parts = open_svg(title) + y_axis(frame, y_label, y_format)
    every = max(1, math.ceil(len(x_labels) / 10))
    parts += [
        x_label_text(frame, frame.x(i), label) for i, label in enumerate(x_labels) if i % every == 0
    ]
    keys: list[tuple[str, str]] = []
    alphas: list[float] = []
    for k, band in enumerate(bands):
        colour = PALETTE[k % len(PALETTE)]
        upper = [(frame.x(i), frame.y(v)) for i, v in enumerate(band.high) if v is not None]
        lower = [(frame.x(i), frame.y(v)) for i, v in enumerate(band.low) if v is not None]
        if upper and lower:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower[::-1])
            parts.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="0.15"/>')
            keys.append((band.label, colour))
            alphas.append(0.25)
    for index, label in markers:
        x = frame.x(index)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{frame.bottom}" '
            f'stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="3 3"/>'
            f'<text x="{x + 4:.1f}" y="{_TOP + 10}" fill="#b45309">{escape(label)}</text>'
        )
    for k, line in enumerate(lines):
        if not _finite(line.values):
            continue
        colour = PALETTE[k % len(PALETTE)]
        keys.append((line.label, colour))
        alphas.append(1.0)
        parts += _polyline(frame, line, colour, highlight if k == 0 else ())
    parts += legend(keys, frame, opacity=alphas)
    return close_svg(parts, frame)


def _polyline(frame: Frame, line: Line, colour: str, highlight: Sequence[int]) -> list[str]:
    parts: list[str] = []
    dash = ' stroke-dasharray="6 4"' if line.dashed else ""
    segment: list[str] = []
    for i, v in enumerate([*line.values, None]):
        if v is not None and math.isfinite(v):
            x, y = frame.x(i), frame.y(v)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(line.label)}: {format_number(v)}</title></circle>"
            )
            if i in highlight:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="none" stroke="#dc2626" '
                    'stroke-width="2"/>'
                )
        elif segment:
            parts.append(
                f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
            segment = []
    return parts


def _category_label(name: str, room: float) -> str:
    limit = max(int(room / 6.2), 3)
    return name if len(name) <= limit else name[: limit - 1] + "…"


@validate_params({"y_format": [Options(*get_args(AxisFormat)), None]})
def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    y_label: str = "",
    y_format: AxisFormat | None = None,
) -> str:
    """Return an SVG grouped bar chart (for example category shares, reference vs current).

    The y ticks are percentages when ``y_format="percent"`` or, by default, when the
    ``y_label`` starts with "share" or "fraction". A long category name is shortened
    with an ellipsis; the full name and the value show on hover.

    >>> "<rect" in bar_chart("share", ["a", "b"], [("reference", [0.4, 0.6])])
    True
    """
    fmt = _share_format(y_label, y_format)
    values = [v for _, vals in series for v in vals if math.isfinite(v)]
    frame = Frame(min([0.0, *values]), max([*values, 0.0]) * 1.08 or 1.0, len(categories) + 1)
    parts = open_svg(title) + y_axis(frame, y_label, fmt)
    span = (_W - _LEFT - _RIGHT) / max(len(categories), 1)
    width = span * 0.8 / max(len(series), 1)
    keys = []
    for k, (label, vals) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        keys.append((label, colour))
        for i, v in enumerate(vals):
            if not math.isfinite(v):
                continue
            x = _LEFT + span * i + span * 0.1 + width * k
            y0, y1 = frame.y(0.0), frame.y(v)
            shown = tick_labels([v], fmt)[0] if fmt == "percent" else format_number(v)
            parts.append(
                f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" '
                f'height="{abs(y0 - y1):.1f}" fill="{colour}" fill-opacity="0.8">'
                f"<title>{escape(label)}, {escape(categories[i])}: {escape(shown)}</title></rect>"
            )
    every = max(1, math.ceil(len(categories) / 12))
    for i, name in enumerate(categories):
        if i % every == 0:
            parts.append(
                x_label_text(frame, _LEFT + span * (i + 0.5), _category_label(name, span * every))
            )
    parts += legend(keys, frame)
    return close_svg(parts, frame)


def _integer_bins(
    edges: Sequence[float], series: Sequence[tuple[str, Sequence[float]]]
) -> list[int] | None:
    """The integer each occupied bin holds, when the histogram is a comb over integers.

    A column of a few integer values binned into more bins than there are integers leaves
    every bin that contains no integer empty; such a histogram reads as bars per value.
    """
    lo, hi = float(edges[0]), float(edges[-1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return None
    n_integers = math.floor(hi) - math.ceil(lo) + 1
    n_bins = len(edges) - 1
    if not 1 <= n_integers <= MAX_DISCRETE_VALUES or n_bins <= n_integers:
        return None
    owner: list[int] = []
    for i in range(n_bins):
        a, b = float(edges[i]), float(edges[i + 1])
        inside = list(range(math.ceil(a), math.floor(b) + 1))
        occupied = any(i < len(vals) and vals[i] > 0 for _, vals in series)
        if occupied and len(inside) != 1:
            # bins share their edges: a value on an edge belongs to the bin on its left
            if len(inside) == 2 and inside[0] == a:
                inside = inside[1:]
            else:
                return None
        owner.append(inside[0] if occupied else _EMPTY)
    taken = [o for o in owner if o != _EMPTY]
    return owner if len(taken) == len(set(taken)) else None


@validate_params({"x_format": [Options(*get_args(AxisFormat))]})
def histogram_chart(
    title: str,
    edges: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    y_label: str = "share of rows",
    x_format: AxisFormat = "number",
    discrete: bool | None = None,
) -> str:
    """Return overlaid step histograms on shared ``edges`` (len(edges) == len(counts) + 1).

    Counts are normalized to shares so that samples of different sizes compare.
    ``x_format="datetime"`` reads the edges as seconds since the epoch (UTC) and labels
    the axis with dates. ``discrete=None`` draws one bar per integer value when the
    histogram is a comb over a few integers (every bin without an integer is empty);
    ``True`` forces it where possible, ``False`` never does it.

    >>> svg = histogram_chart("x", [0, 1, 2], [("reference", [5, 5]), ("current", [2, 8])])
    >>> svg.count("<path") == 2
    True
    >>> comb = histogram_chart("kids", [0, 0.5, 1, 1.5, 2], [("ref", [4, 0, 3, 1])])
    >>> comb.count("<rect") > 2 and "<path" not in comb
    True
    """
    shares = []
    for label, counts in series:
        total = float(sum(c for c in counts if math.isfinite(c))) or 1.0
        shares.append((label, [c / total if math.isfinite(c) else 0.0 for c in counts]))
    if discrete is not False and x_format != "datetime" and len(edges) > 2:
        owner = _integer_bins(edges, shares)
        if owner is not None:
            values = sorted({o for o in owner if o > _EMPTY})
            bars = []
            for label, vals in shares:
                per_value = dict.fromkeys(values, 0.0)
                for o, v in zip(owner, vals, strict=False):
                    if o in per_value:
                        per_value[o] += v
                bars.append((label, [per_value[v] for v in values]))
            return bar_chart(
                title, [format_number(v) for v in values], bars, y_label=y_label,
                y_format=_share_format(y_label or "share", None),
            )  # fmt: skip
    top = max([v for _, vals in shares for v in vals] + [1e-9])
    frame = Frame(0.0, top * 1.1, 2)
    lo, hi = float(edges[0]), float(edges[-1])
    width = hi - lo or 1.0

    def x_of(value: float) -> float:
        return _LEFT + (_W - _LEFT - _RIGHT) * (value - lo) / width

    parts = open_svg(title) + y_axis(frame, y_label, _share_format(y_label or "share", None))
    if x_format == "datetime":
        ticks = time_ticks(lo, hi)
    else:
        at = numeric_ticks(lo, hi)
        ticks = list(zip(at, tick_labels(at, x_format), strict=True))
    parts += [x_label_text(frame, x_of(t), text) for t, text in ticks]
    keys = []
    for k, (label, vals) in enumerate(shares):
        colour = PALETTE[k % len(PALETTE)]
        keys.append((label, colour))
        path = [f"M{x_of(float(edges[0])):.1f},{frame.y(0.0):.1f}"]
        for i, v in enumerate(vals):
            path.append(f"L{x_of(float(edges[i])):.1f},{frame.y(v):.1f}")
            path.append(f"L{x_of(float(edges[i + 1])):.1f},{frame.y(v):.1f}")
        path.append(f"L{x_of(float(edges[-1])):.1f},{frame.y(0.0):.1f}")
        parts.append(
            f'<path d="{" ".join(path)}" fill="{colour}" fill-opacity="0.12" '
            f'stroke="{colour}" stroke-width="1.6"/>'
        )
    parts += legend(keys, frame)
    return close_svg(parts, frame)
