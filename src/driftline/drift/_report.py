"""The dataset-level drift result: verdict, per-column results, chunks; text and dict forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from driftline.drift._multivariate import MultivariateDrift
from driftline.drift._result import ColumnDrift

if TYPE_CHECKING:
    from driftline.report import Report

__all__ = ["DriftChunk", "DriftReport", "Status"]

Status = Literal["drift", "no_drift", "not_enough_data", "not_tested"]
_INSUFFICIENT = ("too few values", "no values in the reference")


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


@dataclass(frozen=True)
class DriftChunk:
    """One chunk of the current data (a period of the timestamp, or a block of rows)."""

    label: str
    start: str | None
    end: str | None
    report: DriftReport

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {"label": self.label, "start": self.start, "end": self.end, **self.report.to_dict()}


@dataclass(frozen=True)
class DriftReport:
    """The result of :meth:`DriftDetector.compare`.

    ``status`` is the dataset verdict: ``"drift"`` (a column, a chunk or a multivariate
    detector drifted), ``"no_drift"``, ``"not_enough_data"`` (no column had ``min_rows``
    values on each side) or ``"not_tested"`` (no column of a kind drift compares).
    ``drifted`` is ``True``, ``False``, or ``None`` when the data could not answer.

    >>> from driftline.drift import DriftDetector
    >>> from driftline.testing import make_monitoring_data
    >>> ref, cur = make_monitoring_data(5_000)
    >>> features = [c for c in ref.columns if c.startswith(("num_", "cat_"))]
    >>> report = DriftDetector(columns=features).fit(ref).compare(cur)
    >>> report.status, sorted(report.drifted_columns)
    ('drift', ['cat_02', 'num_00', 'num_05', 'num_10', 'num_15'])
    >>> report.columns["num_00"].explanation
    'mean +0.31 sd'
    >>> DriftDetector().fit(ref.head(10)).compare(cur.head(10)).drifted is None
    True
    """

    columns: Mapping[str, ColumnDrift]
    alpha: float
    correction: str
    n_reference: int
    n_current: int
    skipped: Mapping[str, str] = field(default_factory=dict)
    multivariate: Mapping[str, MultivariateDrift] = field(default_factory=dict)
    chunks: tuple[DriftChunk, ...] = ()
    chunking: Mapping[str, Any] | None = None
    min_rows: int = 30

    @property
    def status(self) -> Status:
        """``"drift"``, ``"no_drift"``, ``"not_enough_data"`` or ``"not_tested"``."""
        if (
            any(c.drifted for c in self.columns.values())
            or any(m.drifted for m in self.multivariate.values())
            or any(c.report.status == "drift" for c in self.chunks)
        ):
            return "drift"
        if self.columns or self.multivariate or any(c.report.columns for c in self.chunks):
            return "no_drift"
        reasons = list(self.skipped.values())
        if min(self.n_reference, self.n_current) < self.min_rows or any(
            r.startswith(_INSUFFICIENT) for r in reasons
        ):
            return "not_enough_data"
        return "not_tested"

    @property
    def drifted(self) -> bool | None:
        """True on drift, False on no drift, None when the data could not answer."""
        return {"drift": True, "no_drift": False}.get(self.status)

    @property
    def drifted_columns(self) -> list[str]:
        """Drifted columns, largest effect (relative to its threshold) first; then those
        that drifted only in some chunks, in chunk order."""
        hits = sorted((c for c in self.columns.values() if c.drifted), key=lambda c: -c.severity)
        names = [c.column for c in hits]
        for chunk in self.chunks:
            names += [n for n in chunk.report.drifted_columns if n not in names]
        return names

    def _head(self) -> str:
        n = len(self.columns)
        status = self.status
        if status == "not_enough_data":
            return (
                f"Not enough data: no column has {self.min_rows} values on each side "
                f"({_rows(self.n_reference)} in the reference, {_rows(self.n_current)} now)"
            )
        if status == "not_tested":
            return "Not tested: no column of a kind drift compares (numbers, dates, categories)"
        drifted = len([c for c in self.columns.values() if c.drifted])
        chunked = ""
        if self.chunks:
            hit = len([c for c in self.chunks if c.report.status == "drift"])
            chunked = f", drift in {hit} of {len(self.chunks)} chunks"
            drifted = len(self.drifted_columns)
        if status == "drift":
            return f"Drift: {drifted} of {n} columns drifted{chunked}"
        return f"No drift: 0 of {n} columns drifted{chunked}"

    def summary(self) -> str:
        """Plain text: the verdict, then one line per finding saying what changed."""
        family = "columns and chunks" if self.chunks else "columns"
        head = self._head()
        if self.status in ("drift", "no_drift"):
            head += (
                f" (alpha={self.alpha:g}, {self.correction} across {family}, "
                f"{self.n_reference:,} reference vs {self.n_current:,} current rows)"
            )
        lines = [head]
        ordered = sorted(self.columns.values(), key=lambda c: -c.severity)
        lines.extend(f"  {c.column}: {c.verdict_line()}" for c in ordered if c.drifted)
        for name, result in self.multivariate.items():
            verdict = "drift" if result.drifted else "no drift"
            lines.append(f"  multivariate {name}: {verdict}, {result.explanation()}")
        for chunk in self.chunks:
            if chunk.report.status == "drift":
                found = ", ".join(chunk.report.drifted_columns)
                lines.append(f"  chunk {chunk.label}: {found}")
        thin = [c.label for c in self.chunks if c.report.status == "not_enough_data"]
        if thin:
            lines.append(
                f"  {len(thin)} chunk(s) with too few rows to test: {', '.join(thin[:10])}"
            )
        for name, reason in self.skipped.items():
            lines.append(f"  {name}: not tested ({reason})")
        lines.extend(
            f"  {c.column}: distribution not compared ({c.note})"
            for c in self.columns.values()
            if c.note and not c.kind_changed and not c.drifted
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        out: dict[str, Any] = {
            "status": self.status,
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
            "alpha": self.alpha,
            "correction": self.correction,
            "min_rows": self.min_rows,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
            "skipped": dict(self.skipped),
            "multivariate": {name: m.to_dict() for name, m in self.multivariate.items()},
        }
        if self.chunks or self.chunking:
            out["chunking"] = dict(self.chunking or {})
            out["chunks"] = [chunk.to_dict() for chunk in self.chunks]
        return out

    def to_report(self, title: str = "Data drift report") -> Report:
        """Build the :class:`~driftline.report.Report`: verdict, timeline, every column's
        result and distribution, multivariate results and the columns not tested."""
        from driftline.drift._page import build_page

        return build_page(self, title)

    def to_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML report (offline)."""
        return self.to_report().write(Path(path))

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)
