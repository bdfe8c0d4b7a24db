"""Per-column comparisons: a test and/or a distance, an effect size, and an explanation.

Every comparison returns a :class:`ColumnDrift` whose ``threshold`` always applies to
``effect_size`` (drift needs ``effect_size >= threshold``), never to a p-value; the
p-value is judged against ``alpha`` after correction across columns, in the detector.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from driftline import stats
from driftline.drift._sides import CategoricalSide, NumericSide, aligned_counts
from driftline.stats._bucketed import BucketedSample, ks_w1_bucketed
from driftline.stats._ks_pvalue import resolve_ks_method

__all__ = [
    "CATEGORICAL_METHODS",
    "DEFAULT_THRESHOLDS",
    "NUMERIC_METHODS",
    "ColumnDrift",
    "ColumnMethod",
    "compare_categorical",
    "compare_numeric",
]

ColumnMethod = Literal["ks", "wasserstein", "psi", "jensen_shannon", "chi2", "total_variation"]
NUMERIC_METHODS: Final[tuple[ColumnMethod, ...]] = ("ks", "wasserstein", "psi", "jensen_shannon")
CATEGORICAL_METHODS: Final[tuple[ColumnMethod, ...]] = (
    "chi2",
    "total_variation",
    "psi",
    "jensen_shannon",
)

#: Effect-size thresholds by effect name: drift needs ``effect_size >= threshold``.
DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "wasserstein_sd": 0.1,
    "total_variation": 0.1,
    "psi": 0.2,
    "jensen_shannon": 0.1,
}

_GRID: Final = np.linspace(0.0, 1.0, 1025)
_MID: Final = (np.arange(2048) + 0.5) / 2048
_CHART_BINS: Final = 30
_CHART_TOP: Final = 12


@dataclass(frozen=True)
class ColumnDrift:
    """The drift result of one column.

    ``statistic`` is the test statistic (KS D, chi-squared) or, for a pure distance,
    the distance itself; ``p_value`` is ``None`` for pure distances. ``effect_size``
    (named by ``effect_name``) is what ``threshold`` applies to: a column drifts when
    its adjusted p-value is at most ``alpha`` (tests only) **and**
    ``effect_size >= threshold``. ``statistic_error_bound`` bounds the difference to the
    exact statistic when a side comes from a sketch (0 when both sides are raw).
    ``effect_size_error_bound`` bounds the difference to the exact Wasserstein-1 effect of
    large raw columns, which is computed from fine buckets (typically below 1e-4
    reference sd; whenever the threshold lies within the bound the effect is recomputed
    exactly, so the verdict is always the exact one); 0 otherwise. See ``docs/drift.md``.
    """

    column: str
    kind: Literal["numeric", "categorical"]
    method: ColumnMethod
    statistic: float
    p_value: float | None
    effect_size: float
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

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "effect_size": self.effect_size,
            "effect_name": self.effect_name,
            "threshold": self.threshold,
            "threshold_direction": self.threshold_direction,
            "drifted": self.drifted,
            "explanation": self.explanation,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing_rate_reference": self.missing_rate_reference,
            "missing_rate_current": self.missing_rate_current,
            "statistic_error_bound": self.statistic_error_bound,
            "effect_size_error_bound": self.effect_size_error_bound,
            "chart": self.chart,
        }

    def decided(self, *, p_value_adjusted: float | None, alpha: float) -> ColumnDrift:
        """Return a copy with the adjusted p-value and the verdict filled in."""
        significant = p_value_adjusted is None or p_value_adjusted <= alpha
        large = bool(np.isfinite(self.effect_size)) and self.effect_size >= self.threshold
        return replace(self, p_value_adjusted=p_value_adjusted, drifted=significant and large)


def _missing(n: int, n_rows: int) -> float:
    return 1.0 - n / n_rows if n_rows else 0.0


# ---------------------------------------------------------------- numeric


def _common_grid(ref: NumericSide, cur: NumericSide) -> NDArray[np.float64]:
    points = np.concatenate((ref.quantiles(_GRID), cur.quantiles(_GRID)))
    return np.unique(points[np.isfinite(points)])


_Sorted = tuple[NDArray[np.float64], NDArray[np.intp]]
Gathered = tuple[_Sorted | None, _Sorted | None]
_EXPLAIN_QS: Final = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


@dataclass(frozen=True)
class _NumericStats:
    """KS test (when asked) and Wasserstein-1 / reference scale, with error bounds."""

    ks: stats.TestResult | None
    ks_error: float
    wasserstein_sd: float
    wasserstein_sd_error: float
    gathered: Gathered = (None, None)


def _scale(ref: NumericSide) -> float:
    return ref.std if ref.std > 0 else max(abs(ref.mean), 1.0)


def _bucketed_stats(
    ref: NumericSide,
    cur: NumericSide,
    *,
    with_ks: bool,
    threshold: float,
    quantiles: NDArray[np.float64] | None = None,
) -> _NumericStats | None:
    """Both sides raw and counted into the reference's buckets: exact KS, W1 within a
    bound (recomputed exactly when the bound straddles the threshold). ``None`` when
    the buckets cannot decide cheaply (the caller sorts)."""
    a, b = ref.buckets, cur.buckets
    if a is None or b is None or a.layout != b.layout:
        return None
    # buckets holding the quantiles the explanation will quote are gathered in the same pass
    extra = (
        None if quantiles is None else a.quantile_buckets(quantiles) | b.quantile_buckets(quantiles)
    )
    found = ks_w1_bucketed(a, b, extra=extra)
    scale = _scale(ref)
    if found is not None and abs(found.wasserstein / scale - threshold) <= (
        found.wasserstein_error / scale
    ):
        found = ks_w1_bucketed(a, b, exact_wasserstein=True, extra=extra)  # verdict at stake
    if found is None:
        return None
    ks = None
    if with_ks:
        d = min(found.d_scaled / (float(a.n) * float(b.n)), 1.0)
        p = stats.ks_pvalue(d, a.n, b.n)
        method = "ks_exact" if resolve_ks_method("auto", a.n, b.n) == "exact" else "ks_asymp"
        ks = stats.TestResult(statistic=d, p_value=p, method=method, n_ref=a.n, n_cur=b.n)
    return _NumericStats(
        ks=ks,
        ks_error=0.0,
        wasserstein_sd=found.wasserstein / scale,
        wasserstein_sd_error=found.wasserstein_error / scale,
        gathered=(found.gathered_a, found.gathered_b),
    )


def _numeric_stats(
    ref: NumericSide,
    cur: NumericSide,
    *,
    with_ks: bool,
    threshold: float,
    quantiles: NDArray[np.float64] | None = None,
) -> _NumericStats:
    bucketed = _bucketed_stats(ref, cur, with_ks=with_ks, threshold=threshold, quantiles=quantiles)
    if bucketed is not None:
        return bucketed
    scale = _scale(ref)
    a, b = ref.sorted_values, cur.sorted_values
    if a is not None and b is not None:
        # Both sides raw: sorted, finite float64; skip the O(n) re-checks.
        ks = stats.ks_from_sorted(a, b, validate=False) if with_ks else None
        w1 = stats.wasserstein_from_sorted(a, b, validate=False)
        return _NumericStats(
            ks=ks, ks_error=0.0, wasserstein_sd=w1 / scale, wasserstein_sd_error=0.0
        )
    ks, bound = None, 0.0
    if with_ks:
        grid = _common_grid(ref, cur)
        ks = stats.ks_from_cdfs(ref.cdf(grid), cur.cdf(grid), ref.n, cur.n)
        # A grid of 1,025 quantiles per side adds at most one grid step of rank error.
        bound = min(
            stats.ks_statistic_error_bound(ref.rank_error, cur.rank_error) + 1.0 / 1024, 1.0
        )
    w1 = stats.wasserstein_from_quantiles(ref.quantiles(_MID), cur.quantiles(_MID))
    return _NumericStats(ks=ks, ks_error=bound, wasserstein_sd=w1 / scale, wasserstein_sd_error=0.0)


def _binned(ref: NumericSide, cur: NumericSide) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    edges = np.unique(ref.quantiles(np.arange(1, 10) / 10))

    def counts(side: NumericSide) -> NDArray[np.float64]:
        cdf = np.concatenate(([0.0], side.cdf(edges), [1.0]))
        return np.clip(np.diff(cdf), 0.0, None) * side.n

    return counts(ref), counts(cur)


def _moment_changes(ref: NumericSide, cur: NumericSide) -> list[str]:
    parts = []
    if ref.std > 0:
        smd = (cur.mean - ref.mean) / ref.std
        if abs(smd) >= 0.1:
            parts.append(stats.describe_mean_shift(smd))
        ratio = cur.std / ref.std
        if ratio >= 1.1 or ratio <= 1 / 1.1:
            parts.append(stats.describe_sd_ratio(ratio))
    return parts


def _side_quantiles(
    side: NumericSide, qs: NDArray[np.float64], gathered: _Sorted | None
) -> NDArray[np.float64]:
    if gathered is not None and side.buckets is not None and "sorted_values" not in side.__dict__:
        return side.buckets.quantiles(qs, gathered)
    return side.quantiles(qs)


def _numeric_explanation(
    ref: NumericSide, cur: NumericSide, gathered: Gathered = (None, None)
) -> str:
    parts = _moment_changes(ref, cur)
    if not parts:
        qs = _EXPLAIN_QS
        qr = _side_quantiles(ref, qs, gathered[0])
        qc = _side_quantiles(cur, qs, gathered[1])
        scale = ref.std if ref.std > 0 else 1.0
        i = int(np.argmax(np.abs(qc - qr) / scale))
        parts.append(f"p{round(qs[i] * 100)} {qr[i]:.4g} -> {qc[i]:.4g}")
    return ", ".join(parts)


def _distinct_values(ref: NumericSide, cur: NumericSide) -> NDArray[np.float64] | None:
    """The union of both sides' values when both are raw and have few distinct values."""
    if ref.values is None or cur.values is None:
        return None
    values = np.unique(np.concatenate((ref.values[::97], cur.values[::97])))
    if values.size > _CHART_TOP:
        return None
    values = np.unique(np.concatenate((ref.values, cur.values)))
    return values if values.size <= _CHART_TOP else None


