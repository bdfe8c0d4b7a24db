"""Model-quality checks: absolute metric thresholds, non-inferiority to the champion, calibration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from driftline import metrics as m
from driftline.exceptions import InsufficientDataError, ParameterError
from driftline.gate._registry import CheckOutcome, CheckSpec, fmt, register_check

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = [
    "CalibrationCheck",
    "ChampionCheck",
    "MetricCheck",
    "compute_metric",
    "higher_is_better",
    "one_sided_comparison",
]


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better (from the metric registry)."""
    return m.get_metric(metric).greater_is_better


def registered_metric(name: str, *, comparable: bool = False, sliceable: bool = False) -> str:
    """``name`` if the registry has it (and it can be compared / tested on slices)."""
    spec = m.get_metric(name)  # ParameterError (a ValueError) with a did-you-mean
    if comparable and not spec.comparable:
        known = [n for n, s in m.METRICS.items() if s.comparable]
        raise ValueError(f"{name!r} has no paired comparison; use one of {', '.join(known)}")
    if sliceable and spec.slice_test is None:
        known = [n for n, s in m.METRICS.items() if s.slice_test is not None]
        raise ValueError(f"slices cannot be tested on {name!r}; use one of {', '.join(known)}")
    return name


def check_task(ctx: GateContext, metric: str, check: str) -> m.MetricSpec:
    """The metric's registry entry; :class:`ParameterError` when it does not fit the task."""
    spec = m.get_metric(metric)
    if ctx.policy.task not in spec.tasks:
        raise ParameterError(
            f"The check {check!r} uses {metric!r}, which is defined for task "
            f"{' or '.join(sorted(spec.tasks))}; the policy's task is {ctx.policy.task!r}."
        )
    return spec


def compute_metric(ctx: GateContext, metric: str, check: str) -> m.MetricResult:
    """``metric`` of the candidate against the target, with the policy's confidence.

    A metric that is undefined on these rows comes back with a NaN value and a reason.
    """
    spec = check_task(ctx, metric, check)
    y = ctx.require_target(check)
    x = ctx.metric_input(spec, "candidate", check)
    labels = ctx.classes if ctx.policy.task == "multiclass" else None
    try:
        return spec.compute(
            y, x, labels=labels, confidence=ctx.confidence,
            n_resamples=ctx.policy.n_resamples, random_state=ctx.policy.random_state,
        )  # fmt: skip
    except InsufficientDataError as exc:
        return m.MetricResult.undefined(metric, str(exc), n=len(y), confidence=ctx.confidence)


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
        metric=metric,
        threshold=ctx.policy.threshold,
        labels=ctx.classes if ctx.policy.task == "multiclass" else None,
        confidence=2.0 * confidence - 1.0,
        n_resamples=ctx.policy.n_resamples,
        random_state=ctx.policy.random_state,
    )
    bound = comp.ci_low if higher_is_better(metric) else comp.ci_high
    return comp, float(bound)


def comparison_inputs(ctx: GateContext, check: str) -> tuple[Any, Any]:
    """Candidate and champion as ``compare_metric`` takes them: scores (binary, thresholded
    there), predictions (regression) or ``(n, K)`` probabilities (multiclass)."""
    if ctx.policy.task == "multiclass":
        return (ctx.class_probabilities("candidate", check),
                ctx.class_probabilities("champion", check))  # fmt: skip
    return ctx.candidate_scores(), ctx.champion_scores(check)


