"""Checks on groups of rows: discovered slices and fairness across sensitive groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from driftline import metrics as m
from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.gate._checks._metrics import (
    comparison_inputs,
    higher_is_better,
    one_sided_comparison,
    registered_metric,
)
from driftline.gate._registry import CheckOutcome, CheckSpec, fmt, register_check

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = ["FairnessCheck", "SliceCheck"]


@register_check("slices")
class SliceCheck(CheckSpec):
    """Every discovered slice with ``min_support`` rows meets ``min_value`` (``max_value`` for
    losses), and the candidate's worst slice is not worse than the champion on the same rows
    by more than ``max_gap_vs_champion`` (one-sided bound on the paired difference).

    >>> SliceCheck(metric="accuracy", min_value=0.7).label
    'slices (n >= 100) accuracy >= 0.7'
    """

    kind: Literal["slices"] = "slices"
    metric: str = Field(default="accuracy", description="A metric slices can be tested on.")
    min_support: int = Field(default=100, ge=10)
    min_value: float | None = None
    max_value: float | None = None
    max_gap_vs_champion: float | None = Field(default=None, ge=0.0)
    columns: tuple[str, ...] | None = None
    n_bins: int = Field(default=5, ge=2, le=50)
    pairs: bool = False

    @field_validator("metric")
    @classmethod
    def _sliceable(cls, value: str) -> str:
        return registered_metric(value, sliceable=True)

    @model_validator(mode="after")
    def _something(self) -> SliceCheck:
        if self.min_value is None and self.max_value is None and self.max_gap_vs_champion is None:
            raise ValueError("give at least one of 'min_value', 'max_value', 'max_gap_vs_champion'")
        return self

    def describe(self) -> str:
        parts = []
        if self.min_value is not None:
            parts.append(f">= {self.min_value:g}")
        if self.max_value is not None:
            parts.append(f"<= {self.max_value:g}")
        if self.max_gap_vs_champion is not None:
            parts.append(f"gap vs champion <= {self.max_gap_vs_champion:g}")
        return f"slices (n >= {self.min_support}) {self.metric} " + ", ".join(parts)

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        spec = m.get_metric(self.metric)
        task = ctx.policy.task
        if task not in spec.tasks:
            fits = [n for n, s in m.METRICS.items() if task in s.tasks and s.slice_test]
            raise ParameterError(
                f"The check {self.label!r} uses {self.metric!r}, which does not apply to task "
                f"{task!r}; use one of {', '.join(fits)}."
            )
        y = ctx.require_target(self.label)
        cols = list(self.columns or ctx.features)
        missing = [c for c in cols if c not in ctx.data.columns]
        if missing:
            raise SchemaMismatchError(f"The check {self.label!r}: no column(s) {missing} in data.")
        frame = ctx.data[cols]
        if spec.needs_scores or task == "binary":  # binary: thresholded inside
            score, pred = ctx.candidate_scores(), None
        else:
            score, pred = None, ctx.candidate_predictions(self.label)
        report = m.find_worst_slices(
            {c: frame[c].to_numpy() for c in cols}, y,
            y_score=score, y_pred=pred, metric=self.metric,
            threshold=ctx.policy.threshold, n_bins=self.n_bins, min_support=self.min_support,
            pairs=self.pairs, confidence=ctx.confidence, n_resamples=ctx.policy.n_resamples,
            random_state=ctx.policy.random_state,
        )  # fmt: skip
        if not report.slices:
            why = (
                f"no slice has {self.min_support} rows (and as many outside)"
                if report.n_skipped == 0
                else f"{self.metric} is undefined on all {report.n_skipped} candidate slices"
            )
            return CheckOutcome.not_evaluated(
                f"{why}; lower min_support or give more rows", self.min_value,
                details={"n_tested": report.n_tested, "n_skipped": report.n_skipped},
            )  # fmt: skip
        hib = higher_is_better(self.metric)
        worst = (min if hib else max)(report.slices, key=lambda s: s.metric.value)
        ok, notes = True, []
        bad = [
            s
            for s in report.slices
            if (self.min_value is not None and s.metric.value < self.min_value)
            or (self.max_value is not None and s.metric.value > self.max_value)
        ]
        if bad:
            ok = False
            notes.append(f"{len(bad)} of {len(report.slices)} slices outside the limit")
        details: dict[str, object] = {
            "worst_slice": worst.to_dict(),
            "n_slices": len(report.slices),
            "violations": [s.description for s in bad[:20]],
        }
        observed, threshold = worst.metric.value, self.min_value
        op: Literal[">=", "<="] = ">="
        if self.max_value is not None and self.min_value is None:
            threshold, op = self.max_value, "<="
        if self.max_gap_vs_champion is not None:
            cand, champ = comparison_inputs(ctx, self.label)
            mask = worst.mask({c: frame[c].to_numpy() for c in cols})
            comp, bound = one_sided_comparison(
                y[mask], cand[mask], champ[mask], self.metric, ctx, ctx.confidence
            )
            thr = -self.max_gap_vs_champion if hib else self.max_gap_vs_champion
            gap_ok = bool(np.isfinite(bound)) and (bound >= thr if hib else bound <= thr)
            ok = ok and gap_ok
            notes.append(
                f"vs champion on it: difference {fmt(comp.difference)}, one-sided bound "
                f"{fmt(bound)} {'within' if gap_ok else 'beyond'} {thr:g}"
            )
            details["champion_comparison"] = {**comp.to_dict(), "bound": bound}
            if self.min_value is None and self.max_value is None:
                observed, threshold, op = comp.difference, thr, ">=" if hib else "<="
        reason = (
            f"worst slice {worst.description} (n={worst.support}): {self.metric} "
            f"{fmt(worst.metric.value)}" + ("; " + "; ".join(notes) if notes else "")
        )
        return CheckOutcome(ok, observed, threshold, op, reason, worst.metric.ci_low,
                            worst.metric.ci_high, details)  # fmt: skip


@register_check("fairness")
class FairnessCheck(CheckSpec):
    """A parity difference across ``sensitive`` groups at most ``max``, judged on the
    one-sided upper confidence bound (so a noisy small-group estimate cannot pass by luck).

    >>> FairnessCheck(sensitive=["sex"], max=0.1).label
    'demographic_parity_difference (sex) <= 0.1'
    """

    kind: Literal["fairness"] = "fairness"
    sensitive: tuple[str, ...] = Field(min_length=1)
    metric: Literal["demographic_parity_difference", "equalized_odds_difference"] = (
        "demographic_parity_difference"
    )
    max: float = Field(gt=0.0, le=1.0)

    def describe(self) -> str:
        return f"{self.metric} ({', '.join(self.sensitive)}) <= {self.max:g}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        if ctx.policy.task != "binary":
            raise ParameterError(f"The check {self.label!r} (fairness) needs task 'binary'.")
        missing = [c for c in self.sensitive if c not in ctx.data.columns]
        if missing:
            raise SchemaMismatchError(f"The check {self.label!r}: no column(s) {missing} in data.")
        y = ctx.require_target(self.label)
        pred = ctx.labels(ctx.candidate_scores())
        sens = ctx.data[list(self.sensitive)]
        rep = m.fairness_report(
            y, pred, sensitive_features=sens, confidence=2.0 * ctx.confidence - 1.0,
            n_resamples=ctx.policy.n_resamples, random_state=ctx.policy.random_state,
        )  # fmt: skip
        r: m.MetricResult = getattr(rep, self.metric)
        ok = r.ci_high <= self.max
        reason = (
            f"{self.metric} {fmt(r.value)}; one-sided {round(100 * ctx.confidence)}% upper "
            f"bound {fmt(r.ci_high)} {'<=' if ok else 'violates <='} {self.max:g} "
            f"({len(rep.groups)} groups)"
        )
        return CheckOutcome(ok, r.value, self.max, "<=", reason, r.ci_low, r.ci_high,
                            rep.to_dict())  # fmt: skip