def _chart_quantiles(side: NumericSide) -> tuple[float, float]:
    """Approximate 0.5 % and 99.5 % points: the chart range only needs to be close."""
    b = side.buckets
    if b is not None and "sorted_values" not in side.__dict__:
        ranks = np.array([0.005, 0.995]) * b.n
        k = np.searchsorted(b.cumulative, ranks, side="right") - 1
        inner = (k > 0) & (k < b.layout.n_buckets - 1)
        if inner.all():  # the middle of the bucket holding each rank
            lo, hi = b.layout.lo + (k - 0.5) / b.layout.scale
            return float(lo), float(hi)
    lo, hi = side.quantiles(np.array([0.005, 0.995]))
    return float(lo), float(hi)


def _histogram_shares(side: NumericSide, edges: NDArray[np.float64]) -> list[float]:
    """Shares of ``side`` in ``[e_0, e_1], (e_1, e_2], ...``."""
    cdf = np.concatenate((side.cdf_below(edges[:1]), side.cdf(edges[1:])))
    out: list[float] = np.clip(np.diff(cdf), 0.0, None).round(6).tolist()
    return out


def _snap_to_buckets(
    ref: NumericSide, cur: NumericSide, edges: NDArray[np.float64]
) -> tuple[NDArray[np.float64], list[float], list[float]] | None:
    """Chart edges moved to bucket boundaries, where both sides' counts are known
    without touching the values (``None`` when the edges fall outside the buckets)."""
    a, b = ref.buckets, cur.buckets
    if a is None or b is None or a.layout != b.layout:
        return None
    layout = a.layout
    k = np.rint(layout.transform(edges)).astype(np.int64)  # boundary k: bucket k | k + 1
    if k[0] < 1 or k[-1] > layout.n_buckets - 3 or bool((np.diff(k) <= 0).any()):
        return None
    snapped = layout.lo + k / layout.scale

    def shares(side: BucketedSample) -> list[float]:
        below = side.cumulative[k + 1]  # values in buckets 0 .. k
        out: list[float] = (np.diff(below) / side.n).round(6).tolist()
        return out

    return snapped, shares(a), shares(b)


