"""Model-quality checks: absolute metric thresholds, non-inferiority to the champion, calibration."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from driftline import metrics as m
from driftline.exceptions import ParameterError
from driftline.gate._registry import CheckOutcome, CheckSpec, fmt, register_check

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = [
    "CalibrationCheck",
    "ChampionCheck",
    "MetricCheck",
    "compute_metric",
    "one_sided_comparison",
]

MetricName = Literal[
    "roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "specificity",
    "log_loss", "brier", "mae", "rmse", "mape", "r2",
]  # fmt: skip
CompareName = Literal[
    "roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "specificity",
    "log_loss", "brier", "mae", "rmse", "mape",
]  # fmt: skip

# name -> (function, higher is better, input: "score" or "label", tasks)
_METRICS: dict[str, tuple[Callable[..., m.MetricResult], bool, str, tuple[str, ...]]] = {
    "roc_auc": (m.roc_auc, True, "score", ("binary",)),
    "average_precision": (m.average_precision, True, "score", ("binary",)),
    "log_loss": (m.log_loss, False, "score", ("binary",)),
    "brier": (m.brier_score, False, "score", ("binary",)),
    "accuracy": (m.accuracy, True, "label", ("binary",)),
    "precision": (m.precision, True, "label", ("binary",)),
    "recall": (m.recall, True, "label", ("binary",)),
    "f1": (m.f1, True, "label", ("binary",)),
    "specificity": (m.specificity, True, "label", ("binary",)),
    "mae": (m.mae, False, "score", ("regression",)),
    "rmse": (m.rmse, False, "score", ("regression",)),
    "mape": (m.mape, False, "score", ("regression",)),
    "r2": (m.r2, True, "score", ("regression",)),
}


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better."""
    return _METRICS[metric][1]


def _check_task(ctx: GateContext, metric: str, check: str) -> None:
    tasks = _METRICS[metric][3]
    if ctx.policy.task not in tasks:
        raise ParameterError(
            f"The check {check!r} uses {metric!r}, which is defined for task "
            f"{' or '.join(tasks)}; the policy's task is {ctx.policy.task!r}."
        )


def compute_metric(ctx: GateContext, metric: str, scores: Any, check: str) -> m.MetricResult:
    """``metric`` of ``scores`` against the target, with the policy's confidence."""
    _check_task(ctx, metric, check)
    fn, _, needs, _ = _METRICS[metric]
    y = ctx.require_target(check)
    x = ctx.labels(scores) if needs == "label" else scores
    return fn(
        y,
        x,
        confidence=ctx.confidence,
        n_resamples=ctx.policy.n_resamples,
        random_state=ctx.policy.random_state,
    )


def one_sided_comparison(
    y: Any, cand: Any, champ: Any, metric: str, ctx: GateContext, confidence: float
) -> tuple[m.MetricComparison, float]:
    """Paired comparison and its one-sided bound at ``confidence``.

    The one-sided bound at level c is the end of the two-sided interval at level 2c - 1:
    the lower end for metrics where higher is better, the upper end for losses.
    """
    comp = m.compare_metric(
        y,
        cand,
        champ,
        metric=metric,  # type: ignore[arg-type]
        threshold=ctx.policy.threshold,
        confidence=2.0 * confidence - 1.0,
        n_resamples=ctx.policy.n_resamples,
        random_state=ctx.policy.random_state,
    )
    bound = comp.ci_low if higher_is_better(metric) else comp.ci_high
    return comp, float(bound)


@register_check("metric")
class MetricCheck(CheckSpec):
    """``metric >= min`` or ``metric <= max`` on the candidate, decided on the point estimate.

    The confidence interval is reported next to the value, not used for the decision.

    >>> MetricCheck(metric="roc_auc", min=0.8).label
    'roc_auc >= 0.8'
    """

    kind: Literal["metric"] = "metric"
    metric: MetricName
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> MetricCheck:
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of 'min' or 'max'")
        return self

    def describe(self) -> str:
        return (
            f"{self.metric} >= {self.min:g}"
            if self.min is not None
            else (f"{self.metric} <= {self.max:g}")
        )

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        r = compute_metric(ctx, self.metric, ctx.candidate_scores(), self.label)
        if self.min is not None:
            ok, thr, op = r.value >= self.min, self.min, ">="
        else:
            ok, thr, op = r.value <= float(self.max or 0.0), float(self.max or 0.0), "<="
        pct = round(100 * r.confidence)
        reason = (
            f"{self.metric} {fmt(r.value)} {op if ok else 'violates ' + op} {thr:g} "
            f"({pct}% CI [{fmt(r.ci_low)}, {fmt(r.ci_high)}], {r.method}, n={r.n})"
        )
        return CheckOutcome(ok, r.value, thr, op, reason, r.ci_low, r.ci_high, r.to_dict())  # type: ignore[arg-type]


