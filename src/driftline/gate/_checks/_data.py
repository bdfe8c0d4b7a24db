"""Checks on the evaluation data: the data contract and drift from the training data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from driftline.gate._registry import CheckOutcome, CheckSpec, register_check
from driftline.report import format_count, format_percent

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = ["ColumnContract", "DataContractCheck", "DriftCheck"]


class ColumnContract(BaseModel):
    """What one column must look like.

    >>> ColumnContract(type="numeric", min=0).min
    0.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["numeric", "categorical", "boolean", "datetime", "text"] | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str | int | float | bool, ...] | None = None
    max_missing_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    required: bool = True


@register_check("data_contract")
class DataContractCheck(CheckSpec):
    """Types, ranges, allowed categories and missing-rate limits, from a profile of the data.

    Kinds, missing rates and min/max come from :func:`driftline.profiles.profile` (exact);
    allowed values are compared on the distinct raw values (as strings).

    >>> DataContractCheck(columns={"age": {"min": 0}}).label
    'data contract (1 column)'
    >>> DataContractCheck(max_missing_rate=0.05).label
    'data contract (missing rate <= 5% in every feature)'
    """

    kind: Literal["data_contract"] = "data_contract"
    columns: dict[str, ColumnContract] = Field(default_factory=dict)
    max_missing_rate: float | None = Field(default=None, ge=0.0, le=1.0)

    def describe(self) -> str:
        checked = [format_count(len(self.columns), "column")] if self.columns else []
        if self.max_missing_rate is not None:
            checked.append(
                f"missing rate <= {format_percent(self.max_missing_rate)} in every feature"
            )
        return f"data contract ({'; '.join(checked) or 'nothing to check'})"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        from driftline.profiles import profile

        data = ctx.data
        names = [c for c in self.columns if c in data.columns]
        if self.max_missing_rate is not None:
            names += [c for c in ctx.features if c not in names]
        prof = profile(data[names]) if names else None
        problems: list[str] = []
        for col, spec in self.columns.items():
            if col not in data.columns:
                if spec.required:
                    problems.append(f"{col}: missing column")
                continue
            if prof is None:  # pragma: no cover - names is non-empty here
                continue
            cp = prof[col]
            if spec.type is not None and cp.kind != spec.type:
                problems.append(f"{col}: type {cp.kind}, expected {spec.type}")
            lo, hi = getattr(cp, "min", None), getattr(cp, "max", None)
            if spec.min is not None and lo is not None and lo < spec.min:
                problems.append(f"{col}: min {lo:.6g} < {spec.min:g}")
            if spec.max is not None and hi is not None and hi > spec.max:
                problems.append(f"{col}: max {hi:.6g} > {spec.max:g}")
            if spec.allowed is not None:
                seen = {str(v) for v in data[col].dropna().unique()}
                bad = sorted(seen - {str(v) for v in spec.allowed})
                if bad:
                    problems.append(f"{col}: values not allowed {bad[:5]}")
            limit = spec.max_missing_rate
            if limit is None:
                limit = self.max_missing_rate
            if limit is not None and cp.missing_rate > limit:
                problems.append(f"{col}: missing rate {cp.missing_rate:.2%} > {limit:.2%}")
        if self.max_missing_rate is not None and prof is not None:
            limit = self.max_missing_rate
            problems.extend(
                f"{col}: missing rate {prof[col].missing_rate:.2%} > {limit:.2%}"
                for col in ctx.features
                if col not in self.columns and prof[col].missing_rate > limit
            )
        ok = not problems
        reason = (
            f"{_checked(self, names)}: all meet the contract" if ok else "; ".join(problems[:5])
        )
        if len(problems) > 5:
            reason += f"; and {len(problems) - 5} more"
        return CheckOutcome(ok, float(len(problems)), 0.0, "<=", reason,
                            details={"violations": problems})  # fmt: skip


def _checked(check: DataContractCheck, names: list[str]) -> str:
    """What the contract checked, in words (never an empty "0 columns")."""
    return f"{format_count(len(set(names) | set(check.columns)), 'column')} checked"


@register_check("drift")
class DriftCheck(CheckSpec):
    """At most ``max_drifted_columns`` features drift between training and evaluation data
    (:class:`driftline.drift.DriftDetector`: FDR-controlled test and effect size per column).

    >>> DriftCheck(max_drifted_columns=1).label
    'drift train -> eval: at most 1 drifted column'
    """

    kind: Literal["drift"] = "drift"
    max_drifted_columns: int = Field(default=0, ge=0)
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    columns: tuple[str, ...] | None = None

    def describe(self) -> str:
        n = self.max_drifted_columns
        return f"drift train -> eval: at most {format_count(n, 'drifted column')}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        from driftline.drift import DriftDetector

        train = ctx.require_train(self.label)
        cols = list(self.columns or [c for c in ctx.features if c in train.columns])
        det = DriftDetector(columns=cols, alpha=self.alpha).fit(train[cols])
        rep = det.compare(ctx.data[cols])
        drifted = rep.drifted_columns
        ok = len(drifted) <= self.max_drifted_columns
        what = ", ".join(f"{c} ({rep.columns[c].explanation})" for c in drifted[:5])
        reason = f"{len(drifted)} of {format_count(len(rep.columns), 'column')} drifted" + (
            f": {what}" if drifted else ""
        )
        return CheckOutcome(ok, float(len(drifted)), float(self.max_drifted_columns), "<=",
                            reason, details={"drifted_columns": drifted})  # fmt: skip
