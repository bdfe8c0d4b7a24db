"""Self-contained HTML and Markdown renderings of results; charts work offline.

A :class:`Report` holds sections of typed blocks (text, callouts, headline
numbers, tables and SVG charts) and renders them with no scripts and no links,
so the file can be mailed, archived or opened on an air-gapped machine. The
``format_*`` functions write numbers, shares, counts and dates as people write
them; every page uses them.

>>> from driftline.report import Report, Stat, format_number
>>> report = Report("Weekly model review")
>>> _ = report.section("Volume").add(Stat("predictions", format_number(24000)))
>>> "24,000" in report.to_html()
True
"""

from driftline.report._document import (
    Block,
    Callout,
    Chart,
    Report,
    Section,
    Stat,
    Table,
    Text,
    Tone,
)
from driftline.report._format import (
    MISSING,
    format_count,
    format_date,
    format_interval,
    format_number,
    format_p_value,
    format_percent,
    format_period,
    plural,
    to_datetime,
)
from driftline.report._svg import Band, Line, bar_chart, histogram_chart, line_chart
from driftline.report._svg_xy import Curve, heatmap_chart, mini_bars, xy_chart

__all__ = [
    "MISSING",
    "Band",
    "Block",
    "Callout",
    "Chart",
    "Curve",
    "Line",
    "Report",
    "Section",
    "Stat",
    "Table",
    "Text",
    "Tone",
    "bar_chart",
    "format_count",
    "format_date",
    "format_interval",
    "format_number",
    "format_p_value",
    "format_percent",
    "format_period",
    "heatmap_chart",
    "histogram_chart",
    "line_chart",
    "mini_bars",
    "plural",
    "to_datetime",
    "xy_chart",
]
