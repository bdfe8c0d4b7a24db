"""KS two-sample test: reference tests against scipy.stats.ks_2samp, variants, error bound.

Tolerances: statistic to 1e-12 absolute (ours is exact integer arithmetic over
n_ref * n_cur, scipy's is floating point); p-values to 1e-9 relative (same formulas,
different summation order), plus 1e-300 absolute for underflow.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from driftline.exceptions import DataError, ParameterError
from driftline.stats import (
    ks_2samp,
    ks_from_cdfs,
    ks_from_sorted,
    ks_from_weighted,
    ks_pvalue,
    ks_pvalue_interval,
)
from driftline.stats._ks import ks_statistic_error_bound
from driftline.stats._ks_pvalue import KSTWO_MAX_N
from driftline.stats._ks_statistic import (
    PRUNE_STEP,
    _sup_diff_merge,
    _sup_diff_pruned,
    _sup_diff_search,
    last_of_runs,
)

STAT_ATOL = 1e-12
P_RTOL = 1e-9
P_ATOL = 1e-300


def _assert_matches_scipy(a: np.ndarray, b: np.ndarray, method: str) -> None:
    ours = ks_2samp(a, b, method=method)  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        ref = st.ks_2samp(a, b, method=method)
    assert ours.statistic == pytest.approx(float(ref.statistic), abs=STAT_ATOL)
    if any("Exact calculation unsuccessful" in str(w.message) for w in caught):
        # scipy's exact sum rounded above 1 and it fell back to asymp; driftline stays
        # exact and clips, so compare with the exact value (1 up to rounding)
        assert ours.method == "ks_exact"
        assert ours.p_value == pytest.approx(1.0, abs=1e-12)
        return
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=P_RTOL, abs=P_ATOL)


@pytest.mark.parametrize(
    ("n1", "n2"),
    [(1, 1), (1, 7), (5, 7), (10, 10), (30, 45), (64, 48), (200, 333), (1000, 1000), (1500, 997)],
)
@pytest.mark.parametrize("method", ["auto", "exact", "asymp"])
def test_matches_scipy_continuous(n1: int, n2: int, method: str) -> None:
    if method == "asymp" and n1 == n2 == 1:
        return  # scipy's kstwo at round(0.5) = 0 is NaN: see test_asymp_tiny_effective_size
    rng = np.random.default_rng(n1 * 7919 + n2)
    _assert_matches_scipy(rng.normal(size=n1), rng.normal(0.2, 1.1, size=n2), method)


def test_asymp_tiny_effective_size() -> None:
    # n_eff = 0.5 rounds to 0 in scipy (p = NaN); driftline uses n_eff = 1 (finite p)
    r = ks_2samp([0.0], [1.0], method="asymp")
    assert r.p_value == pytest.approx(float(st.kstwo.sf(1.0, 1)), abs=1e-15)
    assert ks_2samp([0.0], [1.0], method="exact").p_value == 1.0


@pytest.mark.parametrize(("n1", "n2"), [(20, 30), (300, 200), (2000, 2500)])
@pytest.mark.parametrize("method", ["exact", "asymp"])
def test_matches_scipy_with_ties(n1: int, n2: int, method: str) -> None:
    rng = np.random.default_rng(n1 + n2)
    a = rng.integers(0, 8, size=n1).astype(float)
    b = rng.integers(0, 9, size=n2).astype(float)
    _assert_matches_scipy(a, b, method)


def test_matches_scipy_exact_for_tiny_p_values() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=3000), rng.normal(0.5, size=4000)
    _assert_matches_scipy(a, b, "exact")
    assert ks_2samp(a, b, method="exact").p_value < 1e-40


def test_auto_switches_to_asymp_above_10000() -> None:
    rng = np.random.default_rng(4)
    small = ks_2samp(rng.normal(size=10_000), rng.normal(size=500))
    large = ks_2samp(rng.normal(size=10_001), rng.normal(size=500))
    assert small.method == "ks_exact"
    assert large.method == "ks_asymp"


def test_large_samples_match_scipy() -> None:
    # n_eff = 9,677 <= KSTWO_MAX_N: scipy's kstwo is used, so p-values match to 1e-9
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(size=50_000), rng.lognormal(0.03, size=12_000)
    _assert_matches_scipy(a, b, "auto")


def test_very_large_samples_use_corrected_kolmogorov_limit() -> None:
    # n_eff = 85,714 > KSTWO_MAX_N: statistic exact, p-value within the documented 1e-3
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(size=200_000), rng.lognormal(0.01, size=150_000)
    ours = ks_2samp(a, b)
    ref = st.ks_2samp(a, b)
    assert ours.statistic == pytest.approx(float(ref.statistic), abs=STAT_ATOL)
    assert ref.pvalue > 1e-4
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-3)


@pytest.mark.parametrize(
    ("target", "rel"),
    [(0.5, 1e-3), (1e-2, 1e-3), (1e-4, 1e-3), (1e-6, 3e-3), (1e-12, 1e-2), (1e-20, 3e-2)],
)
def test_asymp_approximation_error_at_the_switch_point(target: float, rel: float) -> None:
    # the worst case is the smallest n_eff that uses the approximation
    n_eff = KSTWO_MAX_N + 1
    d = float(st.kstwobign.isf(target)) / np.sqrt(n_eff)
    expected = float(st.kstwo.sf(d, n_eff))
    assert ks_pvalue(d, 2 * n_eff, 2 * n_eff, method="asymp") == pytest.approx(expected, rel=rel)


def test_sorted_variant_equals_raw() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=999), rng.normal(size=1234)
    r1 = ks_2samp(a, b)
    r2 = ks_from_sorted(np.sort(a), np.sort(b))
    assert r1 == r2


def test_sorted_variant_rejects_unsorted_input() -> None:
    with pytest.raises(DataError, match="sorted"):
        ks_from_sorted([3.0, 1.0, 2.0], [1.0, 2.0])


def test_cdf_variant_on_union_grid_equals_exact() -> None:
    rng = np.random.default_rng(7)
    a = np.sort(rng.normal(size=400))
    b = np.sort(rng.normal(0.1, size=300))
    grid = np.union1d(a, b)
    f1 = np.searchsorted(a, grid, side="right") / a.size
    f2 = np.searchsorted(b, grid, side="right") / b.size
    r = ks_from_cdfs(f1, f2, a.size, b.size)
    exact = ks_2samp(a, b)
    assert r.statistic == pytest.approx(exact.statistic, abs=STAT_ATOL)
    assert r.p_value == pytest.approx(exact.p_value, rel=P_RTOL)


def test_cdf_variant_effective_sizes_use_kstwo() -> None:
    r = ks_from_cdfs([0.2, 0.6, 1.0], [0.1, 0.5, 1.0], 1234.5, 987.25)
    en = 1234.5 * 987.25 / (1234.5 + 987.25)
    assert r.method == "ks_asymp"
    assert r.p_value == pytest.approx(float(st.kstwo.sf(0.1, round(en))), rel=1e-12)


def test_weighted_variant_with_unit_weights_equals_exact() -> None:
    rng = np.random.default_rng(8)
    a = rng.integers(0, 30, size=500).astype(float)
    b = rng.integers(2, 33, size=400).astype(float)
    r = ks_from_weighted(a, np.ones_like(a), b, np.ones_like(b))
    exact = ks_2samp(a, b)
    assert r.statistic == pytest.approx(exact.statistic, abs=STAT_ATOL)
    assert r.p_value == pytest.approx(exact.p_value, rel=P_RTOL)


def test_weighted_variant_counts_equal_repeated_rows() -> None:
    values_a, counts_a = np.array([1.0, 2.5, 4.0]), np.array([3, 1, 6])
    values_b, counts_b = np.array([0.5, 2.5, 5.0]), np.array([2, 5, 2])
    r = ks_from_weighted(values_a, counts_a, values_b, counts_b)
    raw = ks_2samp(np.repeat(values_a, counts_a), np.repeat(values_b, counts_b))
    assert r.statistic == pytest.approx(raw.statistic, abs=STAT_ATOL)
    assert r.p_value == pytest.approx(raw.p_value, rel=P_RTOL)
    assert r.n_ref == 10
    assert r.n_cur == 9


def test_weighted_variant_n_override() -> None:
    r = ks_from_weighted([1.0, 2.0], [1, 1], [1.5, 2.5], [1, 1], n_ref=5000, n_cur=4000)
    assert r.n_ref == 5000
    assert r.n_cur == 4000
    assert r.p_value == pytest.approx(ks_pvalue(r.statistic, 5000, 4000), rel=1e-12)


def _compactor_sketch(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Every k-th order statistic with weight k: a summary with rank error < k / n."""
    s = np.sort(x)
    n = s.size
    items = s[k - 1 :: k]
    weights = np.full(items.size, float(k))
    rem = n - k * items.size
    if rem:
        items = np.append(items, s[-1])
        weights = np.append(weights, float(rem))
    return items, weights, k / n


