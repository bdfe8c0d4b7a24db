"""Numeric (and datetime) drift methods, and the statistics they share.

The effect size of the test-based methods is the Wasserstein-1 distance divided by a
scale (``wasserstein_sd``): the reference standard deviation, or — when the reference is
constant, where that sd is 0 — the standard deviation of both samples pooled together,
which is 0 only when both sides hold one and the same value (and then the distance is 0
too). A column constant at 2015 in the reference that now spreads over 2016–2018 thus
has a large effect (about 1.8), not 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from driftline import stats
from driftline.drift._bucketed import ks_w1_bucketed
from driftline.drift._methods import Measured, register_method
from driftline.drift._sides import CategoricalSide, NumericSide, Side
from driftline.exceptions import ParameterError

__all__ = [
    "EXPLAIN_QUANTILES",
    "Gathered",
    "binned_counts",
    "effect_scale",
    "moment_changes",
]

_GRID: Final = np.linspace(0.0, 1.0, 1025)
_MID: Final = (np.arange(2048) + 0.5) / 2048
EXPLAIN_QUANTILES: Final = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
_SMALL: Final = 10_000  # sides up to this size: exact p-values, ties found by one sort

_Sorted = tuple[NDArray[np.float64], NDArray[np.intp]]
Gathered = tuple[_Sorted | None, _Sorted | None]


def effect_scale(ref: NumericSide, cur: NumericSide) -> float:
    """The divisor of the Wasserstein effect: the reference sd, never 0 (module docs)."""
    if ref.std > 0:
        return ref.std
    n1, n2 = float(ref.n), float(cur.n)
    var_cur = cur.std**2 if cur.std > 0 else 0.0
    between = n1 * n2 / (n1 + n2) * (cur.mean - ref.mean) ** 2
    pooled = math.sqrt(max(((n2 - 1) * var_cur + between) / max(n1 + n2 - 1, 1.0), 0.0))
    return pooled if pooled > 0 else 1.0  # both sides one and the same value: W1 is 0


def moment_changes(ref: NumericSide, cur: NumericSide) -> bool:
    """True when the explanation will quote moments (no quantiles needed from buckets)."""
    if not ref.std > 0:
        return False
    smd = (cur.mean - ref.mean) / ref.std
    ratio = cur.std / ref.std
    return abs(smd) >= 0.1 or ratio >= 1.1 or ratio <= 1 / 1.1


@dataclass(frozen=True)
class _Found:
    """KS test (when asked) and Wasserstein-1 / scale, with error bounds."""

    ks: stats.TestResult | None
    ks_error: float
    wasserstein_sd: float
    wasserstein_sd_error: float
    gathered: Gathered = (None, None)


def _tie_counts(ref: NumericSide, cur: NumericSide) -> NDArray[np.int64] | None:
    """Sizes of the runs of equal values of the pooled raw sample (``None``: no ties known)."""
    a = ref.distinct
    b = cur.distinct if a is not None else None
    if a is None or b is None:
        return None
    values = np.union1d(a[0], b[0])
    counts = np.zeros(values.size, dtype=np.int64)
    counts[np.searchsorted(values, a[0])] += a[1]
    counts[np.searchsorted(values, b[0])] += b[1]
    return None if values.size == ref.n + cur.n else counts


def _bucketed(
    ref: NumericSide, cur: NumericSide, *, with_ks: bool, threshold: float, explain: bool
) -> _Found | None:
    """Both sides raw and counted into the reference's buckets: exact KS, W1 within a
    bound (recomputed exactly when the bound straddles the threshold). ``None`` when
    the buckets cannot decide cheaply (the caller sorts)."""
    a, b = ref.buckets, cur.buckets
    if a is None or b is None or a.layout != b.layout:
        return None
    # buckets holding the quantiles the explanation will quote are gathered in the same pass
    qs = EXPLAIN_QUANTILES
    extra = a.quantile_buckets(qs) | b.quantile_buckets(qs) if explain else None
    found = ks_w1_bucketed(a, b, extra=extra)
    scale = effect_scale(ref, cur)
    if found is not None and abs(found.wasserstein / scale - threshold) <= (
        found.wasserstein_error / scale
    ):
        found = ks_w1_bucketed(a, b, exact_wasserstein=True, extra=extra)  # verdict at stake
    if found is None:
        return None
    ks = None
    if with_ks:
        d = min(found.d_scaled / (float(a.n) * float(b.n)), 1.0)
        ks = stats.ks_from_statistic(d, a.n, b.n, tie_counts=_tie_counts(ref, cur))
    return _Found(
        ks=ks,
        ks_error=0.0,
        wasserstein_sd=found.wasserstein / scale,
        wasserstein_sd_error=found.wasserstein_error / scale,
        gathered=(found.gathered_a, found.gathered_b),
    )


def _common_grid(ref: NumericSide, cur: NumericSide) -> NDArray[np.float64]:
    points = np.concatenate((ref.quantiles(_GRID), cur.quantiles(_GRID)))
    return np.unique(points[np.isfinite(points)])


def _ks_and_w1(ref: NumericSide, cur: NumericSide, *, with_ks: bool, threshold: float) -> _Found:
    found = _bucketed(
        ref, cur, with_ks=with_ks, threshold=threshold, explain=not moment_changes(ref, cur)
    )
    if found is not None:
        return found
    scale = effect_scale(ref, cur)
    a, b = ref.sorted_values, cur.sorted_values
    if a is not None and b is not None:
        # Both sides raw: sorted, finite float64; skip the O(n) re-checks.
        ks = None
        if with_ks and max(a.size, b.size) <= _SMALL:
            ks = stats.ks_from_sorted(a, b, validate=False, ties="conditional")
        elif with_ks:  # large: ties only where the sides are discrete (few distinct values)
            d = stats.ks_from_sorted(a, b, validate=False).statistic
            ks = stats.ks_from_statistic(d, a.size, b.size, tie_counts=_tie_counts(ref, cur))
        w1 = stats.wasserstein_from_sorted(a, b, validate=False)
        return _Found(ks=ks, ks_error=0.0, wasserstein_sd=w1 / scale, wasserstein_sd_error=0.0)
    ks, bound = None, 0.0
    if with_ks:
        grid = _common_grid(ref, cur)
        ks = stats.ks_from_cdfs(ref.cdf(grid), cur.cdf(grid), ref.n, cur.n)
        # KS error of the sketches (triangle inequality for the sup norm), plus at most one
        # grid step of rank error from evaluating on 1,025 quantiles per side.
        bound = min(ref.rank_error + cur.rank_error + 1.0 / 1024, 1.0)
    w1 = stats.wasserstein_from_quantiles(ref.quantiles(_MID), cur.quantiles(_MID))
    return _Found(ks=ks, ks_error=bound, wasserstein_sd=w1 / scale, wasserstein_sd_error=0.0)


def binned_counts(ref: NumericSide, cur: NumericSide) -> tuple[NDArray[np.float64], ...]:
    """Counts of both sides in ten reference-quantile bins (open outer bins)."""
    edges = np.unique(ref.quantiles(np.arange(1, 10) / 10))

    def counts(side: NumericSide) -> NDArray[np.float64]:
        cdf = np.concatenate(([0.0], side.cdf(edges), [1.0]))
        return np.clip(np.diff(cdf), 0.0, None) * side.n

    return counts(ref), counts(cur)


def _numeric(ref: Side, cur: Side) -> tuple[NumericSide, NumericSide]:
    assert isinstance(ref, NumericSide)
    assert isinstance(cur, NumericSide)
    return ref, cur


def _raw(name: str, ref: NumericSide, cur: NumericSide) -> tuple[NDArray[np.float64], ...]:
    a, b = ref.sorted_values, cur.sorted_values
    if a is None or b is None:
        raise ParameterError(
            f"Drift method {name!r} needs raw values on both sides; a profile holds only "
            "sketches. Compare raw data, or use 'ks' or 'wasserstein' with profiles."
        )
    return a, b


def _with_w1(
    ref: NumericSide, cur: NumericSide, thresholds: dict[str, float], test: stats.TestResult
) -> Measured:
    found = _ks_and_w1(ref, cur, with_ks=False, threshold=thresholds["wasserstein_sd"])
    return Measured(
        statistic=test.statistic,
        p_value=test.p_value,
        effect_size=found.wasserstein_sd,
        effect_name="wasserstein_sd",
        test=test.method,
        effect_size_error_bound=found.wasserstein_sd_error,
        details={"gathered": found.gathered},
    )


@register_method("ks", kinds=("numeric",), effect="wasserstein_sd", test=True)
def _ks(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Kolmogorov–Smirnov test (tie-aware p-value); effect: Wasserstein-1 in sds."""
    r, c = _numeric(ref, cur)
    found = _ks_and_w1(r, c, with_ks=True, threshold=thresholds["wasserstein_sd"])
    assert found.ks is not None
    return Measured(
        statistic=found.ks.statistic,
        p_value=found.ks.p_value,
        effect_size=found.wasserstein_sd,
        effect_name="wasserstein_sd",
        test=found.ks.method,
        statistic_error_bound=found.ks_error,
        effect_size_error_bound=found.wasserstein_sd_error,
        details={"gathered": found.gathered},
    )


