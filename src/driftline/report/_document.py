"""A report document: sections of typed blocks, rendered to self-contained HTML or Markdown."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, get_args

import jinja2
from markupsafe import Markup

from driftline._params import Constraints, Options, validate
from driftline._version import __version__

__all__ = ["Block", "Callout", "Chart", "Report", "Section", "Stat", "Table", "Text", "Tone"]

Tone = Literal["ok", "warn", "fail", "info"]


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text (escaped)."""

    text: str


@dataclass(frozen=True)
class Callout:
    """A highlighted one-line finding with a tone: ok, warn, fail or info."""

    text: str
    tone: Tone = "info"

    _parameter_constraints: ClassVar[Constraints] = {"tone": [Options(*get_args(Tone))]}

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Stat:
    """A headline number with a label and an optional note."""

    label: str
    value: str
    note: str = ""
    tone: Tone = "info"

    _parameter_constraints: ClassVar[Constraints] = {"tone": [Options(*get_args(Tone))]}

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Chart:
    """An SVG chart produced by :mod:`driftline.report._svg` (trusted markup)."""

    svg: str
    caption: str = ""


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells (or small :class:`Chart` cells); ``tones`` colours whole
    rows; the columns at the indexes in ``numeric`` are right-aligned numbers."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str | Chart]]
    tones: Sequence[Tone | None] = ()
    caption: str = ""
    numeric: Sequence[int] = ()


Block = Text | Callout | Stat | Table | Chart