def _numeric_chart(ref: NumericSide, cur: NumericSide) -> dict[str, Any]:
    moments = {
        "reference_mean": ref.mean,
        "current_mean": cur.mean,
        "reference_std": ref.std,
        "current_std": cur.std,
    }
    values = _distinct_values(ref, cur)
    if values is not None:  # a few distinct values (flags, counts): one bar per value

        def point_shares(side: NumericSide) -> list[float]:
            out: list[float] = (side.cdf(values) - side.cdf_below(values)).round(6).tolist()
            return out

        return {
            "type": "bars",
            "categories": [f"{v:g}" for v in values],
            "reference": point_shares(ref),
            "current": point_shares(cur),
            **moments,
        }
    (lo_r, hi_r), (lo_c, hi_c) = _chart_quantiles(ref), _chart_quantiles(cur)
    lo, hi = min(lo_r, lo_c), max(hi_r, hi_c)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, _CHART_BINS + 1)
    snapped = _snap_to_buckets(ref, cur, edges)
    if snapped is not None:
        edges, ref_shares, cur_shares = snapped
    else:
        ref_shares, cur_shares = _histogram_shares(ref, edges), _histogram_shares(cur, edges)
    return {
        "type": "histogram",
        "edges": edges.tolist(),
        "reference": ref_shares,
        "current": cur_shares,
        **moments,
    }


