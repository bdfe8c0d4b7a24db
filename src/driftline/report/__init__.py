"""Self-contained HTML and Markdown renderings of results; charts work offline.

A :class:`Report` holds sections of typed blocks (text, callouts, headline
numbers, tables and SVG charts) and renders them with no scripts and no links,
so the file can be mailed, archived or opened on an air-gapped machine.

>>> from driftline.report import Report, Stat
>>> report = Report("Weekly model review")
>>> _ = report.section("Volume").add(Stat("predictions", "24,000"))
>>> "24,000" in report.to_html()
True
"""

from driftline.report._document import Callout, Chart, Report, Section, Stat, Table, Text
from driftline.report._svg import Band, Line, bar_chart, histogram_chart, line_chart

__all__ = [
    "Band",
    "Callout",
    "Chart",
    "Line",
    "Report",
    "Section",
    "Stat",
    "Table",
    "Text",
    "bar_chart",
    "histogram_chart",
    "line_chart",
]