@dataclass
class Section:
    """A titled section of blocks."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        """Append blocks and return the section, for chaining."""
        self.blocks.extend(blocks)
        return self


_CSS = """
.dl{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827}
.dl header{border-bottom:1px solid #e5e7eb;margin-bottom:16px}
.dl h1{font-size:24px;margin:0 0 4px}.dl h2{font-size:18px;margin:28px 0 8px}
.dl .sub{color:#4b5563;margin:0 0 12px}
.dl section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:4px 18px 14px;margin:14px 0}
.dl table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
.dl caption{text-align:left;color:#4b5563;font-size:12px;padding:2px 0}
.dl th,.dl td{text-align:left;padding:4px 8px;border-bottom:1px solid #f3f4f6;vertical-align:top}
.dl th{background:#f3f4f6;font-weight:600}
.dl td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.dl tr.fail td{background:#fef2f2}.dl tr.warn td{background:#fffbeb}.dl tr.ok td{background:#f0fdf4}
.dl tr.fail td:first-child{box-shadow:inset 4px 0 #dc2626}.dl tr.warn td:first-child{box-shadow:inset 4px 0 #f59e0b}
.dl tr.ok td:first-child{box-shadow:inset 4px 0 #16a34a}
.dl .callout{padding:8px 12px;border-radius:6px;margin:8px 0;border-left:4px solid}
.dl .callout.fail{background:#fef2f2;border-color:#dc2626}.dl .callout.warn{background:#fffbeb;border-color:#f59e0b}
.dl .callout.ok{background:#f0fdf4;border-color:#16a34a}.dl .callout.info{background:#eff6ff;border-color:#2563eb}
.dl .stats{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.dl .stat{border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:150px;flex:1}
.dl .stat .v{font-size:22px;font-weight:600}.dl .stat .l{color:#4b5563;font-size:12px}
.dl .stat.fail{border-color:#fca5a5}.dl .stat.warn{border-color:#fcd34d}.dl .stat.ok{border-color:#86efac}
.dl .stat.fail .v{color:#dc2626}.dl .stat.warn .v{color:#b45309}.dl .stat.ok .v{color:#15803d}
.dl .stat .n{color:#6b7280;font-size:12px}
.dl figure{margin:8px 0}.dl figcaption{color:#4b5563;font-size:12px}
.dl svg.chart{width:100%;height:auto;max-width:760px}.dl svg.mini{display:block}
.dl footer{color:#6b7280;font-size:12px;margin-top:24px}
"""

_BODY = """<div class="dl{% if fragment %} dl-fragment{% endif %}">
<header><h1>{{ title }}</h1>{% if subtitle %}<p class="sub">{{ subtitle }}</p>{% endif %}</header>
{% for s in sections %}<section><h2>{{ s.title }}</h2>
{% set ns = namespace(open=false) %}
{% for b in s.blocks %}
{% if b.__class__.__name__ == 'Stat' %}{% if not ns.open %}<div class="stats">{% set ns.open = true %}{% endif %}
<div class="stat {{ b.tone }}"><div class="l">{{ b.label }}</div><div class="v">{{ b.value }}</div>{% if b.note %}<div class="n">{{ b.note }}</div>{% endif %}</div>
{% else %}{% if ns.open %}</div>{% set ns.open = false %}{% endif %}
{% if b.__class__.__name__ == 'Text' %}<p>{{ b.text }}</p>
{% elif b.__class__.__name__ == 'Callout' %}<div class="callout {{ b.tone }}">{{ b.text }}</div>
{% elif b.__class__.__name__ == 'Table' %}<table>{% if b.caption %}<caption>{{ b.caption }}</caption>{% endif %}
<thead><tr>{% for h in b.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in b.rows %}<tr{% if b.tones and b.tones[loop.index0] %} class="{{ b.tones[loop.index0] }}"{% endif %}>{% for c in row %}{% if c.__class__.__name__ == 'Chart' %}<td>{{ svg(c.svg) }}</td>{% else %}<td{% if loop.index0 in b.numeric %} class="num"{% endif %}>{{ c }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody></table>
{% elif b.__class__.__name__ == 'Chart' %}<figure>{{ svg(b.svg) }}{% if b.caption %}<figcaption>{{ b.caption }}</figcaption>{% endif %}</figure>
{% endif %}{% endif %}
{% endfor %}{% if ns.open %}</div>{% endif %}
</section>
{% endfor %}
<footer>Generated by driftline {{ version }} on {{ generated }}.{% if not fragment %} This file is self-contained and works offline.{% endif %}</footer>
</div>"""

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="driftline {{ version }}">
<title>{{ title }}</title>
<style>body{margin:0;background:#f9fafb}.dl{max-width:980px;margin:0 auto;padding:24px}
{{ css }}</style></head><body><main>
{% include "body" %}
</main></body></html>
"""

_FRAGMENT = """<style>.dl-fragment{max-width:980px}.dl-fragment section{padding:2px 14px 10px}
{{ css }}</style>
{% include "body" %}
"""

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"body": _BODY, "page": _TEMPLATE, "fragment": _FRAGMENT}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass
class Report:
    """A self-contained report: a title and sections of blocks.

    >>> report = Report("Demo")
    >>> _ = report.section("Overview").add(Stat("rows", "1,000"), Text("All good."))
    >>> "<h2>Overview</h2>" in report.to_html()
    True
    >>> print(report.to_markdown().splitlines()[0])
    # Demo
    """

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        """Add a section and return it."""
        new = Section(title)
        self.sections.append(new)
        return new

    def to_html(self, *, fragment: bool = False) -> str:
        """Render the report as one HTML page with inline CSS and SVG (no scripts, no links).

        ``fragment=True`` gives a ``<div>`` with its own scoped styles instead of a whole
        page, for embedding (a Jupyter notebook shows it through ``_repr_html_``).
        """
        return _ENV.get_template("fragment" if fragment else "page").render(
            title=self.title,
            subtitle=self.subtitle,
            sections=self.sections,
            version=__version__,
            generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            svg=Markup,
            css=Markup(_CSS),
            fragment=fragment,
        )

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the report as a self-contained fragment (no scripts)."""
        return self.to_html(fragment=True)

    def to_markdown(self) -> str:
        """Render the report as Markdown (charts are left out; their captions stay)."""
        lines = [f"# {self.title}", ""]
        if self.subtitle:
            lines += [self.subtitle, ""]
        for sec in self.sections:
            lines += [f"## {sec.title}", ""]
            previous: Block | None = None
            for block in sec.blocks:
                if isinstance(previous, Stat) and not isinstance(block, Stat):
                    lines.append("")  # end the list of stats before the next block
                lines += _markdown_block(block)
                previous = block
        return "\n".join(lines).rstrip() + "\n"

    def write(self, path: str | Path) -> Path:
        """Write HTML (or Markdown when ``path`` ends in ``.md``) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = self.to_markdown() if target.suffix.lower() == ".md" else self.to_html()
        target.write_text(text, encoding="utf-8")
        return target


def _cell(text: str | Chart) -> str:
    if isinstance(text, Chart):
        text = text.caption
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_block(block: Block) -> list[str]:
    if isinstance(block, Text):
        return [block.text, ""]
    if isinstance(block, Callout):
        marker = {"ok": "✅", "warn": "⚠️", "fail": "❌", "info": "ℹ️"}[block.tone]
        return [f"> {marker} {block.text}", ""]
    if isinstance(block, Stat):
        note = f" ({block.note})" if block.note else ""
        return [f"- **{block.label}**: {block.value}{note}"]
    if isinstance(block, Table):
        out = ["| " + " | ".join(_cell(h) for h in block.headers) + " |"]
        out.append("|" + "---|" * len(block.headers))
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
        return [*out, ""]
    return [f"*Chart: {block.caption}*", ""] if block.caption else []
