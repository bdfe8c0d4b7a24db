"""``GateReport``: the verdict, every check's evidence, and the digests of what was tested."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from driftline._params import Interval, check
from driftline.gate._registry import fmt
from driftline.report import (
    MISSING,
    Report,
    Tone,
    format_count,
    format_date,
    format_interval,
    format_number,
    plural,
)

__all__ = ["MARKDOWN_MARKER", "MAX_MARKDOWN_CHARS", "CheckResult", "GateReport"]

Status = Literal["pass", "warn", "fail", "not_evaluated"]
Verdict = Literal["pass", "warn", "fail"]

#: First line of every Markdown report, so CI can find and update one PR comment.
MARKDOWN_MARKER = "<!-- driftline-gate -->"
#: GitHub's limit on the body of an issue or pull-request comment.
MAX_MARKDOWN_CHARS = 65_536
_BUDGET = 60_000
_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "not_evaluated": "⏭️"}


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _json(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    if isinstance(v, float):
        return _num(v)
    if hasattr(v, "item"):
        return _json(v.item())
    return v


@dataclass(frozen=True)
class CheckResult:
    """One check's evidence: observed value vs threshold, interval, status and reason.

    >>> r = CheckResult("auc", "metric", "fail", "pass", 0.9, 0.8, ">=", 0.88, 0.92, "ok")
    >>> r.to_dict()["status"]
    'pass'
    """

    name: str
    kind: str
    severity: Literal["fail", "warn"]
    status: Status
    observed: float | None
    threshold: float | None
    direction: str
    ci_low: float | None
    ci_high: float | None
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (NaN becomes ``None``)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity,
            "status": self.status,
            "observed": _num(self.observed),
            "threshold": _num(self.threshold),
            "direction": self.direction,
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "reason": self.reason,
            "details": _json(self.details),
        }

    @property
    def interval(self) -> str:
        """``[low, high]`` or ``-``."""
        if self.ci_low is None or self.ci_high is None:
            return "-"
        return f"[{fmt(self.ci_low)}, {fmt(self.ci_high)}]"


@dataclass(frozen=True)
class GateReport:
    """The result of :func:`driftline.gate.run`.

    ``verdict`` is ``"fail"`` when a check of severity ``fail`` is violated, ``"warn"`` when
    only ``warn`` checks are, ``"pass"`` otherwise. ``digests`` hold the sha256 of the
    candidate and champion artifacts, the evaluation and training data and the policy.

    >>> r = GateReport("demo", "pass", (), {"policy": None}, {"n_rows": 0}, 0.95, "t", 0.0, "0")
    >>> r.headline()
    'driftline gate: PASS (0 passed, 0 warnings, 0 failed)'
    >>> r.to_markdown().splitlines()[0]
    '<!-- driftline-gate -->'
    """

    policy_name: str
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    digests: Mapping[str, str | None]
    inputs: Mapping[str, Any]
    confidence: float
    started_at: str
    duration_s: float
    driftline_version: str
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True unless the verdict is ``fail`` (warnings allowed)."""
        return self.verdict != "fail"

    @property
    def counts(self) -> dict[str, int]:
        """Number of checks per status."""
        out = {"pass": 0, "warn": 0, "fail": 0, "not_evaluated": 0}
        for c in self.checks:
            out[c.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation."""
        return {
            "policy": self.policy_name,
            "verdict": self.verdict,
            "passed": self.passed,
            "counts": self.counts,
            "confidence": self.confidence,
            "checks": [c.to_dict() for c in self.checks],
            "digests": dict(self.digests),
            "inputs": _json(dict(self.inputs)),
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "driftline_version": self.driftline_version,
            "notes": list(self.notes),
        }

    def headline(self) -> str:
        """``driftline gate: FAIL (3 passed, 1 warning, 1 failed)``."""
        c = self.counts
        skipped = f", {c['not_evaluated']} not evaluated" if c["not_evaluated"] else ""
        return (
            f"driftline gate: {self.verdict.upper()} ({c['pass']} passed, "
            f"{format_count(c['warn'], 'warning')}, {c['fail']} failed{skipped})"
        )

    def summary(self) -> str:
        """Plain-text table for a terminal."""
        rows = [("status", "check", "observed", "threshold", "CI", "reason")]
        for c in self.checks:
            thr = "-" if c.threshold is None else f"{c.direction} {fmt(c.threshold)}"
            rows.append((c.status.upper(), c.name, fmt(c.observed), thr, c.interval, c.reason))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = [self.headline()]
        lines.extend("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5] for r in rows)
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_markdown(self, *, max_chars: int = _BUDGET) -> str:
        """A pull-request comment: first line :data:`MARKDOWN_MARKER`, always under
        ``max_chars`` (default 60,000, below GitHub's 65,536): long reasons are cut and,
        when needed, passing checks are collapsed into a count."""
        check("GateReport.to_markdown", "max_chars", max_chars, Interval("int", 2_000, None))
        pct = round(100 * self.confidence)
        head = [
            MARKDOWN_MARKER,
            f"## {_ICON[self.verdict]} {self.headline()}",
            "",
            f"Policy **{_md(self.policy_name)}** · {format_number(self.inputs.get('n_rows'))} evaluation "
            f"rows · {pct}% confidence",
            "",
            f"| status | check | observed | threshold | {pct}% CI | reason |",
            "|---|---|---|---|---|---|",
        ]
        tail = ["", "<details><summary>Provenance</summary>", ""]
        tail += [f"- sha256({k}): `{v}`" for k, v in self.digests.items() if v]
        tail += [f"- {k}: {_md(_input(v))}" for k, v in self.inputs.items() if k != "n_rows"]
        tail += [f"- driftline {self.driftline_version}, started {self.started_at}"]
        tail += ["", "</details>"]
        tail += [f"> {_md(n)}" for n in self.notes]
        rank = {"fail": 0, "warn": 1, "not_evaluated": 2, "pass": 3}
        ordered = sorted(self.checks, key=lambda c: rank[c.status])
        rows, used = [], len("\n".join(head + tail)) + 200
        for i, c in enumerate(ordered):
            thr = "-" if c.threshold is None else f"{c.direction} {fmt(c.threshold)}"
            reason = c.reason if len(c.reason) <= 300 else c.reason[:297] + "..."
            row = (
                f"| {_ICON[c.status]} {c.status} | {_md(c.name)} | {fmt(c.observed)} | "
                f"{_md(thr)} | {c.interval} | {_md(reason)} |"
            )
            if used + len(row) + 1 > max_chars:
                rows.append(f"| | *{len(ordered) - i} more checks not shown* | | | | |")
                break
            rows.append(row)
            used += len(row) + 1
        return "\n".join(head + rows + tail) + "\n"

    def to_junit(self) -> str:
        """JUnit XML: one ``<testcase>`` per check; ``fail`` -> ``<failure>``, ``warn`` ->
        a passing test case whose ``<system-out>`` starts with ``WARNING:`` (not
        ``<skipped>``: the check ran); ``not_evaluated`` -> ``<skipped>`` with the reason."""
        c = self.counts
        suites = ET.Element("testsuites", name="driftline gate", tests=str(len(self.checks)),
                            failures=str(c["fail"]), errors="0", time=f"{self.duration_s:.3f}")  # fmt: skip
        suite = ET.SubElement(suites, "testsuite", name=f"driftline-gate: {self.policy_name}",
                              tests=str(len(self.checks)), failures=str(c["fail"]), errors="0",
                              skipped=str(c["not_evaluated"]), timestamp=self.started_at, time=f"{self.duration_s:.3f}")  # fmt: skip
        for chk in self.checks:
            case = ET.SubElement(suite, "testcase", name=chk.name,
                                 classname=f"driftline.gate.{chk.kind}")  # fmt: skip
            thr = "-" if chk.threshold is None else f"{chk.direction} {fmt(chk.threshold)}"
            body = f"observed {fmt(chk.observed)}, threshold {thr}, CI {chk.interval}\n{chk.reason}"
            if chk.status == "fail":
                fail = ET.SubElement(case, "failure", message=chk.reason, type="GateCheckFailed")
                fail.text = body
            elif chk.status == "warn":
                ET.SubElement(case, "system-out").text = f"WARNING: {body}"
            elif chk.status == "not_evaluated":
                ET.SubElement(case, "skipped", message=chk.reason).text = body
            else:
                ET.SubElement(case, "system-out").text = body
        props = ET.SubElement(suite, "properties")
        for k, v in self.digests.items():
            if v:
                ET.SubElement(props, "property", name=f"sha256.{k}", value=v)
        return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

    def to_report(self) -> Report:
        """Build the :class:`~driftline.report.Report` behind :meth:`to_html` and the
        notebook view: a WARN verdict is amber, never green."""
        from driftline.report import Callout, Report, Stat, Table, Text

        pct = round(100 * self.confidence)
        report = Report(f"Deployment gate: {self.policy_name}", subtitle=self.headline())
        verdict = report.section("Verdict")
        verdict.add(Callout(_verdict_text(self), _TONE[self.verdict]))
        counts = self.counts
        verdict.add(Stat("passed", str(counts["pass"]), tone="ok" if counts["pass"] else "info"))
        verdict.add(
            Stat(plural(counts["warn"], "warning"), str(counts["warn"]),
                 tone="warn" if counts["warn"] else "info")
        )  # fmt: skip
        verdict.add(Stat("failed", str(counts["fail"]), tone="fail" if counts["fail"] else "info"))
        if counts["not_evaluated"]:
            verdict.add(Stat("not evaluated", str(counts["not_evaluated"]), tone="warn"))
        rows = [
            [c.status.upper(), c.name, c.severity, _number(c.observed), _threshold(c),
             _interval(c), c.reason or MISSING]
            for c in self.checks
        ]  # fmt: skip
        report.section("Checks").add(
            Table(["status", "check", "severity", "observed", "threshold", f"{pct}% CI",
                   "reason"], rows, tones=[_TONE[c.status] for c in self.checks],
                  numeric=(3, 5)),
            Text("Absolute thresholds are decided on the point estimate; comparisons with the "
                 "champion and fairness limits on the one-sided confidence bound. A check of "
                 "severity warn that is violated is reported as WARN and does not fail the "
                 "gate."),
        )  # fmt: skip
        prov = report.section("Provenance")
        prov.add(
            Table(["input", "sha256"],
                  [[k, v or "not given"] for k, v in self.digests.items()])
        )  # fmt: skip
        prov.add(Table(["input", "value"], [[k, _input(v)] for k, v in self.inputs.items()]))
        prov.add(
            Text(f"Started {format_date(self.started_at)}, took {format_number(self.duration_s)} "
                 f"s, driftline {self.driftline_version}.")
        )  # fmt: skip
        for n in self.notes:
            prov.add(Callout(n, "warn"))
        return report

    def to_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML report and return its path."""
        return self.to_report().write(Path(path))

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)


_TONE: dict[str, Tone] = {"pass": "ok", "warn": "warn", "fail": "fail", "not_evaluated": "warn"}


def _verdict_text(report: GateReport) -> str:
    if report.verdict != "warn":
        return report.headline()
    reasons = []
    total = report.counts["warn"] + report.counts["not_evaluated"]
    if report.counts["warn"]:
        n = report.counts["warn"]
        reasons.append(f"{format_count(n, 'check')} with severity warn {plural(n, 'was')} violated")
    if report.counts["not_evaluated"]:
        n = report.counts["not_evaluated"]
        reasons.append(f"{format_count(n, 'check')} could not be evaluated")
    return (f"{report.headline()}: the candidate may be promoted, but "
            f"{' and '.join(reasons)}; read {plural(total, 'it', 'them')} before promoting.")  # fmt: skip


def _number(value: float | None) -> str:
    return format_number(value, digits=4)


def _threshold(c: CheckResult) -> str:
    return MISSING if c.threshold is None else f"{c.direction} {_number(c.threshold)}"


def _interval(c: CheckResult) -> str:
    return format_interval(c.ci_low, c.ci_high, digits=4)


def _input(value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_input(v) for v in value) or "none"
    return str(value)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
