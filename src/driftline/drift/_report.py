"""The dataset-level drift result and its renderings (text, dict, HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.drift._columns import ColumnDrift
from driftline.drift._multivariate import MultivariateDrift
from driftline.report import Callout, Chart, Report, Table, Text, bar_chart, histogram_chart

__all__ = ["DriftReport"]


@dataclass(frozen=True)
class DriftReport:
    """The result of :meth:`DriftDetector.compare`.

    ``drifted`` is the dataset verdict: at least one column drifted, where a column
    drifts only when its test is significant after correction across columns **and**
    its effect size reaches the column's threshold.

    >>> from driftline.drift import DriftDetector
    >>> from driftline.testing import make_monitoring_data
    >>> ref, cur = make_monitoring_data(5_000)
    >>> features = [c for c in ref.columns if c.startswith(("num_", "cat_"))]
    >>> report = DriftDetector(columns=features).fit(ref).compare(cur)
    >>> report.drifted, sorted(report.drifted_columns)
    (True, ['cat_02', 'num_00', 'num_05', 'num_10', 'num_15'])
    >>> report.columns["num_00"].explanation
    'mean +0.31 sd'
    """

    columns: Mapping[str, ColumnDrift]
    alpha: float
    correction: str
    n_reference: int
    n_current: int
    skipped: Mapping[str, str] = field(default_factory=dict)
    multivariate: Mapping[str, MultivariateDrift] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        """True when at least one column, or a multivariate detector, found drift."""
        return any(c.drifted for c in self.columns.values()) or any(
            m.drifted for m in self.multivariate.values()
        )

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns, largest effect (relative to threshold) first."""
        hits = [c for c in self.columns.values() if c.drifted]
        hits.sort(key=lambda c: -c.effect_size / c.threshold if c.threshold else 0.0)
        return [c.column for c in hits]

    def summary(self) -> str:
        """Plain text: the verdict, then one line per drifted column saying what changed."""
        n = len(self.columns)
        if n == 0 and not self.multivariate:
            head = "Not tested: no column had enough usable values"
        else:
            head = (
                f"Drift: {len(self.drifted_columns)} of {n} columns drifted"
                if self.drifted
                else f"No drift: 0 of {n} columns drifted"
            )
        lines = [
            f"{head} (alpha={self.alpha:g}, {self.correction} across columns, "
            f"{self.n_reference:,} reference vs {self.n_current:,} current rows)"
        ]
        for name in self.drifted_columns:
            col = self.columns[name]
            lines.append(
                f"  {name}: {col.explanation} "
                f"[{col.effect_name} {col.effect_size:.3g} >= {col.threshold:g}]"
            )
        for name, result in self.multivariate.items():
            verdict = "drift" if result.drifted else "no drift"
            lines.append(f"  multivariate {name}: {verdict}, {result.explanation()}")
        for name, reason in self.skipped.items():
            lines.append(f"  {name}: not tested ({reason})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
            "alpha": self.alpha,
            "correction": self.correction,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
            "skipped": dict(self.skipped),
            "multivariate": {name: m.to_dict() for name, m in self.multivariate.items()},
        }

    def to_report(self, title: str = "Data drift report") -> Report:
        """Build the :class:`~driftline.report.Report` (one chart per drifted column)."""
        report = Report(
            title,
            subtitle=f"{self.n_reference:,} reference rows vs {self.n_current:,} current rows",
        )
        verdict = report.section("Verdict")
        verdict.add(Callout(self.summary().splitlines()[0], "fail" if self.drifted else "ok"))
        verdict.add(
            Text(
                "A column drifts only when its test is significant after false-discovery-rate "
                "control across columns and its effect size reaches the threshold, so the "
                "verdict means the same at any sample size."
            )
        )
        ordered = sorted(self.columns.values(), key=lambda c: (not c.drifted, c.column))
        verdict.add(
            Table(
                [
                    "column",
                    "method",
                    "p (adjusted)",
                    "effect",
                    "threshold",
                    "drifted",
                    "what changed",
                ],
                [
                    [
                        c.column,
                        c.method,
                        _p(c.p_value_adjusted),
                        f"{c.effect_name} {c.effect_size:.3g}",
                        f">= {c.threshold:g}",
                        "yes" if c.drifted else "no",
                        c.explanation if c.drifted else "",
                    ]
                    for c in ordered
                ],
                tones=["fail" if c.drifted else None for c in ordered],
            )
        )
        if self.drifted:
            charts = report.section("Drifted columns")
            for name in self.drifted_columns:
                charts.add(
                    Chart(_chart(self.columns[name]), caption=self.columns[name].explanation)
                )
        return report

    def to_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML report (offline; one chart per drifted column)."""
        return self.to_report().write(Path(path))

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 1e-300" if value == 0 else f"{value:.3g}"


def _chart(col: ColumnDrift) -> str:
    chart = col.chart
    title = f"{col.column}: reference vs current"
    if chart.get("type") == "histogram":
        return histogram_chart(
            title,
            chart["edges"],
            [("reference", chart["reference"]), ("current", chart["current"])],
        )
    return bar_chart(
        title,
        chart.get("categories", []),
        [("reference", chart.get("reference", [])), ("current", chart.get("current", []))],
        y_label="share of rows",
    )
