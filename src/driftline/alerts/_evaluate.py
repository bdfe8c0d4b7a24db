"""Pure rule evaluation over a window's results JSON (no database, no network).

:func:`check_rule` says whether a rule fires, is clear, or cannot be judged on this window
(the part it needs was not computed, too few labels, an open window for a volume rule...);
:func:`evaluate` keeps only the firing. An "unknown" outcome neither fires nor resolves.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias

from driftline.alerts._spec import (
    DataQualityConfig,
    DriftConfig,
    EstimatedMetricConfig,
    RealizedMetricConfig,
    RuleSpec,
    StoredRule,
    VolumeDropConfig,
    lower_is_better,
)

__all__ = ["Evaluation", "EvaluationContext", "Firing", "Severity", "check_rule", "evaluate"]

Severity: TypeAlias = Literal["warning", "critical"]
_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SEVERITY_RANK: Final = {"warning": 1, "error": 2}
_MAX_LISTED = 20
_DRIFT_FIELDS: Final = (
    "method", "statistic", "p_value", "p_value_adjusted", "effect_size", "effect_name",
    "threshold", "explanation",
)  # fmt: skip


@dataclass(frozen=True)
class EvaluationContext:
    """What a rule needs besides the window's results.

    ``previous_volumes`` are the row counts of the previous *closed* windows of the same
    version, most recent first (for ``volume_drop``). Names are for messages and payloads.
    """

    version_id: str = ""
    project: str = ""
    model: str = ""
    version: str = ""
    window_id: str | None = None
    window_key: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    previous_volumes: Sequence[int] = ()


@dataclass(frozen=True)
class Firing:
    """A rule that fires on a window.

    ``dedupe_key`` is ``<rule id>:<version id>:<condition>``: the same rule firing on the
    same version for the same reason (e.g. the same metric) in later windows has the same
    key, so it stays one open event.
    """

    rule_id: str
    version_id: str
    kind: str
    condition: str
    severity: Severity
    message: str
    payload: dict[str, Any]
    window_key: int | None = None

    @property
    def dedupe_key(self) -> str:
        """``<rule id>:<version id>:<condition>`` (at most 200 characters)."""
        return f"{self.rule_id}:{self.version_id}:{self.condition}"[:200]


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one rule on one window: ``"firing"`` (with ``firing``), ``"clear"``
    or ``"unknown"`` (with the ``reason`` it cannot be judged)."""

    status: Literal["firing", "clear", "unknown"]
    condition: str
    firing: Firing | None = None
    reason: str = ""
    values: dict[str, Any] = field(default_factory=dict)


