"""The public conformance checks pass on every driftline statistic and catch broken ones."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from numpy.typing import ArrayLike

from driftline import stats
from driftline.stats import TestResult
from driftline.stats._distances import jensen_shannon_divergence
from driftline.testing._stat_checks import (
    check_count_distance,
    check_sample_distance,
    check_two_sample_test,
)

RNG = np.random.default_rng(0)
REF = RNG.normal(size=300)
CUR = RNG.normal(0.2, 1.2, size=250)
REF_COUNTS = np.array([50, 30, 0, 12, 8])
CUR_COUNTS = np.array([40, 25, 10, 20, 0])


COUNT_DISTANCES = [
    stats.psi,
    jensen_shannon_divergence,
    stats.jensen_shannon_distance,
    stats.hellinger_distance,
    stats.total_variation_distance,
    stats.cramers_v,
]
SAMPLE_DISTANCES = [stats.wasserstein_distance, stats.normalized_wasserstein]
TWO_SAMPLE_TESTS = [
    (stats.ks_2samp, True),
    (partial(stats.ks_2samp, method="asymp"), True),
    (partial(stats.ks_2samp, ties="conditional"), True),
    (stats.cramervonmises_2samp, False),
    (lambda a, b: stats.anderson_ksamp([a, b]), False),
]
#: Public names that are not a distance or a two-sample test of (ref, cur), and why.
EXEMPT = {
    "TestResult": "the result type the checks inspect",
    "adjust_p_values": "multiple testing: tests/stats/test_multitest.py",
    "benjamini_hochberg": "multiple testing: tests/stats/test_multitest.py",
    "bin_counts": "binning: tests/stats/test_distances.py",
    "reference_bin_edges": "binning: tests/stats/test_distances.py",
    "chi2_homogeneity": "counts in, checked below on count pairs",
    "g_test_homogeneity": "counts in, checked below on count pairs",
    "two_proportions_test": "four counts in: tests/stats/test_proportions.py",
    "cohens_h": "two proportions in: tests/stats/test_proportions.py",
    "sd_ratio": "a ratio, not a distance (1 on identical samples): tests/stats/test_effects.py",
    "standardized_mean_difference": "signed: tests/stats/test_effects.py",
    "ks_from_sorted": "same kernel as ks_2samp: tests/stats/test_ks.py",
    "ks_from_cdfs": "sketch form: tests/stats/test_ks.py",
    "ks_from_weighted": "sketch form: tests/stats/test_ks.py",
    "ks_from_statistic": "statistic in: tests/stats/test_ks_ties.py",
    "ks_pvalue": "statistic in: tests/stats/test_ks.py",
    "ks_pvalue_interval": "statistic in: tests/stats/test_ks.py",
    "wasserstein_from_sorted": "same kernel as wasserstein_distance: tests/stats/test_distances.py",
    "wasserstein_from_quantiles": "quantiles in: tests/stats/test_distances.py",
}


def _name(fn: object) -> str:
    return getattr(getattr(fn, "func", fn), "__name__", "")


def test_every_public_statistic_is_checked_or_exempt_with_a_reason() -> None:
    checked = {_name(f) for f in COUNT_DISTANCES + SAMPLE_DISTANCES}
    checked |= {_name(t) for t, _ in TWO_SAMPLE_TESTS} | {"anderson_ksamp"}
    assert set(stats.__all__) == (checked & set(stats.__all__)) | set(EXEMPT)
    assert not set(EXEMPT) & checked


@pytest.mark.parametrize("test", [stats.chi2_homogeneity, stats.g_test_homogeneity])
def test_homogeneity_tests_conform_on_counts(test) -> None:  # type: ignore[no-untyped-def]
    r = test(REF_COUNTS, CUR_COUNTS)
    assert 0.0 <= r.p_value <= 1.0
    swapped = test(CUR_COUNTS, REF_COUNTS)
    assert swapped.statistic == pytest.approx(r.statistic, rel=1e-12)
    perm = np.random.default_rng(1).permutation(REF_COUNTS.size)
    assert test(REF_COUNTS[perm], CUR_COUNTS[perm]).statistic == pytest.approx(r.statistic)
    same = test(REF_COUNTS, REF_COUNTS * 2)
    assert same.statistic == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("distance", COUNT_DISTANCES)
def test_count_distances_conform(distance) -> None:  # type: ignore[no-untyped-def]
    upper = None if distance is stats.psi else 1.0
    check_count_distance(distance, REF_COUNTS, CUR_COUNTS, upper=upper)


@pytest.mark.parametrize("distance", SAMPLE_DISTANCES)
def test_sample_distances_conform(distance) -> None:  # type: ignore[no-untyped-def]
    check_sample_distance(distance, REF, CUR, symmetric=distance is stats.wasserstein_distance)


@pytest.mark.parametrize(("test", "zero"), TWO_SAMPLE_TESTS)
def test_two_sample_tests_conform(test, zero: bool) -> None:  # type: ignore[no-untyped-def]
    check_two_sample_test(test, REF, CUR, zero_on_identical=zero)


def _asymmetric(ref: ArrayLike, cur: ArrayLike) -> float:
    return stats.total_variation_distance(ref, cur) * (1.0 + float(np.asarray(ref)[0] > 45))


def _order_sensitive(ref: ArrayLike, cur: ArrayLike) -> float:
    a, b = np.asarray(ref, float), np.asarray(cur, float)
    if np.array_equal(np.sort(a), np.sort(b)):
        return 0.0
    return stats.wasserstein_distance(a, b) + float(abs(a[0]) + abs(b[0])) / 100.0


def _not_zero(ref: ArrayLike, cur: ArrayLike) -> float:
    return stats.total_variation_distance(ref, cur) + 0.01


def test_checks_catch_broken_statistics() -> None:
    with pytest.raises(AssertionError, match="symmetry"):
        check_count_distance(_asymmetric, REF_COUNTS, CUR_COUNTS)
    with pytest.raises(AssertionError, match="zero on identical"):
        check_count_distance(_not_zero, REF_COUNTS, CUR_COUNTS)
    with pytest.raises(AssertionError, match="bounds"):
        check_count_distance(
            lambda a, b: 2 * stats.total_variation_distance(a, b) + 0.0, [1, 0], [0, 1]
        )
    with pytest.raises(AssertionError, match="row order"):
        check_sample_distance(_order_sensitive, REF, CUR)

    def unsorted_ks(a: ArrayLike, b: ArrayLike) -> TestResult:
        x, y = np.asarray(a), np.asarray(b)
        d = abs(float(x[0] - y[0])) / 10
        return TestResult(min(d, 1.0), 0.5, "broken")

    with pytest.raises(AssertionError, match="row order"):
        check_two_sample_test(unsorted_ks, REF, CUR)

    def bad_p(a: ArrayLike, b: ArrayLike) -> TestResult:
        return TestResult(0.1, 1.5, "broken")

    with pytest.raises(AssertionError, match="p-value bounds"):
        check_two_sample_test(bad_p, REF, CUR)
