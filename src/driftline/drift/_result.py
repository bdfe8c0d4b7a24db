"""The result of one column: the distribution test, the missing-value test, the verdict.

A column drifts for any of three reasons (``reasons``):

- ``"distribution"``: its method's p-value, adjusted across every test of the report, is
  at most ``alpha`` (pure distances have no p-value) **and** one of its effect sizes
  reaches that effect's threshold;
- ``"missing values"``: the missing rate changed — the two-proportions test, adjusted in
  the same family, is at most ``alpha`` **and** Cohen's h reaches its threshold;
- ``"kind changed"``: the column is, say, numeric in the reference and categorical now.

Every threshold applies to one named effect size and nothing else; a threshold is never
a p-value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = ["ColumnDrift", "Effect", "MissingDrift"]

Kind = Literal["numeric", "datetime", "categorical", "boolean", "text"]
Reason = Literal["distribution", "missing values", "kind changed"]


@dataclass(frozen=True)
class Effect:
    """One effect size and the threshold that applies to it (drift needs ``value >= threshold``)."""

    name: str
    value: float
    threshold: float

    @property
    def large(self) -> bool:
        """True when the value reaches the threshold."""
        return math.isfinite(self.value) and self.value >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {"name": self.name, "value": self.value, "threshold": self.threshold}


@dataclass(frozen=True)
class MissingDrift:
    """The change in a column's missing rate: a two-proportions test and Cohen's h.

    ``effect_size`` is ``|h|`` between the two missing rates (0 -> 1 % is 0.20, 0 -> 50 %
    is 1.57); ``test`` is ``"chi2_2x2"`` or ``"fisher_exact"`` (small expected counts).
    """

    rate_reference: float
    rate_current: float
    statistic: float
    p_value: float
    test: str
    effect_size: float
    threshold: float
    effect_name: str = "missing_cohens_h"
    p_value_adjusted: float | None = None
    drifted: bool = False

    def decided(self, *, p_value_adjusted: float, alpha: float) -> MissingDrift:
        """A copy with the adjusted p-value and the verdict."""
        large = self.effect_size >= self.threshold
        return replace(
            self, p_value_adjusted=p_value_adjusted, drifted=p_value_adjusted <= alpha and large
        )

    def explanation(self) -> str:
        """E.g. ``"missing 0% -> 50%"``."""
        return f"missing {_percent(self.rate_reference)} -> {_percent(self.rate_current)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "rate_reference": self.rate_reference,
            "rate_current": self.rate_current,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "test": self.test,
            "effect_name": self.effect_name,
            "effect_size": self.effect_size,
            "threshold": self.threshold,
            "drifted": self.drifted,
        }


def _percent(share: float) -> str:
    v = 100.0 * share
    if v == 0 or v >= 1:
        return f"{v:.0f}%"
    return f"{v:.1g}%"


@dataclass(frozen=True)
class ColumnDrift:
    """The drift result of one column.

    ``method`` names the per-column method (``driftline.drift.drift_methods()``);
    ``statistic`` is its test statistic (KS D, chi-squared, ...) or, for a pure distance,
    the distance itself; ``p_value`` is ``None`` for pure distances. ``effect_size``
    (named by ``effect_name``) is what ``threshold`` applies to; ``effects`` lists every
    effect size judged for the distribution with its own threshold (e.g. total variation
    and the PSI over categories). ``missing`` is the missing-rate test (``None`` when no
    value is missing on either side). ``statistic``, ``p_value`` and ``effect_size`` are
    ``None`` when the distribution could not be compared (``note`` says why: too few
    values, or the kind changed — then ``reference_kind`` differs from ``kind``).

    ``statistic_error_bound`` bounds the difference to the exact statistic when a side
    comes from a sketch (0 when both sides are raw); ``effect_size_error_bound`` bounds the
    difference to the exact Wasserstein-1 effect of large raw columns (the verdict is
    always the exact one). See ``docs/drift.md``.
    """

    column: str
    kind: Kind
    method: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    effect_name: str
    threshold: float
    explanation: str
    n_reference: int
    n_current: int
    missing_rate_reference: float
    missing_rate_current: float
    statistic_error_bound: float = 0.0
    effect_size_error_bound: float = 0.0
    p_value_adjusted: float | None = None
    drifted: bool = False
    threshold_direction: Literal[">="] = ">="
    chart: dict[str, Any] = field(default_factory=dict, compare=False)
    test: str | None = None
    effects: tuple[Effect, ...] = ()
    missing: MissingDrift | None = None
    reference_kind: Kind | None = None
    note: str | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def compared(self) -> bool:
        """True when the distributions were compared (enough values, same kind)."""
        return self.statistic is not None

    @property
    def kind_changed(self) -> bool:
        """True when the reference had another kind."""
        return self.reference_kind is not None and self.reference_kind != self.kind

    @property
    def severity(self) -> float:
        """How far past its thresholds the column is (largest effect / threshold ratio)."""
        if self.kind_changed:
            return math.inf
        ratios = [e.value / e.threshold for e in self.effects if e.threshold > 0 and e.large]
        if self.missing is not None and self.missing.drifted and self.missing.threshold > 0:
            ratios.append(self.missing.effect_size / self.missing.threshold)
        return max(ratios, default=0.0)

    def decided(
        self,
        *,
        p_value_adjusted: float | None,
        missing_p_value_adjusted: float | None,
        alpha: float,
    ) -> ColumnDrift:
        """Return a copy with the adjusted p-values and the verdict filled in."""
        reasons: list[Reason] = []
        if self.kind_changed:
            reasons.append("kind changed")
        if self.compared:
            significant = self.p_value is None or (
                p_value_adjusted is not None and p_value_adjusted <= alpha
            )
            if significant and any(e.large for e in self.effects):
                reasons.append("distribution")
        missing = self.missing
        if missing is not None and missing_p_value_adjusted is not None:
            missing = missing.decided(p_value_adjusted=missing_p_value_adjusted, alpha=alpha)
            if missing.drifted:
                reasons.append("missing values")
        return replace(
            self,
            p_value_adjusted=p_value_adjusted,
            missing=missing,
            drifted=bool(reasons),
            reasons=tuple(reasons),
        )

    def verdict_line(self) -> str:
        """What changed and which thresholds it crossed, for summaries and reports."""
        parts = []
        if self.kind_changed:
            parts.append(f"kind changed: {self.reference_kind} -> {self.kind}")
        if "distribution" in self.reasons:
            crossed = ", ".join(
                f"{e.name} {e.value:.3g} >= {e.threshold:g}" for e in self.effects if e.large
            )
            parts.append(f"{self.explanation} [{crossed}]")
        if self.missing is not None and "missing values" in self.reasons:
            m = self.missing
            parts.append(
                f"{m.explanation()} [{m.effect_name} {m.effect_size:.3g} >= {m.threshold:g}]"
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "column": self.column,
            "kind": self.kind,
            "reference_kind": self.reference_kind,
            "method": self.method,
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "effect_size": self.effect_size,
            "effect_name": self.effect_name,
            "threshold": self.threshold,
            "threshold_direction": self.threshold_direction,
            "effects": [e.to_dict() for e in self.effects],
            "drifted": self.drifted,
            "reasons": list(self.reasons),
            "explanation": self.explanation,
            "note": self.note,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing_rate_reference": self.missing_rate_reference,
            "missing_rate_current": self.missing_rate_current,
            "missing": None if self.missing is None else self.missing.to_dict(),
            "statistic_error_bound": self.statistic_error_bound,
            "effect_size_error_bound": self.effect_size_error_bound,
            "chart": self.chart,
        }
