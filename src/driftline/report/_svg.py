"""Small, dependency-free SVG charts that render offline inside a report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Band", "Line", "bar_chart", "histogram_chart", "line_chart"]

_PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
_W, _H = 640, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 28, 44


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


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4 or magnitude < 1e-2:
        return f"{value:.2g}"
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * step:
            step *= mult
            break
    start = math.ceil(lo / step) * step
    ticks = []
    value = start
    while value <= hi + 1e-12 * abs(hi):
        ticks.append(round(value, 12))
        value += step
    return ticks


class _Frame:
    def __init__(self, y_lo: float, y_hi: float, n_x: int) -> None:
        if y_hi <= y_lo:
            y_hi = y_lo + (abs(y_lo) or 1.0) * 0.1
            y_lo -= (abs(y_lo) or 1.0) * 0.1
        self.y_lo, self.y_hi, self.n_x = y_lo, y_hi, max(n_x, 1)

    def x(self, i: float) -> float:
        span = _W - _LEFT - _RIGHT
        if self.n_x == 1:
            return _LEFT + span / 2
        return _LEFT + span * i / (self.n_x - 1)

    def y(self, v: float) -> float:
        span = _H - _TOP - _BOTTOM
        return _TOP + span * (1 - (v - self.y_lo) / (self.y_hi - self.y_lo))


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{escape(title)}" class="chart" font-family="system-ui, sans-serif" '
        'font-size="11">',
        f'<text x="{_LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]


def _axes(frame: _Frame, x_labels: Sequence[str], y_label: str) -> list[str]:
    parts = []
    for tick in _ticks(frame.y_lo, frame.y_hi):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563">'
            f"{_fmt(tick)}</text>"
        )
    every = max(1, math.ceil(len(x_labels) / 10))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f'<text x="{frame.x(i):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
                f'fill="#4b5563">{escape(label)}</text>'
            )
    parts.append(
        f'<text x="12" y="{(_TOP + _H - _BOTTOM) / 2:.0f}" transform="rotate(-90 12 '
        f'{(_TOP + _H - _BOTTOM) / 2:.0f})" text-anchor="middle" fill="#374151">'
        f"{escape(y_label)}</text>"
    )
    return parts


def _legend(labels: Sequence[tuple[str, str]]) -> list[str]:
    parts, x = [], _LEFT
    for label, colour in labels:
        parts.append(
            f'<rect x="{x}" y="{_H - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{_H - 5}" fill="#111827">{escape(label)}</text>'
        )
        x += 24 + 7 * len(label)
    return parts


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def line_chart(
    title: str,
    x_labels: Sequence[str],
    lines: Sequence[Line],
    *,
    y_label: str = "",
    bands: Sequence[Band] = (),
    markers: Sequence[tuple[int, str]] = (),
) -> str:
    """Return an SVG line chart; ``markers`` are ``(x index, label)`` vertical rules.

    >>> svg = line_chart("AUC", ["w1", "w2"], [Line("realized", [0.8, 0.7])])
    >>> svg.startswith("<svg") and "realized" in svg
    True
    """
    values = [v for line in lines for v in _finite(line.values)]
    values += [v for band in bands for v in _finite(band.low) + _finite(band.high)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.08
    frame = _Frame(lo - pad, hi + pad, len(x_labels))
    parts = _open(title) + _axes(frame, x_labels, y_label)
    for k, band in enumerate(bands):
        colour = _PALETTE[k % len(_PALETTE)]
        upper = [(frame.x(i), frame.y(v)) for i, v in enumerate(band.high) if v is not None]
        lower = [(frame.x(i), frame.y(v)) for i, v in enumerate(band.low) if v is not None]
        if upper and lower:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower[::-1])
            parts.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="0.15"/>')
    for index, label in markers:
        x = frame.x(index)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" '
            f'stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="3 3"/>'
            f'<text x="{x + 4:.1f}" y="{_TOP + 10}" fill="#b45309">{escape(label)}</text>'
        )
    legend = []
    for k, line in enumerate(lines):
        colour = _PALETTE[k % len(_PALETTE)]
        legend.append((line.label, colour))
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        segment: list[str] = []
        for i, v in enumerate([*line.values, None]):
            if v is not None and math.isfinite(v):
                segment.append(f"{frame.x(i):.1f},{frame.y(v):.1f}")
                parts.append(
                    f'<circle cx="{frame.x(i):.1f}" cy="{frame.y(v):.1f}" r="2.5" fill="{colour}"/>'
                )
            elif segment:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
                segment = []
    parts += _legend(legend)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    y_label: str = "",
) -> str:
    """Return an SVG grouped bar chart (for example category shares, reference vs current).

    >>> "<rect" in bar_chart("share", ["a", "b"], [("reference", [0.4, 0.6])])
    True
    """
    values = [v for _, vals in series for v in vals if math.isfinite(v)]
    frame = _Frame(min([0.0, *values]), max([*values, 0.0]) * 1.08 or 1.0, len(categories) + 1)
    parts = _open(title) + _axes(frame, [], y_label)
    span = (_W - _LEFT - _RIGHT) / max(len(categories), 1)
    width = span * 0.8 / max(len(series), 1)
    legend = []
    for k, (label, vals) in enumerate(series):
        colour = _PALETTE[k % len(_PALETTE)]
        legend.append((label, colour))
        for i, v in enumerate(vals):
            x = _LEFT + span * i + span * 0.1 + width * k
            y0, y1 = frame.y(0.0), frame.y(v)
            parts.append(
                f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" '
                f'height="{abs(y0 - y1):.1f}" fill="{colour}" fill-opacity="0.8">'
                f"<title>{escape(categories[i])}: {_fmt(v)}</title></rect>"
            )
    every = max(1, math.ceil(len(categories) / 12))
    for i, name in enumerate(categories):
        if i % every == 0:
            x = _LEFT + span * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
                f'fill="#4b5563">{escape(name[:14])}</text>'
            )
    parts += _legend(legend)
    parts.append("</svg>")
    return "".join(parts)


def histogram_chart(
    title: str,
    edges: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    y_label: str = "share of rows",
) -> str:
    """Return overlaid step histograms on shared ``edges`` (len(edges) == len(counts) + 1).

    Counts are normalized to shares so that samples of different sizes compare.

    >>> svg = histogram_chart("x", [0, 1, 2], [("reference", [5, 5]), ("current", [2, 8])])
    >>> svg.count("<path") == 2
    True
    """
    shares = []
    for label, counts in series:
        total = float(sum(counts)) or 1.0
        shares.append((label, [c / total for c in counts]))
    top = max([v for _, vals in shares for v in vals] + [1e-9])
    frame = _Frame(0.0, top * 1.1, 2)
    lo, hi = float(edges[0]), float(edges[-1])
    width = hi - lo or 1.0

    def x_of(value: float) -> float:
        return _LEFT + (_W - _LEFT - _RIGHT) * (value - lo) / width

    parts = _open(title) + _axes(frame, [], y_label)
    for tick in _ticks(lo, hi):
        parts.append(
            f'<text x="{x_of(tick):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
            f'fill="#4b5563">{_fmt(tick)}</text>'
        )
    legend = []
    for k, (label, vals) in enumerate(shares):
        colour = _PALETTE[k % len(_PALETTE)]
        legend.append((label, colour))
        path = [f"M{x_of(float(edges[0])):.1f},{frame.y(0.0):.1f}"]
        for i, v in enumerate(vals):
            path.append(f"L{x_of(float(edges[i])):.1f},{frame.y(v):.1f}")
            path.append(f"L{x_of(float(edges[i + 1])):.1f},{frame.y(v):.1f}")
        path.append(f"L{x_of(float(edges[-1])):.1f},{frame.y(0.0):.1f}")
        parts.append(
            f'<path d="{" ".join(path)}" fill="{colour}" fill-opacity="0.12" '
            f'stroke="{colour}" stroke-width="1.6"/>'
        )
    parts += _legend(legend)
    parts.append("</svg>")
    return "".join(parts)