@register_check("champion")
class ChampionCheck(CheckSpec):
    """Non-inferiority: ``metric(candidate) >= metric(champion) - margin`` (losses: ``<= + margin``).

    Decided by the one-sided confidence bound on the paired difference (paired DeLong
    for ROC AUC, delta method for losses, paired bootstrap otherwise), never by comparing
    two point estimates.

    >>> ChampionCheck(metric="log_loss", margin=0.02).label
    'log_loss <= champion + 0.02'
    """

    kind: Literal["champion"] = "champion"
    metric: CompareName
    margin: float = Field(default=0.0, ge=0.0)
    confidence: float | None = Field(default=None, gt=0.5, lt=1.0)

    def describe(self) -> str:
        op = ">=" if higher_is_better(self.metric) else "<="
        sign = "-" if higher_is_better(self.metric) else "+"
        return f"{self.metric} {op} champion {sign} {self.margin:g}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        _check_task(ctx, self.metric, self.label)
        y = ctx.require_target(self.label)
        champ = ctx.champion_scores(self.label)
        conf = self.confidence or ctx.confidence
        comp, bound = one_sided_comparison(y, ctx.candidate_scores(), champ, self.metric, ctx, conf)
        hib = higher_is_better(self.metric)
        thr = -self.margin if hib else self.margin
        ok = bound >= thr if hib else bound <= thr
        side = "lower" if hib else "upper"
        op: Literal[">=", "<="] = ">=" if hib else "<="
        two = round(100 * comp.confidence)
        reason = (
            f"{self.metric} difference {fmt(comp.difference)} (candidate {fmt(comp.value_a)} vs "
            f"champion {fmt(comp.value_b)}); one-sided {round(100 * conf)}% {side} bound "
            f"{fmt(bound)} {op if ok else 'violates ' + op} {thr:g} (end of the {two}% "
            f"two-sided interval; {comp.method}, n={comp.n})"
        )
        details = {**comp.to_dict(), "bound": bound, "bound_confidence": conf}
        return CheckOutcome(ok, comp.difference, thr, op, reason, comp.ci_low, comp.ci_high,
                            details)  # fmt: skip


@register_check("calibration")
class CalibrationCheck(CheckSpec):
    """Expected calibration error at most ``max_ece`` (point estimate; interval reported).

    >>> CalibrationCheck(max_ece=0.05).label
    'ECE <= 0.05'
    """

    kind: Literal["calibration"] = "calibration"
    max_ece: float = Field(gt=0.0, lt=1.0)
    n_bins: int = Field(default=15, ge=2, le=1000)
    strategy: Literal["quantile", "uniform"] = "quantile"

    def describe(self) -> str:
        return f"ECE <= {self.max_ece:g}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        if ctx.policy.task != "binary":
            raise ParameterError(f"The check {self.label!r} (calibration) needs task 'binary'.")
        y = ctx.require_target(self.label)
        s = ctx.candidate_scores()
        if np.nanmin(s) < 0 or np.nanmax(s) > 1:
            raise ParameterError(
                f"The check {self.label!r} needs probabilities in [0, 1]; the candidate's "
                f"scores range over [{np.nanmin(s):.3g}, {np.nanmax(s):.3g}]."
            )
        r = m.expected_calibration_error(
            y, s, n_bins=self.n_bins, strategy=self.strategy, confidence=ctx.confidence,
            n_resamples=ctx.policy.n_resamples, random_state=ctx.policy.random_state,
        )  # fmt: skip
        ok = r.value <= self.max_ece
        reason = (
            f"ECE ({self.strategy}, {self.n_bins} bins) {fmt(r.value)} "
            f"{'<=' if ok else 'violates <='} {self.max_ece:g} "
            f"({round(100 * r.confidence)}% CI [{fmt(r.ci_low)}, {fmt(r.ci_high)}])"
        )
        return CheckOutcome(ok, r.value, self.max_ece, "<=", reason, r.ci_low, r.ci_high,
                            r.to_dict())  # fmt: skip
