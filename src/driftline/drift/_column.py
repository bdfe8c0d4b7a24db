"""Compare one column: run its method, test its missing rate, build the result once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline import stats
from driftline.drift._charts import categorical_chart, numeric_chart
from driftline.drift._explain import categorical_explanation, numeric_explanation
from driftline.drift._methods import DriftMethod, Measured
from driftline.drift._result import ColumnDrift, Effect, Kind, MissingDrift
from driftline.drift._sides import CategoricalSide, NumericSide, Side, aligned_counts

__all__ = ["measure_column", "missing_test"]


def _missing_rate(side: Side) -> float:
    return 1.0 - side.n / side.n_rows if side.n_rows else 0.0


def missing_test(ref: Side, cur: Side, *, threshold: float, min_rows: int) -> MissingDrift | None:
    """The missing-rate test, when both sides have ``min_rows`` rows and a value is missing."""
    if ref.n_rows < min_rows or cur.n_rows < min_rows:
        return None
    k_ref, k_cur = ref.n_rows - ref.n, cur.n_rows - cur.n
    if k_ref + k_cur == 0:
        return None
    test = stats.two_proportions_test(k_ref, ref.n_rows, k_cur, cur.n_rows)
    rate_ref, rate_cur = k_ref / ref.n_rows, k_cur / cur.n_rows
    return MissingDrift(
        rate_reference=rate_ref,
        rate_current=rate_cur,
        statistic=test.statistic,
        p_value=test.p_value,
        test=test.method,
        effect_size=abs(stats.cohens_h(rate_ref, rate_cur)),
        threshold=threshold,
    )


def _explain_and_chart(
    ref: Side, cur: Side, measured: Measured | None, thresholds: Mapping[str, float]
) -> tuple[str, dict[str, Any]]:
    if ref.n == 0 or cur.n == 0:
        return "", {}
    if isinstance(ref, NumericSide) and isinstance(cur, NumericSide):
        gathered = (None, None) if measured is None else measured.details.get("gathered")
        return numeric_explanation(ref, cur, gathered or (None, None)), numeric_chart(ref, cur)
    assert isinstance(ref, CategoricalSide)
    assert isinstance(cur, CategoricalSide)
    labels, r, c = aligned_counts(ref, cur)
    ref_share = r / max(r.sum(), 1.0)
    cur_share = c / max(c.sum(), 1.0)
    relative = (
        measured is not None
        and any(
            name == "category_psi" and value >= thresholds[name]
            for name, value in measured.more_effects
        )
        and measured.effect_size < thresholds[measured.effect_name]
    )
    text = categorical_explanation(labels, ref_share, cur_share, ref.exact, relative=relative)
    return text, categorical_chart(labels, ref_share, cur_share)


def _too_few(ref: Side, cur: Side, min_rows: int) -> str:
    return (
        f"too few values: {ref.n:,} in the reference and {cur.n:,} now; "
        f"at least {min_rows:,} are needed on each side"
    )


def measure_column(
    name: str,
    ref: Side,
    cur: Side | None,
    *,
    method: DriftMethod,
    thresholds: Mapping[str, float],
    min_rows: int,
    current_kind: Kind | None = None,
) -> ColumnDrift | str:
    """The column's result, or the reason it could not be tested at all.

    ``cur`` is ``None`` for a current column of a kind drift does not compare (text);
    ``current_kind`` then names it. A kind that differs from the reference's is a finding.
    """
    threshold = thresholds[method.effect]
    kind: Kind = cur.kind if cur is not None else (current_kind or "text")
    missing = None
    if cur is not None:
        missing = missing_test(
            ref, cur, threshold=thresholds["missing_cohens_h"], min_rows=min_rows
        )
    common: dict[str, Any] = {
        "column": name,
        "kind": kind,
        "method": method.name,
        "effect_name": method.effect,
        "threshold": threshold,
        "n_reference": ref.n,
        "n_current": 0 if cur is None else cur.n,
        "missing_rate_reference": _missing_rate(ref),
        "missing_rate_current": 0.0 if cur is None else _missing_rate(cur),
        "missing": missing,
    }
    if cur is None or cur.kind != ref.kind:
        text = f"kind changed: {ref.kind} in the reference, {kind} now"
        return ColumnDrift(
            statistic=None,
            p_value=None,
            effect_size=None,
            explanation=text,
            reference_kind=ref.kind,
            note=text,
            **common,
        )
    if ref.n < min_rows or cur.n < min_rows:
        if missing is None:
            return _too_few(ref, cur, min_rows)
        _, chart = _explain_and_chart(ref, cur, None, thresholds)
        return ColumnDrift(
            statistic=None,
            p_value=None,
            effect_size=None,
            explanation=missing.explanation(),
            note=_too_few(ref, cur, min_rows),
            chart=chart,
            **common,
        )
    measured = method.function(ref, cur, thresholds)
    explanation, chart = _explain_and_chart(ref, cur, measured, thresholds)
    effects = (
        Effect(measured.effect_name, float(measured.effect_size), threshold),
        *(Effect(n, float(v), thresholds[n]) for n, v in measured.more_effects),
    )
    return ColumnDrift(
        statistic=float(measured.statistic),
        p_value=None if measured.p_value is None else float(measured.p_value),
        effect_size=float(measured.effect_size),
        explanation=explanation,
        statistic_error_bound=float(measured.statistic_error_bound),
        effect_size_error_bound=float(measured.effect_size_error_bound),
        chart=chart,
        test=measured.test,
        effects=effects,
        **common,
    )