@register_check("metric")
class MetricCheck(CheckSpec):
    """``metric >= min`` or ``metric <= max`` on the candidate, decided on the point estimate.

    The confidence interval is reported next to the value, not used for the decision.

    >>> MetricCheck(metric="roc_auc", min=0.8).label
    'roc_auc >= 0.8'
    """

    kind: Literal["metric"] = "metric"
    metric: str = Field(description="A metric of driftline.metrics.METRICS for the task.")
    min: float | None = None
    max: float | None = None

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        return registered_metric(value)

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
        r = compute_metric(ctx, self.metric, self.label)
        op: Literal[">=", "<="]
        if self.min is not None:
            ok, thr, op = r.value >= self.min, self.min, ">="
        else:
            ok, thr, op = r.value <= float(self.max or 0.0), float(self.max or 0.0), "<="
        if not r.defined:
            return CheckOutcome.not_evaluated(
                f"{self.metric} is {r.reason or 'undefined'} (n={r.n})", thr, op, r.to_dict()
            )
        pct = round(100 * r.confidence)
        reason = (
            f"{self.metric} {fmt(r.value)} {op if ok else 'violates ' + op} {thr:g} "
            f"({pct}% CI [{fmt(r.ci_low)}, {fmt(r.ci_high)}], {r.method}, n={r.n})"
        )
        return CheckOutcome(ok, r.value, thr, op, reason, r.ci_low, r.ci_high, r.to_dict())


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
    metric: str = Field(description="A comparable metric of driftline.metrics.METRICS.")
    margin: float = Field(default=0.0, ge=0.0)
    confidence: float | None = Field(default=None, gt=0.5, lt=1.0)

    @field_validator("metric")
    @classmethod
    def _comparable(cls, value: str) -> str:
        return registered_metric(value, comparable=True)

    def describe(self) -> str:
        op = ">=" if higher_is_better(self.metric) else "<="
        sign = "-" if higher_is_better(self.metric) else "+"
        return f"{self.metric} {op} champion {sign} {self.margin:g}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        check_task(ctx, self.metric, self.label)
        y = ctx.require_target(self.label)
        cand, champ = comparison_inputs(ctx, self.label)
        conf = self.confidence or ctx.confidence
        hib = higher_is_better(self.metric)
        thr = -self.margin if hib else self.margin
        op: Literal[">=", "<="] = ">=" if hib else "<="
        try:
            comp, bound = one_sided_comparison(y, cand, champ, self.metric, ctx, conf)
        except InsufficientDataError as exc:
            return CheckOutcome.not_evaluated(f"{self.metric}: {exc}", thr, op)
        if not np.isfinite(bound):
            return CheckOutcome.not_evaluated(
                f"{self.metric} is undefined for the candidate or the champion on these rows "
                f"(candidate {fmt(comp.value_a)}, champion {fmt(comp.value_b)})", thr, op,
                comp.to_dict(),
            )  # fmt: skip
        ok = bound >= thr if hib else bound <= thr
        side = "lower" if hib else "upper"
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
        if ctx.policy.task == "multiclass":
            spec = m.get_metric("ece_top_label")
            r = spec.compute(
                ctx.require_target(self.label), ctx.class_probabilities("candidate", self.label),
                labels=ctx.classes, n_bins=self.n_bins, strategy=self.strategy,
                confidence=ctx.confidence, n_resamples=ctx.policy.n_resamples,
                random_state=ctx.policy.random_state,
            )  # fmt: skip
            return self._outcome(r, "top-label ECE")
        if ctx.policy.task != "binary":
            raise ParameterError(
                f"The check {self.label!r} (calibration) needs task 'binary' or 'multiclass'."
            )
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
        return self._outcome(r, "ECE")

    def _outcome(self, r: m.MetricResult, what: str) -> CheckOutcome:
        ok = r.value <= self.max_ece
        reason = (
            f"{what} ({self.strategy}, {self.n_bins} bins) {fmt(r.value)} "
            f"{'<=' if ok else 'violates <='} {self.max_ece:g} "
            f"({round(100 * r.confidence)}% CI [{fmt(r.ci_low)}, {fmt(r.ci_high)}])"
        )
        return CheckOutcome(ok, r.value, self.max_ece, "<=", reason, r.ci_low, r.ci_high,
                            r.to_dict())  # fmt: skip
