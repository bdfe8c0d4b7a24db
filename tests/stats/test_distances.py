"""Distances on count vectors, Wasserstein, and reference binning.

Reference tests: Jensen–Shannon against scipy.spatial.distance.jensenshannon (base 2) and
Wasserstein against scipy.stats.wasserstein_distance, to 1e-12 relative; PSI, Hellinger
and total variation against their textbook formulas written out here, to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy.spatial.distance import jensenshannon

from driftline.exceptions import DataError, ParameterError
from driftline.stats import (
    bin_counts,
    hellinger_distance,
    jensen_shannon_distance,
    normalized_wasserstein,
    psi,
    reference_bin_edges,
    total_variation_distance,
    wasserstein_distance,
    wasserstein_from_quantiles,
    wasserstein_from_sorted,
)
from driftline.stats._distances import jensen_shannon_divergence
from driftline.stats._wasserstein import reference_scale

BOUNDED = [
    jensen_shannon_divergence,
    jensen_shannon_distance,
    hellinger_distance,
    total_variation_distance,
]


@pytest.mark.parametrize("seed", range(5))
def test_jensen_shannon_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.integers(0, 50, size=12).astype(float)
    q = rng.integers(0, 50, size=12).astype(float)
    p[0], q[1] = 0.0, 0.0  # empty bins on one side
    expected = float(jensenshannon(p, q, base=2))
    assert jensen_shannon_distance(p, q) == pytest.approx(expected, rel=1e-12)
    assert jensen_shannon_divergence(p, q) == pytest.approx(expected**2, rel=1e-12)


def test_textbook_formulas() -> None:
    p = np.array([0.5, 0.3, 0.2])
    q = np.array([0.4, 0.3, 0.3])
    assert psi(p, q, epsilon=0) == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-12)
    assert hellinger_distance(p, q) == pytest.approx(
        float(np.sqrt(1 - np.sum(np.sqrt(p * q)))), rel=1e-12
    )
    assert total_variation_distance(p, q) == pytest.approx(0.1, rel=1e-12)
    # counts and proportions give the same value
    assert psi(p * 1000, q * 70) == pytest.approx(psi(p, q), rel=1e-12)


def test_psi_smoothing_is_documented_formula() -> None:
    p, q, eps = np.array([10.0, 0.0, 5.0]), np.array([3.0, 6.0, 6.0]), 1e-4
    ps = (p / p.sum() + eps) / (1 + 3 * eps)
    qs = (q / q.sum() + eps) / (1 + 3 * eps)
    assert psi(p, q, epsilon=eps) == pytest.approx(float(np.sum((qs - ps) * np.log(qs / ps))))
    assert psi(p, q, epsilon=0) == np.inf
    with pytest.raises(ParameterError, match="epsilon"):
        psi(p, q, epsilon=-1)


def test_disjoint_supports_hit_the_upper_bound() -> None:
    for fn in BOUNDED:
        assert fn([3, 0, 0], [0, 2, 5]) == pytest.approx(1.0, abs=1e-12)


counts = hs.lists(hs.integers(0, 1000), min_size=1, max_size=25)


@settings(max_examples=80, deadline=None)
@given(counts, counts, hs.integers(0, 2**31))
def test_properties(a: list[int], b: list[int], seed: int) -> None:
    k = min(len(a), len(b))
    p, q = np.array(a[:k], float), np.array(b[:k], float)
    if p.sum() == 0 or q.sum() == 0:
        return
    perm = np.random.default_rng(seed).permutation(k)
    for fn in [*BOUNDED, psi]:
        d = fn(p, q)
        assert d >= 0
        if fn is not psi:
            assert d <= 1
        assert fn(q, p) == pytest.approx(d, rel=1e-9, abs=1e-12)
        assert fn(p[perm], q[perm]) == pytest.approx(d, rel=1e-9, abs=1e-12)
        assert fn(p, 3 * p) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("n1", "n2"), [(1, 1), (10, 10), (100, 77), (5000, 3001)])
def test_wasserstein_matches_scipy(n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.lognormal(size=n1), rng.normal(1, 2, size=n2).round(1)
    expected = float(st.wasserstein_distance(a, b))
    assert wasserstein_distance(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    sorted_w = wasserstein_from_sorted(np.sort(a), np.sort(b))
    assert sorted_w == pytest.approx(expected, rel=1e-12, abs=1e-15)
    if n1 > 1:
        with pytest.raises(DataError, match="sorted"):
            wasserstein_from_sorted(a[::-1] if a[0] < a[-1] else a, np.sort(b))


@settings(max_examples=60, deadline=None)
@given(
    hs.lists(hs.floats(-100, 100, allow_nan=False), min_size=1, max_size=50),
    hs.lists(hs.floats(-100, 100, allow_nan=False), min_size=1, max_size=50),
)
def test_wasserstein_properties(a: list[float], b: list[float]) -> None:
    x, y = np.array(a), np.array(b)
    d = wasserstein_distance(x, y)
    assert d == pytest.approx(float(st.wasserstein_distance(x, y)), rel=1e-9, abs=1e-9)
    assert wasserstein_distance(y, x) == pytest.approx(d, rel=1e-12, abs=1e-12)
    assert wasserstein_distance(x[::-1], y) == pytest.approx(d, rel=1e-12, abs=1e-12)
    assert wasserstein_distance(x, x) == 0.0


def test_normalized_wasserstein_is_shift_in_sd_units() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(5, 3, size=4000)
    sd = ref.std(ddof=1)
    assert normalized_wasserstein(ref, ref + 0.25 * sd) == pytest.approx(0.25, rel=1e-9)
    q1, q3 = np.quantile(ref, [0.25, 0.75])
    assert normalized_wasserstein(ref, ref + 0.5, scale="iqr") == pytest.approx(
        0.5 / (q3 - q1), rel=1e-9
    )
    assert normalized_wasserstein([2.0, 2.0], [2.0, 2.0]) == 0.0
    assert normalized_wasserstein([2.0, 2.0], [3.0]) == np.inf
    assert reference_scale([1.0, 3.0]) == pytest.approx(np.sqrt(2.0))


def test_wasserstein_from_quantiles() -> None:
    rng = np.random.default_rng(2)
    a, b = np.sort(rng.normal(size=500)), np.sort(rng.normal(0.4, size=500))
    # equal-size sorted samples are their own quantile functions at (i + 0.5) / n
    assert wasserstein_from_quantiles(a, b) == pytest.approx(
        float(st.wasserstein_distance(a, b)), rel=1e-12
    )
    # a quantile grid (what a sketch gives) approximates the sample distance
    probs = np.linspace(0.005, 0.995, 199)
    approx = wasserstein_from_quantiles(
        np.quantile(a, probs), np.quantile(b, probs), probabilities=probs
    )
    assert approx == pytest.approx(float(st.wasserstein_distance(a, b)), rel=0.05)
    with pytest.raises(DataError, match="strictly increasing"):
        wasserstein_from_quantiles([1.0, 2.0], [1.0, 2.0], probabilities=[0.5, 0.5])
    with pytest.raises(DataError, match="same probabilities"):
        wasserstein_from_quantiles([1.0, 2.0], [1.0])


def test_reference_bins() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=10_000)
    edges = reference_bin_edges(ref, n_bins=10)
    assert edges.size == 9
    counts = bin_counts(ref, edges)
    assert counts.sum() == ref.size
    assert np.all(np.abs(counts - 1000) <= 1)
    # values outside the reference range land in the open-ended outer bins
    assert bin_counts([-1e9, 1e9], edges).tolist() == [1] + [0] * 8 + [1]
    # same counts as numpy.histogram with the outer edges opened (right-closed bins)
    cur = rng.normal(0.3, size=5_000)
    manual = np.array(
        [
            np.sum((cur > lo) & (cur <= hi))
            for lo, hi in zip(np.r_[-np.inf, edges], np.r_[edges, np.inf], strict=True)
        ]
    )
    assert bin_counts(cur, edges).tolist() == manual.tolist()


def test_reference_bins_with_ties_and_constants() -> None:
    ref = np.r_[np.zeros(900), np.arange(1.0, 101.0)]
    edges = reference_bin_edges(ref, n_bins=10)
    assert edges[0] == 0.0
    assert np.all(np.diff(edges) > 0)
    assert reference_bin_edges(np.full(50, 7.0)).tolist() == [7.0]
    with pytest.raises(ParameterError, match="n_bins"):
        reference_bin_edges(ref, n_bins=1)
    with pytest.raises(ParameterError, match="increasing"):
        bin_counts([1.0], [2.0, 1.0])