@pytest.mark.parametrize("seed", range(5))
def test_error_bound_holds_for_sketch_based_ks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=20_000)
    b = rng.normal(0.05 * seed, size=15_000)
    ia, wa, ea = _compactor_sketch(a, 50 + 10 * seed)
    ib, wb, eb = _compactor_sketch(b, 37)
    sketch = ks_from_weighted(ia, wa, ib, wb)
    exact = ks_2samp(a, b)
    bound = ks_statistic_error_bound(ea, eb)
    assert abs(sketch.statistic - exact.statistic) <= bound
    lo, hi = ks_pvalue_interval(sketch.statistic, ea, eb, a.size, b.size)
    assert lo <= exact.p_value <= hi


@settings(max_examples=40, deadline=None)
@given(
    hs.integers(100, 3000),
    hs.integers(100, 3000),
    hs.integers(2, 60),
    hs.integers(2, 60),
    hs.integers(0, 2**31),
)
def test_error_bound_property(n1: int, n2: int, k1: int, k2: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n1).round(2)
    b = rng.normal(rng.uniform(-0.3, 0.3), size=n2).round(2)
    ia, wa, ea = _compactor_sketch(a, min(k1, n1))
    ib, wb, eb = _compactor_sketch(b, min(k2, n2))
    d_sketch = ks_from_weighted(ia, wa, ib, wb).statistic
    d = ks_2samp(a, b).statistic
    assert abs(d_sketch - d) <= ks_statistic_error_bound(ea, eb) + 1e-12


