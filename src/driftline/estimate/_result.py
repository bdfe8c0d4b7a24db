"""Frozen result objects of CBPE and DLE."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from driftline.estimate._checks import AssumptionWarning, calibration_shift_warnings
from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from driftline.report import Report

__all__ = ["ChunkEstimate", "EstimationResult", "MetricEstimate"]

#: Realized metrics per chunk, from the labels, in chunk order.
Realizer = Callable[[Any], list[dict[str, float]]]


def _when(value: int | pd.Timestamp) -> int | str:
    return value if isinstance(value, int) else value.isoformat()


@dataclass(frozen=True)
class MetricEstimate:
    """One metric in one chunk.

    ``value`` is the expected metric; ``sampling_error`` the sd of the realized
    metric around it (labels drawn from the calibrated probabilities, given this
    chunk's scores); ``estimate_error`` the sd added by fitting the calibration
    on a finite reference. ``lower``/``upper`` is the ``confidence`` band for the
    realized metric: ``value ± z·sqrt(sampling_error² + estimate_error²)``,
    clipped to the metric's range. ``reference_lower``/``reference_upper`` is the
    alert band (mean ± 3 sd of the realized metric over reference chunks);
    ``alert`` is true when ``value`` leaves it.
    """

    metric: str
    value: float
    sampling_error: float
    estimate_error: float
    lower: float
    upper: float
    reference_lower: float | None
    reference_upper: float | None
    alert: bool
    realized: float | None = None
    realized_in_band: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChunkEstimate:
    """The estimates for one chunk, with its key, start/end (row index or time) and size.

    ``confusion`` is the expected confusion matrix (rows: true class, columns:
    predicted class, in ``EstimationResult.classes`` order) and ``confusion_sd``
    the sd of each cell under labels drawn from the probabilities; both are empty
    for regression.
    """

    key: str
    start: int | pd.Timestamp
    end: int | pd.Timestamp
    n_rows: int
    metrics: tuple[MetricEstimate, ...]
    confusion: tuple[tuple[float, ...], ...] = ()
    confusion_sd: tuple[tuple[float, ...], ...] = ()

    def metric(self, name: str) -> MetricEstimate:
        """The estimate of metric ``name`` in this chunk."""
        for m in self.metrics:
            if m.metric == name:
                return m
        raise ParameterError(
            f"Metric {name!r} was not estimated; estimated: {[m.metric for m in self.metrics]}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start": _when(self.start),
            "end": _when(self.end),
            "n_rows": self.n_rows,
            "metrics": {m.metric: m.to_dict() for m in self.metrics},
            "confusion": [list(r) for r in self.confusion],
            "confusion_sd": [list(r) for r in self.confusion_sd],
        }


@dataclass(frozen=True)
class EstimationResult:
    """Estimated performance per chunk, with bands, alerts and assumption warnings."""

    estimator: Literal["CBPE", "DLE"]
    problem: Literal["binary", "multiclass", "regression"]
    metrics: tuple[str, ...]
    confidence: float
    chunks: tuple[ChunkEstimate, ...]
    warnings: tuple[AssumptionWarning, ...]
    classes: tuple[Any, ...] = ()
    calibration: dict[str, Any] = field(default_factory=dict)
    _realize: Realizer | None = field(default=None, repr=False, compare=False)

    @property
    def alerts(self) -> tuple[tuple[str, str], ...]:
        """``(chunk key, metric)`` pairs whose estimate left the reference band."""
        return tuple((c.key, m.metric) for c in self.chunks for m in c.metrics if m.alert)

    def values(self, metric: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The estimates of ``metric``, one per chunk."""
        return np.array([c.metric(metric).value for c in self.chunks])

    def compare(self, realized_labels: Any) -> EstimationResult:
        """Add realized metrics from labels (an array aligned with the estimated rows).

        Each metric gets ``realized`` and ``realized_in_band``; metrics whose realized
        values leave the band more often than chance allows get a ``calibration_shift``
        warning.
        """
        if self._realize is None:
            raise ParameterError("This result holds no data to compare labels against.")
        realized = self._realize(realized_labels)
        chunks = []
        outside: dict[str, list[str]] = {m: [] for m in self.metrics}
        for chunk, values in zip(self.chunks, realized, strict=True):
            new = []
            for m in chunk.metrics:
                r = values[m.metric]
                in_band = bool(m.lower <= r <= m.upper) if np.isfinite(r) else None
                if in_band is False:
                    outside[m.metric].append(chunk.key)
                new.append(dataclasses.replace(m, realized=r, realized_in_band=in_band))
            chunks.append(dataclasses.replace(chunk, metrics=tuple(new)))
        kept = tuple(w for w in self.warnings if w.check != "calibration_shift")
        shift = calibration_shift_warnings(outside, len(self.chunks), self.confidence)
        return dataclasses.replace(self, chunks=tuple(chunks), warnings=kept + tuple(shift))

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimator": self.estimator,
            "problem": self.problem,
            "metrics": list(self.metrics),
            "confidence": self.confidence,
            "classes": [c.item() if isinstance(c, np.generic) else c for c in self.classes],
            "calibration": dict(self.calibration),
            "chunks": [c.to_dict() for c in self.chunks],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk and metric (long format)."""
        rows = [
            {"chunk": c.key, "start": c.start, "end": c.end, "n_rows": c.n_rows, **m.to_dict()}
            for c in self.chunks
            for m in c.metrics
        ]
        return pd.DataFrame(rows)

    def to_report(self, *, title: str = "") -> Report:
        """The :class:`~driftline.report.Report`: per metric, the estimate of each chunk
        with its band, the reference band and the realized value; then the checks."""
        from driftline.estimate._page import estimation_report

        return estimation_report(self, title=title)

    def to_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML page (offline, no scripts) and return its path."""
        return self.to_report().write(Path(path))

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)

    def summary(self) -> list[str]:
        """Human-readable lines: what was estimated, alerts, and warnings."""
        lines = [
            f"{self.estimator} ({self.problem}) over {len(self.chunks)} chunks, "
            f"{self.confidence:.0%} bands"
            + (
                f"; calibration: {'isotonic' if self.calibration.get('calibrated') else 'none'}"
                if self.calibration
                else ""
            )
        ]
        for name in self.metrics:
            ests = [c.metric(name) for c in self.chunks]
            vals = np.array([e.value for e in ests])
            alerts = [c.key for c, e in zip(self.chunks, ests, strict=True) if e.alert]
            line = f"  {name}: estimate {np.nanmean(vals):.4f} (chunks {np.nanmin(vals):.4f}..{np.nanmax(vals):.4f})"
            realized = [e.realized for e in ests if e.realized is not None]
            if realized:
                line += f", realized {np.nanmean(realized):.4f}"
            line += f"; alerts: {', '.join(alerts) if alerts else 'none'}"
            lines.append(line)
        lines.extend(f"  [{w.severity}] {w.check}: {w.message}" for w in self.warnings)
        return lines
