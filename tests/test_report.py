from __future__ import annotations

import math
import re
from pathlib import Path

from driftline.report import (
    Callout,
    Chart,
    Line,
    Report,
    Stat,
    Table,
    Text,
    bar_chart,
    histogram_chart,
    line_chart,
)


def _report() -> Report:
    report = Report("Title <b>", subtitle="sub & title")
    report.section("One").add(
        Stat("rows", "1,000", note="n"),
        Text("<script>alert(1)</script>"),
        Callout("drift found", "fail"),
        Table(["a", "b|c"], [["1", "x|y"], ["2", "z"]], tones=["fail", None]),
        Chart(line_chart("t", ["w1", "w2", "w3"], [Line("m", [0.5, None, math.nan])]), "cap"),
    )
    return report


def test_html_is_self_contained_and_escapes_text() -> None:
    html = _report().to_html()
    assert "<script" not in html.replace("&lt;script&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"\b(src|href)=", html), "a report must not load anything"
    assert 'class="fail"' in html
    assert "Title &lt;b&gt;" in html


def test_markdown_rendering_escapes_pipes() -> None:
    md = _report().to_markdown()
    assert md.startswith("# Title <b>\n")
    assert "| a | b\\|c |" in md
    assert "| 1 | x\\|y |" in md
    assert "> ❌ drift found" in md
    assert "*Chart: cap*" in md


def test_write_picks_format_by_suffix(tmp_path: Path) -> None:
    report = _report()
    assert report.write(tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert report.write(tmp_path / "sub" / "r.md").read_text().startswith("# ")


def test_charts_survive_degenerate_data() -> None:
    assert line_chart("empty", [], []).endswith("</svg>")
    assert line_chart("flat", ["a", "b"], [Line("x", [1.0, 1.0])]).endswith("</svg>")
    assert bar_chart("zero", ["a"], [("s", [0.0])]).endswith("</svg>")
    assert histogram_chart("one bin", [0.0, 0.0], [("s", [0])]).endswith("</svg>")


def test_line_chart_breaks_at_gaps() -> None:
    svg = line_chart("gaps", list("abcde"), [Line("x", [1.0, 2.0, None, 3.0, 4.0])])
    assert svg.count("<polyline") == 2