def test_error_bound_validation_and_cap() -> None:
    assert ks_statistic_error_bound(0.7, 0.6) == 1.0
    with pytest.raises(ParameterError, match="eps_ref"):
        ks_statistic_error_bound(-0.1, 0.0)


samples = hs.lists(
    hs.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 1)), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_properties_against_scipy(a: list[float], b: list[float]) -> None:
    x, y = np.array(a), np.array(b)
    r = ks_2samp(x, y)
    assert 0.0 <= r.statistic <= 1.0
    assert 0.0 <= r.p_value <= 1.0
    swapped = ks_2samp(y, x)
    assert swapped.statistic == r.statistic
    assert swapped.p_value == pytest.approx(r.p_value, rel=1e-12)
    assert ks_2samp(x[::-1], y[::-1]) == r
    same = ks_2samp(x, x)
    assert same.statistic == 0.0
    assert same.p_value == 1.0
    _assert_matches_scipy(x, y, "auto")


def test_validation_messages() -> None:
    with pytest.raises(ParameterError, match=r"'method'.*'auto'.*Got 'fast'"):
        ks_2samp([1.0], [2.0], method="fast")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="NaN"):
        ks_2samp([1.0, np.nan], [2.0])
    with pytest.raises(DataError, match="at least 1"):
        ks_2samp([], [2.0])
    with pytest.raises(DataError, match="same grid"):
        ks_from_cdfs([0.5, 1.0], [1.0], 10, 10)
    with pytest.raises(DataError, match="non-decreasing"):
        ks_from_cdfs([0.5, 0.4], [0.1, 1.0], 10, 10)
    with pytest.raises(ParameterError, match="n_ref"):
        ks_from_cdfs([0.5, 1.0], [0.4, 1.0], 0, 10)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        ks_pvalue(1.5, 10, 10)


@settings(max_examples=150, deadline=None)
@given(
    hs.integers(1, 400),
    hs.integers(1, 400),
    hs.integers(1, 16),
    hs.sampled_from([0, 1, 2]),
    hs.floats(-1, 1),
    hs.integers(0, 2**31),
)
def test_statistic_kernels_agree(
    n1: int, n2: int, step: int, decimals: int, shift: float, seed: int
) -> None:
    # the three exact kernels must give the same integer, ties or not
    rng = np.random.default_rng(seed)
    a = np.sort(rng.normal(size=n1).round(decimals) if decimals else rng.normal(size=n1))
    b = np.sort(
        rng.normal(shift, size=n2).round(decimals) if decimals else rng.normal(shift, size=n2)
    )
    merged = _sup_diff_merge(a, b)
    assert _sup_diff_search(a, b, last_of_runs(a), last_of_runs(b)) == merged
    pruned = _sup_diff_pruned(a, b, step)
    assert pruned is None or pruned == merged


@pytest.mark.parametrize("shift", [0.0, 0.002, 0.3])
def test_pruned_kernel_on_large_samples(shift: float) -> None:
    rng = np.random.default_rng(9)
    a = np.sort(rng.normal(size=300_000))
    b = np.sort(rng.normal(shift, size=200_000))
    assert _sup_diff_pruned(a, b, PRUNE_STEP) == _sup_diff_merge(a, b)


def test_from_sorted_without_validation_gives_the_same_result() -> None:
    import numpy as np

    from driftline.stats import ks_from_sorted, wasserstein_from_sorted

    rng = np.random.default_rng(7)
    a, b = np.sort(rng.normal(size=3_000)), np.sort(rng.normal(0.1, size=2_000))
    assert ks_from_sorted(a, b, validate=False) == ks_from_sorted(a, b)
    assert wasserstein_from_sorted(a, b, validate=False) == wasserstein_from_sorted(a, b)
