"""The parts of a window's results (the contract's "Window results" JSON, schema 1).

Each part is computed on its own; a part the data do not allow (a
:class:`~driftline.exceptions.DriftlineError`: too few rows, one class, no labelled
reference, ...) is ``None`` and its reason goes to ``skipped[part]``, so one such part
never fails the whole window. Any other exception is a bug: it propagates, and the
monitor records the window's failure (and retries it with backoff).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa

from driftline.exceptions import DriftlineError
from driftline.monitor._estimators import EstimatorCache, band_chunk_size
from driftline.store import WindowIndex

if TYPE_CHECKING:
    from driftline.drift import DriftDetector
    from driftline.profiles import DatasetProfile

__all__ = ["RESULTS_SCHEMA", "WindowIndex", "WindowInputs", "clean_json", "compute_results"]

logger = logging.getLogger("driftline.monitor")

#: Version of the window-results JSON layout.
RESULTS_SCHEMA: Final = 1
_PARTS: Final = ("volume", "drift", "quality", "estimated", "realized")
_DRIFT_FIELDS: Final = (
    "method",
    "statistic",
    "p_value",
    "p_value_adjusted",
    "effect_size",
    "effect_name",
    "threshold",
    "drifted",
    "explanation",
)


def clean_json(value: Any) -> Any:
    """``value`` with non-finite floats as None and numpy scalars as Python (JSON-safe)."""
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class WindowInputs:
    """Everything the results of one window are computed from."""

    key: int
    start: datetime | None
    end: datetime | None
    status: str
    task: str
    window_kind: str
    window_size: int
    row_count: int
    version_id: str
    fingerprint: str
    profile: DatasetProfile | None
    reference_profile: DatasetProfile | None
    reference_data: pa.Table | None
    index: WindowIndex
    detector: Callable[[list[str]], DriftDetector] | None  # columns -> fitted detector
    previous: dict[str, Any] | None  # earlier results, for parts that need no recompute
    profile_changed: bool


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# ------------------------------------------------------------------------------ volume
def volume_part(inputs: WindowInputs) -> dict[str, Any]:
    index = inputs.index
    n_labels = int((~np.isnan(index.label)).sum())
    delay: dict[str, float] | None = None
    seconds = index.label_delay_seconds
    if seconds.size:
        delay = {
            "median": float(np.median(seconds)),
            "p90": float(np.quantile(seconds, 0.9)),
        }
    rows = int(inputs.row_count)
    return {
        "rows": rows,
        "labels": n_labels,
        "label_coverage": float(n_labels / rows) if rows else 0.0,
        "label_delay_seconds": delay,
    }


# ------------------------------------------------------------------------------- drift
def drift_part(inputs: WindowInputs, skipped: dict[str, str]) -> dict[str, Any] | None:
    if inputs.profile is None:
        skipped["drift"] = "no rows profiled in this window yet"
        return None
    if inputs.reference_profile is None or inputs.detector is None:
        skipped["drift"] = "the model version has no reference profile"
        return None
    current = inputs.profile
    columns = [c for c in inputs.reference_profile.column_names if c in current]
    absent = [c for c in inputs.reference_profile.column_names if c not in current]
    for name in absent:
        skipped[f"drift.{name}"] = "not in this window's rows"
    if not columns:
        skipped["drift"] = "the reference profile shares no column with the window's rows"
        return None
    report = inputs.detector(columns).compare(current)
    for name, reason in report.skipped.items():
        skipped[f"drift.{name}"] = reason
    if not report.columns:
        skipped["drift"] = (
            "no column could be tested ("
            + "; ".join(f"{n}: {r}" for n, r in report.skipped.items())
            + ")"
        )
        return None
    cols = {
        name: {f: getattr(col, f) for f in _DRIFT_FIELDS} for name, col in report.columns.items()
    }
    drifted = report.drifted_columns
    return {
        "drifted": bool(report.drifted),
        "drifted_columns": list(drifted),
        "n_columns": len(report.columns),
        "share_drifted": len(drifted) / len(report.columns),
        "columns": cols,
    }


# ----------------------------------------------------------------------------- quality
def quality_part(inputs: WindowInputs, skipped: dict[str, str]) -> dict[str, Any] | None:
    if inputs.profile is None:
        skipped["quality"] = "no rows profiled in this window yet"
        return None
    from driftline.profiles import check_quality

    report = check_quality(inputs.profile, inputs.reference_profile)
    findings = [
        {"column": f.column, "check": f.kind, "severity": f.severity, "message": f.message}
        for f in report.findings
        if f.severity in ("warning", "error")
    ]
    return {"n_findings": len(findings), "findings": findings}


# --------------------------------------------------------------------------- estimated
def estimated_part(
    inputs: WindowInputs,
    skipped: dict[str, str],
    cache: EstimatorCache,
    min_rows: int,
) -> dict[str, Any] | None:
    task = inputs.task
    if task == "multiclass":
        skipped["estimated"] = (
            "CBPE for multiclass models needs one score per class; the prediction index "
            "keeps one score per prediction"
        )
        return None
    if inputs.reference_data is None:
        skipped["estimated"] = "the model version has no reference scores and labels"
        return None
    index = inputs.index
    column = "score" if task == "binary" else "prediction"
    values = index.score if column == "score" else index.prediction
    if task == "regression":
        values = np.where(np.isnan(values), index.score, values)
    ok = ~np.isnan(values)
    n = int(ok.sum())
    if n < min_rows:
        what = "scores" if task == "binary" else "predictions"
        skipped["estimated"] = f"{n} rows with {what}; at least {min_rows} are needed"
        return None
    size = band_chunk_size(n, inputs.window_kind, inputs.window_size)
    estimator = cache.get(inputs.version_id, inputs.fingerprint, size, task, inputs.reference_data)
    if task == "binary":
        pred = index.prediction[ok]
        y_pred = None if np.isnan(pred).any() else pred.astype(np.int64)
        result = estimator.estimate(values[ok], y_pred=y_pred)
        method = "CBPE"
    else:
        import pandas as pd

        result = estimator.estimate(pd.DataFrame({"prediction": values[ok]}))
        method = "DLE"
    if len(result.chunks) != 1:  # pragma: no cover - band_chunk_size makes one chunk
        raise RuntimeError(f"expected one chunk, got {len(result.chunks)}")
    metrics = {
        m.metric: {
            "value": m.value,
            "lower": m.lower,
            "upper": m.upper,
            "band_lower": m.reference_lower,
            "band_upper": m.reference_upper,
            "alert": bool(m.alert),
        }
        for m in result.chunks[0].metrics
    }
    for w in result.warnings:
        if w.check == "reference_band_unavailable":
            skipped["estimated.band"] = (
                f"the reference has fewer than 2 chunks of {size} rows, so there is no alert band"
            )
        elif w.severity == "warning":
            skipped[f"estimated.{w.check}"] = w.message
    return {"method": method, "metrics": metrics}


# ---------------------------------------------------------------------------- realized
def _registry_metrics(task: str, y: np.ndarray, score: Any, pred: np.ndarray) -> dict[str, Any]:
    """One thunk per registered metric of ``task`` these columns can compute."""
    from driftline.metrics import METRICS

    return {
        name: lambda spec=spec: spec.compute(
            y, score if spec.needs_scores else pred, random_state=0
        )
        for name, spec in METRICS.items()
        if task in spec.tasks and not (spec.needs_scores and score is None)
    }


def realized_part(
    inputs: WindowInputs, skipped: dict[str, str], min_labels: int
) -> dict[str, Any] | None:

    index = inputs.index
    label, score, prediction = index.label, index.score, index.prediction
    has = ~np.isnan(label)
    n_labels = int(has.sum())
    if n_labels < min_labels:
        skipped["realized"] = f"{n_labels} labelled predictions; at least {min_labels} are needed"
        return None
    task = inputs.task
    thunks: dict[str, Any]
    if task == "binary":
        keep = has & ~np.isnan(score)
        y = label[keep].astype(np.int64)
        s = score[keep]
        p = prediction[keep]
        pred = (s >= 0.5).astype(np.int64) if np.isnan(p).any() else p.astype(np.int64)
        thunks = _registry_metrics(task, y, s, pred)
    elif task == "multiclass":
        keep = has & ~np.isnan(prediction)
        y = label[keep].astype(np.int64)
        pred = prediction[keep].astype(np.int64)
        thunks = _registry_metrics(task, y, None, pred)
    else:
        out = np.where(np.isnan(prediction), score, prediction)
        keep = has & ~np.isnan(out)
        y = label[keep]
        pred = out[keep]
        thunks = _registry_metrics(task, y, None, pred)
    results: dict[str, Any] = {}
    for name, thunk in thunks.items():
        try:
            r = thunk()
        except DriftlineError as exc:  # an undefined metric (one class, zero targets, ...)
            skipped[f"realized.{name}"] = f"{type(exc).__name__}: {exc}"
            continue
        if not r.defined:  # e.g. precision with no predicted positive: undefined, not 0
            skipped[f"realized.{name}"] = str(r.reason)
            continue
        results[name] = {"value": r.value, "lower": r.ci_low, "upper": r.ci_high}
    return {"n_labels": int(keep.sum()), "metrics": results}


# ------------------------------------------------------------------------------- all
def compute_results(
    inputs: WindowInputs,
    *,
    cache: EstimatorCache,
    min_labels: int,
    min_estimation_rows: int,
) -> dict[str, Any]:
    """The window's results JSON (schema 1), each part computed independently."""
    skipped: dict[str, str] = {}
    out: dict[str, Any] = {
        "schema": RESULTS_SCHEMA,
        "window": {
            "key": int(inputs.key),
            "start": _iso(inputs.start),
            "end": _iso(inputs.end),
            "status": inputs.status,
        },
    }
    previous = inputs.previous
    reuse = previous is not None and not inputs.profile_changed
    steps: dict[str, Callable[[], Any]] = {
        "volume": lambda: volume_part(inputs),
        "drift": lambda: drift_part(inputs, skipped),
        "quality": lambda: quality_part(inputs, skipped),
        "estimated": lambda: estimated_part(inputs, skipped, cache, min_estimation_rows),
        "realized": lambda: realized_part(inputs, skipped, min_labels),
    }
    for part in _PARTS:
        if (
            reuse
            and part in ("drift", "quality")
            and previous is not None
            and previous.get(part) is not None  # e.g. a reference profile added since
        ):
            # Late labels do not change the profile: keep the earlier verdict and reasons.
            out[part] = previous.get(part)
            skipped.update(
                {
                    key: reason
                    for key, reason in (previous.get("skipped") or {}).items()
                    if key == part or key.startswith(part + ".")
                }
            )
            continue
        try:
            out[part] = steps[part]()
        except DriftlineError as exc:  # the data do not allow this part; a bug propagates
            logger.debug(
                "window %s of version %s: %s skipped: %s",
                inputs.key,
                inputs.version_id,
                part,
                exc,
            )
            out[part] = None
            skipped[part] = f"{type(exc).__name__}: {exc}"
    out["skipped"] = skipped
    return dict(clean_json(out))