def compare_numeric(
    name: str,
    ref: NumericSide,
    cur: NumericSide,
    *,
    method: ColumnMethod,
    thresholds: dict[str, float],
) -> ColumnDrift:
    """Compare the two sides of a numeric column with ``method``."""
    p_value: float | None = None
    bound = 0.0
    gathered: Gathered = (None, None)
    if method in ("ks", "wasserstein"):
        found = _numeric_stats(
            ref,
            cur,
            with_ks=method == "ks",
            threshold=thresholds["wasserstein_sd"],
            quantiles=None if _moment_changes(ref, cur) else _EXPLAIN_QS,
        )
        gathered = found.gathered
        effect, effect_name = found.wasserstein_sd, "wasserstein_sd"
        effect_bound = found.wasserstein_sd_error
        if found.ks is not None:
            statistic, p_value, bound = found.ks.statistic, found.ks.p_value, found.ks_error
        else:
            statistic, bound = effect, effect_bound
    else:
        r, c = _binned(ref, cur)
        statistic = stats.psi(r, c) if method == "psi" else stats.jensen_shannon_distance(r, c)
        effect, effect_name, effect_bound = statistic, method, 0.0
    return ColumnDrift(
        column=name,
        kind="numeric",
        method=method,
        statistic=float(statistic),
        p_value=None if p_value is None else float(p_value),
        effect_size=float(effect),
        effect_name=effect_name,
        threshold=thresholds[effect_name],
        explanation=_numeric_explanation(ref, cur, gathered),
        n_reference=ref.n,
        n_current=cur.n,
        missing_rate_reference=_missing(ref.n, ref.n_rows),
        missing_rate_current=_missing(cur.n, cur.n_rows),
        statistic_error_bound=bound,
        effect_size_error_bound=effect_bound,
        chart=_numeric_chart(ref, cur),
    )


# ------------------------------------------------------------ categorical


def _categorical_explanation(
    labels: list[str],
    ref_share: NDArray[np.float64],
    cur_share: NDArray[np.float64],
    ref_exact: bool,
) -> str:
    parts = []
    if ref_exact:
        new = [(cur_share[i], labels[i]) for i in range(len(labels)) if ref_share[i] == 0]
        new = [item for item in sorted(new, reverse=True) if item[0] >= 0.005]
        if new:
            share, label = new[0]
            more = f" (+{len(new) - 1} more)" if len(new) > 1 else ""
            parts.append(f"new category {label!r} ({share:.0%} of rows){more}")
    diffs = np.abs(cur_share - ref_share)
    i = int(np.argmax(diffs))
    if not parts or labels[i] not in parts[0]:
        parts.append(
            stats.describe_share_change(labels[i], float(ref_share[i]), float(cur_share[i]))
        )
    return ", ".join(parts)


def _categorical_chart(
    labels: list[str], ref_share: NDArray[np.float64], cur_share: NDArray[np.float64]
) -> dict[str, Any]:
    order = np.argsort(-np.maximum(ref_share, cur_share), kind="stable")[:_CHART_TOP]
    rest_ref = float(1.0 - ref_share[order].sum())
    rest_cur = float(1.0 - cur_share[order].sum())
    cats = [labels[i] for i in order]
    ref_vals = ref_share[order].round(6).tolist()
    cur_vals = cur_share[order].round(6).tolist()
    if len(labels) > len(order):
        cats.append("(all others)")
        ref_vals.append(round(max(rest_ref, 0.0), 6))
        cur_vals.append(round(max(rest_cur, 0.0), 6))
    return {"type": "bars", "categories": cats, "reference": ref_vals, "current": cur_vals}


def compare_categorical(
    name: str,
    ref: CategoricalSide,
    cur: CategoricalSide,
    *,
    method: ColumnMethod,
    thresholds: dict[str, float],
) -> ColumnDrift:
    """Compare the two sides of a categorical (or boolean) column with ``method``."""
    labels, r, c = aligned_counts(ref, cur)
    ref_share = r / max(r.sum(), 1.0)
    cur_share = c / max(c.sum(), 1.0)
    tv = stats.total_variation_distance(r, c)
    p_value: float | None = None
    effect, effect_name = tv, "total_variation"
    if method == "chi2":
        result = stats.chi2_homogeneity(r, c)
        statistic, p_value = result.statistic, result.p_value
    elif method == "total_variation":
        statistic = tv
    else:
        statistic = stats.psi(r, c) if method == "psi" else stats.jensen_shannon_distance(r, c)
        effect, effect_name = statistic, method
    return ColumnDrift(
        column=name,
        kind="categorical",
        method=method,
        statistic=float(statistic),
        p_value=None if p_value is None else float(p_value),
        effect_size=float(effect),
        effect_name=effect_name,
        threshold=thresholds[effect_name],
        explanation=_categorical_explanation(labels, ref_share, cur_share, ref.exact),
        n_reference=ref.n,
        n_current=cur.n,
        missing_rate_reference=_missing(ref.n, ref.n_rows),
        missing_rate_current=_missing(cur.n, cur.n_rows),
        chart=_categorical_chart(labels, ref_share, cur_share),
    )
