"""Bucketed KS / Wasserstein-1 (driftline.drift._bucketed) against scipy and sorted kernels.

The KS statistic must equal the exact one (scipy.stats.ks_2samp) whatever the buckets;
Wasserstein-1 must lie within its reported error bound of scipy.stats.wasserstein_distance
(the bound is 0 with ``exact_wasserstein=True``; 1e-9 relative covers floating-point
rounding). Small bucket counts force every code path: tails, ties, crossings.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import stats as sps

from driftline.drift._bucketed import (
    BucketedSample,
    BucketLayout,
    finite_values,
    ks_w1_bucketed,
    wasserstein_bounds,
)
from driftline.stats._ks_statistic import _sup_diff_merge

KINDS = ["normal", "shifted", "integers", "rounded", "cauchy", "far", "wide"]


def _samples(kind: str, n1: int, n2: int, seed: int) -> tuple[NDArray[np.float64], ...]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n1), rng.normal(size=n2)
    if kind == "shifted":
        return rng.normal(size=n1), rng.normal(0.3, 1.2, size=n2)
    if kind == "integers":
        return rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float)
    if kind == "rounded":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.2, size=n2), 1)
    if kind == "cauchy":
        return rng.standard_cauchy(n1), rng.standard_cauchy(n2) + 0.5
    if kind == "far":
        return rng.normal(size=n1), rng.normal(50.0, size=n2)
    return rng.uniform(size=n1), rng.uniform(-0.5, 1.5, size=n2)


def _check(a: NDArray[np.float64], b: NDArray[np.float64], layout: BucketLayout) -> None:
    sa = BucketedSample.build(a, layout)
    sb = BucketedSample.build(b, layout)
    assert sa is not None
    assert sb is not None
    expected_d = _sup_diff_merge(np.sort(a), np.sort(b))
    expected_w = float(sps.wasserstein_distance(a, b))
    rounding = 1e-9 * expected_w + 1e-12 * float(np.abs(np.r_[a, b]).max())
    for exact in (False, True):
        found = ks_w1_bucketed(sa, sb, exact_wasserstein=exact, max_exact_share=1.0)
        assert found is not None
        assert found.d_scaled == expected_d
        assert abs(found.wasserstein - expected_w) <= found.wasserstein_error + rounding
        if exact:
            assert found.wasserstein_error == 0.0
    d = expected_d / (a.size * b.size)
    assert d == pytest.approx(sps.ks_2samp(a, b, method="asymp").statistic, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.integers(1, 400),
    st.integers(1, 400),
    st.integers(3, 60),
    st.integers(2, 500),
    st.integers(0, 2**32 - 1),
)
def test_exact_ks_and_bounded_wasserstein(
    kind: str, n1: int, n2: int, n_buckets: int, sample_size: int, seed: int
) -> None:
    a, b = _samples(kind, n1, n2, seed)
    layout = BucketLayout.from_values(a, n_buckets=n_buckets, sample_size=sample_size, seed=seed)
    if layout is None:  # a constant (sample of the) reference: the caller sorts instead
        assert sample_size < n1 or np.unique(a).size == 1
        return
    _check(a, b, layout)


@pytest.mark.parametrize("shift", [0.0, 0.01, 0.3])
def test_large_samples_need_little_exact_work(shift: float) -> None:
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(size=400_000), rng.lognormal(shift, size=300_000)
    layout = BucketLayout.from_values(a)
    assert layout is not None
    sa, sb = BucketedSample.build(a, layout), BucketedSample.build(b, layout)
    assert sa is not None
    assert sb is not None
    found = ks_w1_bucketed(sa, sb)
    assert found is not None
    assert found.n_exact < 0.05 * (a.size + b.size)  # a few percent sorted at most
    assert found.d_scaled == _sup_diff_merge(np.sort(a), np.sort(b))
    expected_w = float(sps.wasserstein_distance(a, b))
    assert abs(found.wasserstein - expected_w) <= found.wasserstein_error + 1e-9 * expected_w
    # the documented size of the bound: far below the 0.1 sd drift threshold
    assert found.wasserstein_error / a.std() < 1e-4
    assert sa.mean == pytest.approx(a.mean(), rel=1e-12)
    assert sa.std == pytest.approx(a.std(ddof=1), rel=1e-10)


def test_heavy_ties_give_up_instead_of_sorting_in_buckets() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, 100_000).astype(float)
    b = rng.integers(0, 3, 100_000).astype(float)
    layout = BucketLayout.from_values(a)
    assert layout is not None
    sa, sb = BucketedSample.build(a, layout), BucketedSample.build(b, layout)
    assert sa is not None
    assert sb is not None
    assert ks_w1_bucketed(sa, sb) is None  # the detector then sorts both sides
    _check(a[:300], b[:300], layout)  # still exact when asked to finish


def test_counts_quantiles_and_moments_are_exact() -> None:
    rng = np.random.default_rng(2)
    a = np.round(rng.normal(size=50_000), 2)
    layout = BucketLayout.from_values(a, n_buckets=500)
    assert layout is not None
    sa = BucketedSample.build(a, layout)
    assert sa is not None
    ordered = np.sort(a)
    xs = np.concatenate((rng.normal(size=50), a[:50], [-1e300, 1e300]))
    assert (sa.below(xs, inclusive=True) == np.searchsorted(ordered, xs, "right")).all()
    assert (sa.below(xs, inclusive=False) == np.searchsorted(ordered, xs, "left")).all()
    qs = np.concatenate((rng.uniform(size=50), [0.0, 1.0]))
    expected = ordered[np.clip(np.ceil(qs * a.size).astype(int) - 1, 0, a.size - 1)]
    np.testing.assert_array_equal(sa.quantiles(qs), expected)
    gathered = sa.gather(sa.quantile_buckets(qs))
    np.testing.assert_array_equal(sa.quantiles(qs, gathered), expected)
    assert sa.mean == pytest.approx(a.mean(), rel=1e-12)
    assert sa.std == pytest.approx(a.std(ddof=1), rel=1e-10)


def test_moments_stay_exact_far_from_the_layout() -> None:
    rng = np.random.default_rng(3)
    layout = BucketLayout.from_values(rng.normal(size=10_000))
    assert layout is not None
    far = rng.normal(1e9, 1e-3, size=10_000)  # mean^2 / var ~ 1e24: two-pass moments
    sf = BucketedSample.build(far, layout)
    assert sf is not None
    assert sf.mean == pytest.approx(far.mean(), rel=1e-15)
    assert sf.std == pytest.approx(far.std(ddof=1), rel=1e-6)


def test_degenerate_inputs() -> None:
    assert BucketLayout.from_values(np.full(1000, 3.0)) is None
    assert BucketLayout.from_values(np.array([])) is None
    layout = BucketLayout.from_values(np.linspace(-1e-300, 1e-300, 1000))
    assert layout is not None
    # values so far outside that t overflows: no bucketed answer, the caller sorts
    assert BucketedSample.build(np.array([1e308, -1e308]), layout) is None
    with pytest.raises(ValueError, match="n_buckets"):
        BucketLayout.from_values(np.arange(10.0), n_buckets=2)
    other = BucketLayout.from_values(np.arange(10.0) + 0.5, n_buckets=5)
    mine = BucketLayout.from_values(np.arange(10.0), n_buckets=5)
    assert other is not None
    assert mine is not None
    sa, sb = (
        BucketedSample.build(np.arange(10.0), mine),
        BucketedSample.build(np.arange(3.0), other),
    )
    assert sa is not None
    assert sb is not None
    with pytest.raises(ValueError, match="same layout"):
        ks_w1_bucketed(sa, sb)


def test_finite_values_drops_nan_and_infinities() -> None:
    x = np.array([1.0, np.nan, 2.0, np.inf, -np.inf, 3.0])
    np.testing.assert_array_equal(finite_values(x), [1.0, 2.0, 3.0])
    y = np.arange(5.0)
    assert finite_values(y) is y  # no copy when all are finite


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=30),
    st.floats(0, 3),
    st.floats(0, 3),
)
def test_wasserstein_bounds_hold_for_any_step_function(
    steps: list[float], up_a: float, up_b: float
) -> None:
    # d takes the given values on equal sub-intervals of [0, 1], clipped to [-up_b, up_a]
    d = np.clip(np.array(steps), -up_b, up_a)
    low, high = wasserstein_bounds(np.array([d.mean()]), np.array([up_a]), np.array([up_b]))
    true = float(np.abs(d).mean())
    assert low[0] - 1e-12 <= true <= high[0] + 1e-12