# helpers -----------------------------------------------------------------------------------
def _num(value: float) -> str:
    """Short human form: ``0.80``, ``0.712``, ``12.3``, ``1,234``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.3g}"
    if abs(value) < 1 and "e" not in text and len(text.partition(".")[2]) < 2:
        text = f"{value:.2f}"
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _window_info(results: Mapping[str, Any], ctx: EvaluationContext) -> dict[str, Any]:
    raw = results.get("window")
    win: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    key = ctx.window_key if ctx.window_key is not None else win.get("key")
    start = ctx.window_start or _as_datetime(win.get("start"))
    end = ctx.window_end or _as_datetime(win.get("end"))
    return {
        "key": key if isinstance(key, int) and not isinstance(key, bool) else None,
        "start": None if start is None else start.astimezone(UTC).isoformat(),
        "end": None if end is None else end.astimezone(UTC).isoformat(),
        "status": win.get("status"),
    }


def _window_label(info: Mapping[str, Any]) -> str:
    start = _as_datetime(info.get("start"))
    if start is not None:
        return f"window {start.astimezone(UTC):%Y-%m-%d %H:%M}"
    return f"window #{info['key']}" if info.get("key") is not None else "the window"


def _part(results: Mapping[str, Any], name: str) -> tuple[Mapping[str, Any] | None, str]:
    part = results.get(name)
    if isinstance(part, Mapping):
        return part, ""
    skipped = results.get("skipped")
    reason = skipped.get(name) if isinstance(skipped, Mapping) else None
    return None, f"no {name} results for this window" + (f" ({reason})" if reason else "")


def _listing(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


_Check = tuple[Literal["firing", "clear", "unknown"], str, str, Severity, dict[str, Any]]


# the kinds ---------------------------------------------------------------------------------
def _drift(cfg: DriftConfig, results: Mapping[str, Any], where: str) -> _Check:
    drift, reason = _part(results, "drift")
    if drift is None:
        return "unknown", reason, "", "warning", {}
    columns_raw = drift.get("columns")
    columns: Mapping[str, Any] = columns_raw if isinstance(columns_raw, Mapping) else {}
    if cfg.columns is None:
        drifted = [str(c) for c in drift.get("drifted_columns") or []]
        n_columns = drift.get("n_columns")
        fires = bool(drift.get("drifted")) and len(drifted) >= (
            cfg.min_drifted if cfg.min_drifted > 1 else 0
        )
        of = f" of {n_columns}" if isinstance(n_columns, int) else ""
        message = f"drift in {len(drifted)}{of} columns ({_listing(drifted)}) in {where}"
        if not drifted:
            message = f"drift detected (dataset verdict) in {where}"
    else:
        present = [c for c in cfg.columns if c in columns]
        if not present:
            return (
                "unknown",
                "none of the watched columns has drift results in this window",
                "",
                "warning",
                {},
            )
        drifted = [
            c for c in present if isinstance(columns[c], Mapping) and columns[c].get("drifted")
        ]
        fires = len(drifted) >= cfg.min_drifted
        message = (
            f"{len(drifted)} of {len(cfg.columns)} watched columns drifted "
            f"({_listing(drifted)}) in {where}"
        )
    details = {}
    for name in drifted[:_MAX_LISTED]:
        col = columns.get(name)
        if isinstance(col, Mapping):
            details[name] = {k: col.get(k) for k in _DRIFT_FIELDS}
    values = {
        "drifted_columns": drifted,
        "n_columns": drift.get("n_columns"),
        "share_drifted": drift.get("share_drifted"),
        "watched_columns": cfg.columns,
        "min_drifted": cfg.min_drifted,
        "columns": details,
    }
    return ("firing" if fires else "clear"), "", message, "warning", values


def _estimated(cfg: EstimatedMetricConfig, results: Mapping[str, Any], where: str) -> _Check:
    est, reason = _part(results, "estimated")
    if est is None:
        return "unknown", reason, "", "warning", {}
    metrics = est.get("metrics")
    metric = metrics.get(cfg.metric) if isinstance(metrics, Mapping) else None
    if not isinstance(metric, Mapping):
        return "unknown", f"{cfg.metric} was not estimated for this window", "", "warning", {}
    value = _number(metric.get("value"))
    if value is None:
        return "unknown", f"the estimated {cfg.metric} is not a number", "", "warning", {}
    lower_better = lower_is_better(cfg.metric)
    band_lower, band_upper = _number(metric.get("band_lower")), _number(metric.get("band_upper"))
    side = "above" if lower_better else "below"
    decided = False
    reasons: list[str] = []
    if cfg.below_band:
        bound = band_upper if lower_better else band_lower
        if bound is not None:
            decided = True
            if (value > bound) if lower_better else (value < bound):
                lo = "-inf" if band_lower is None else _num(band_lower)
                hi = "inf" if band_upper is None else _num(band_upper)
                reasons.append(f"{side} its band [{lo}, {hi}]")
    if cfg.threshold is not None:
        decided = True
        if (value > cfg.threshold) if lower_better else (value < cfg.threshold):
            reasons.append(f"{side} the threshold {_num(cfg.threshold)}")
    if not decided:
        return "unknown", f"the estimated {cfg.metric} has no band", "", "warning", {}
    values = {
        "metric": cfg.metric,
        "value": value,
        "lower": _number(metric.get("lower")),
        "upper": _number(metric.get("upper")),
        "band_lower": band_lower,
        "band_upper": band_upper,
        "threshold": cfg.threshold,
        "method": est.get("method"),
    }
    message = f"estimated {cfg.metric} {_num(value)} {' and '.join(reasons)} in {where}"
    return ("firing" if reasons else "clear"), "", message, "warning", values


def _realized(cfg: RealizedMetricConfig, results: Mapping[str, Any], where: str) -> _Check:
    real, reason = _part(results, "realized")
    if real is None:
        return "unknown", reason, "", "critical", {}
    n_labels = real.get("n_labels")
    n = int(n_labels) if isinstance(n_labels, int | float) and not isinstance(n_labels, bool) else 0
    if n < cfg.min_labels:
        return (
            "unknown",
            f"only {n} labels in this window; the rule needs {cfg.min_labels}",
            "",
            "critical",
            {},
        )
    metrics = real.get("metrics")
    metric = metrics.get(cfg.metric) if isinstance(metrics, Mapping) else None
    value = _number(metric.get("value")) if isinstance(metric, Mapping) else None
    if value is None or not isinstance(metric, Mapping):
        return "unknown", f"no realized {cfg.metric} for this window", "", "critical", {}
    fires = _OPS[cfg.op](value, cfg.threshold)
    values = {
        "metric": cfg.metric,
        "value": value,
        "lower": _number(metric.get("lower")),
        "upper": _number(metric.get("upper")),
        "op": cfg.op,
        "threshold": cfg.threshold,
        "n_labels": n,
    }
    message = (
        f"realized {cfg.metric} {_num(value)} {cfg.op} {_num(cfg.threshold)} "
        f"on {n:,} labels in {where}"
    )
    return ("firing" if fires else "clear"), "", message, "critical", values


def _quality(cfg: DataQualityConfig, results: Mapping[str, Any], where: str) -> _Check:
    quality, reason = _part(results, "quality")
    if quality is None:
        return "unknown", reason, "", "warning", {}
    findings = quality.get("findings")
    minimum = _SEVERITY_RANK[cfg.min_severity]
    matching = [
        dict(f)
        for f in (findings if isinstance(findings, list) else [])
        if isinstance(f, Mapping)
        and _SEVERITY_RANK.get(str(f.get("severity")), 0) >= minimum
        and (cfg.checks is None or f.get("check") in cfg.checks)
    ]
    errors = sum(1 for f in matching if f.get("severity") == "error")
    severity: Severity = "critical" if errors else "warning"
    values = {"n_findings": len(matching), "n_errors": errors, "findings": matching[:_MAX_LISTED]}
    if not matching:
        return "clear", "", f"no data-quality findings in {where}", severity, values
    first = matching[0]
    column = f"{first.get('column')}: " if first.get("column") else ""
    more = f" (and {len(matching) - 1} more)" if len(matching) > 1 else ""
    noun = "finding" if len(matching) == 1 else "findings"
    message = (
        f"{len(matching)} data-quality {noun} ({errors} error{'s' if errors != 1 else ''}) in "
        f"{where}: {column}{first.get('message', first.get('check'))}{more}"
    )
    return "firing", "", message, severity, values


def _volume(
    cfg: VolumeDropConfig, results: Mapping[str, Any], where: str, ctx: EvaluationContext
) -> _Check:
    window = results.get("window")
    if not isinstance(window, Mapping) or window.get("status") != "closed":
        return "unknown", "the window is still open", "", "warning", {}
    volume, reason = _part(results, "volume")
    rows = _number(volume.get("rows")) if volume is not None else None
    if rows is None:
        return "unknown", reason or "no row count for this window", "", "warning", {}
    baseline = [int(v) for v in list(ctx.previous_volumes)[: cfg.baseline_windows]]
    if len(baseline) < cfg.min_baseline:
        return (
            "unknown",
            f"only {len(baseline)} previous closed windows; the rule needs {cfg.min_baseline}",
            "",
            "warning",
            {},
        )
    median = float(statistics.median(baseline))
    limit = cfg.fraction * median
    fires = rows < limit
    severity: Severity = "critical" if rows == 0 else "warning"
    values = {
        "rows": int(rows),
        "baseline_median": median,
        "baseline_windows": len(baseline),
        "fraction": cfg.fraction,
        "limit": limit,
    }
    message = (
        f"volume {int(rows):,} rows, below {cfg.fraction:.0%} of the median {_num(median)} rows "
        f"of the previous {len(baseline)} closed windows, in {where}"
    )
    return ("firing" if fires else "clear"), "", message, severity, values


def _condition(spec: RuleSpec) -> str:
    cfg = spec.config
    if isinstance(cfg, EstimatedMetricConfig | RealizedMetricConfig):
        return f"{spec.kind}:{cfg.metric}"
    return spec.kind


def check_rule(
    rule: RuleSpec | StoredRule, results: Mapping[str, Any], context: EvaluationContext
) -> Evaluation:
    """Judge ``rule`` on one window's ``results`` (the window-results JSON of the contract).

    >>> spec = RuleSpec(name="auc", kind="estimated_metric", config={"metric": "roc_auc"})
    >>> results = {"window": {"key": 1, "start": "2026-11-20T13:00:00+00:00", "end": None,
    ...                       "status": "open"},
    ...            "estimated": {"method": "CBPE", "metrics": {"roc_auc": {
    ...                "value": 0.71, "lower": 0.69, "upper": 0.73,
    ...                "band_lower": 0.74, "band_upper": 0.80, "alert": True}}}}
    >>> check_rule(spec, results, EvaluationContext(version_id="v1")).firing.message
    'estimated roc_auc 0.71 below its band [0.74, 0.80] in window 2026-11-20 13:00'
    """
    spec = rule.spec if isinstance(rule, StoredRule) else rule
    rule_id = rule.id if isinstance(rule, StoredRule) else f"name={spec.name}"
    info = _window_info(results, context)
    where = _window_label(info)
    cfg = spec.config
    if isinstance(cfg, DriftConfig):
        status, reason, message, severity, values = _drift(cfg, results, where)
    elif isinstance(cfg, EstimatedMetricConfig):
        status, reason, message, severity, values = _estimated(cfg, results, where)
    elif isinstance(cfg, RealizedMetricConfig):
        status, reason, message, severity, values = _realized(cfg, results, where)
    elif isinstance(cfg, DataQualityConfig):
        status, reason, message, severity, values = _quality(cfg, results, where)
    else:
        status, reason, message, severity, values = _volume(cfg, results, where, context)
    condition = _condition(spec)
    if status != "firing":
        return Evaluation(status, condition, None, reason, values)
    payload = {
        "rule": {"id": rule_id, "name": spec.name, "kind": spec.kind},
        "condition": condition,
        "severity": severity,
        "message": message,
        "values": values,
        "project": context.project,
        "model": context.model,
        "version": context.version,
        "version_id": context.version_id,
        "window": {"id": context.window_id, **info},
    }
    firing = Firing(
        rule_id=rule_id,
        version_id=context.version_id,
        kind=spec.kind,
        condition=condition,
        severity=severity,
        message=message,
        payload=payload,
        window_key=info["key"],
    )
    return Evaluation("firing", condition, firing, "", values)


def evaluate(
    rule: RuleSpec | StoredRule, results: Mapping[str, Any], context: EvaluationContext
) -> Firing | None:
    """The :class:`Firing` of ``rule`` on this window, or None (clear or cannot be judged).

    >>> spec = RuleSpec(name="vol", kind="volume_drop", config={"fraction": 0.5})
    >>> results = {"window": {"key": 7, "start": None, "end": None, "status": "closed"},
    ...            "volume": {"rows": 40, "labels": 0, "label_coverage": 0.0,
    ...                       "label_delay_seconds": None}}
    >>> ctx = EvaluationContext(version_id="v1", previous_volumes=[100, 120, 90])
    >>> evaluate(spec, results, ctx).message
    'volume 40 rows, below 50% of the median 100 rows of the previous 3 closed windows, in window #7'
    """
    return check_rule(rule, results, context).firing