@register_method("wasserstein", kinds=("numeric",), effect="wasserstein_sd", test=False)
def _wasserstein(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Wasserstein-1 distance in sds alone (no test)."""
    r, c = _numeric(ref, cur)
    found = _ks_and_w1(r, c, with_ks=False, threshold=thresholds["wasserstein_sd"])
    return Measured(
        statistic=found.wasserstein_sd,
        p_value=None,
        effect_size=found.wasserstein_sd,
        effect_name="wasserstein_sd",
        statistic_error_bound=found.wasserstein_sd_error,
        effect_size_error_bound=found.wasserstein_sd_error,
        details={"gathered": found.gathered},
    )


@register_method("cvm", kinds=("numeric",), effect="wasserstein_sd", test=True, needs_raw=True)
def _cvm(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Cramér–von Mises test (raw values); effect: Wasserstein-1 in sds."""
    r, c = _numeric(ref, cur)
    a, b = _raw("cvm", r, c)
    return _with_w1(r, c, thresholds, stats.cramervonmises_2samp(a, b))


@register_method("anderson", kinds=("numeric",), effect="wasserstein_sd", test=True, needs_raw=True)
def _anderson(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Anderson–Darling k-sample test (raw values; p in [0.001, 0.25]); effect: W1 in sds."""
    r, c = _numeric(ref, cur)
    a, b = _raw("anderson", r, c)
    return _with_w1(r, c, thresholds, stats.anderson_ksamp([a, b]))


def counts_of(ref: Side, cur: Side) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Counts to compare: reference-quantile bins (numeric) or aligned categories."""
    if isinstance(ref, NumericSide) and isinstance(cur, NumericSide):
        r, c = binned_counts(ref, cur)
        return r, c
    from driftline.drift._sides import aligned_counts

    assert isinstance(ref, CategoricalSide)

    assert isinstance(cur, CategoricalSide)
    _, r, c = aligned_counts(ref, cur)
    return r, c


def _distance(name: str, value: float) -> Measured:
    return Measured(statistic=value, p_value=None, effect_size=value, effect_name=name)


@register_method("psi", kinds=("numeric", "categorical"), effect="psi", test=False)
def _psi(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Population stability index over ten reference-quantile bins or the categories."""
    return _distance("psi", stats.psi(*counts_of(ref, cur)))


@register_method(
    "jensen_shannon", kinds=("numeric", "categorical"), effect="jensen_shannon", test=False
)
def _jensen_shannon(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Jensen–Shannon distance (base 2) over reference-quantile bins or the categories."""
    return _distance("jensen_shannon", stats.jensen_shannon_distance(*counts_of(ref, cur)))


@register_method("hellinger", kinds=("numeric", "categorical"), effect="hellinger", test=False)
def _hellinger(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
    """Hellinger distance over reference-quantile bins or the categories."""
    return _distance("hellinger", stats.hellinger_distance(*counts_of(ref, cur)))
