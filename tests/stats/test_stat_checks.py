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


@pytest.mark.parametrize(
    "distance",
    [
        stats.psi,
        jensen_shannon_divergence,
        stats.jensen_shannon_distance,
        stats.hellinger_distance,
        stats.total_variation_distance,
        stats.cramers_v,
    ],
)
def test_count_distances_conform(distance) -> None:  # type: ignore[no-untyped-def]
    upper = None if distance is stats.psi else 1.0
    check_count_distance(distance, REF_COUNTS, CUR_COUNTS, upper=upper)


def test_sample_distances_conform() -> None:
    check_sample_distance(stats.wasserstein_distance, REF, CUR)
    check_sample_distance(stats.normalized_wasserstein, REF, CUR, symmetric=False)


@pytest.mark.parametrize(
    ("test", "zero"),
    [
        (stats.ks_2samp, True),
        (partial(stats.ks_2samp, method="asymp"), True),
        (stats.cramervonmises_2samp, False),
        (lambda a, b: stats.anderson_ksamp([a, b]), False),
    ],
)
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
