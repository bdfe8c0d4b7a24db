"""The two-proportions test against scipy, and Cohen's h."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from driftline.exceptions import DataError
from driftline.stats import cohens_h, two_proportions_test


@pytest.mark.parametrize(
    ("a", "n1", "c", "n2"), [(10, 100, 30, 120), (0, 1000, 50, 1000), (500, 900, 480, 1000)]
)
def test_chi2_matches_scipy(a: int, n1: int, c: int, n2: int) -> None:
    table = np.array([[a, n1 - a], [c, n2 - c]])
    expected = sps.chi2_contingency(table, correction=False)
    got = two_proportions_test(a, n1, c, n2)
    assert got.method == "chi2_2x2"
    assert got.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-10)


def test_small_expected_counts_use_fisher_exact() -> None:
    got = two_proportions_test(1, 40, 6, 40)
    assert got.method == "fisher_exact"
    assert got.p_value == pytest.approx(sps.fisher_exact([[1, 39], [6, 34]]).pvalue, rel=1e-12)


def test_nothing_to_test_and_bad_counts() -> None:
    assert two_proportions_test(0, 10, 0, 20).p_value == 1.0
    assert two_proportions_test(10, 10, 20, 20).p_value == 1.0
    with pytest.raises(DataError, match="k_cur"):
        two_proportions_test(1, 10, 30, 20)


def test_cohens_h() -> None:
    assert cohens_h(0.0, 0.01) == pytest.approx(0.2003, abs=1e-4)
    assert cohens_h(0.0, 0.5) == pytest.approx(math.pi / 2)
    assert cohens_h(0.5, 0.0) == pytest.approx(-math.pi / 2)
    with pytest.raises(DataError, match="p_cur"):
        cohens_h(0.1, 1.5)
