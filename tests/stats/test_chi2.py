"""Chi-squared / G tests of homogeneity against scipy.stats.chi2_contingency, and pooling.

Tolerances: statistic and p-value to 1e-10 relative (identical formulas).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from driftline.exceptions import DataError, InsufficientDataError, ParameterError
from driftline.stats import chi2_homogeneity, g_test_homogeneity
from driftline.stats._chi2 import pool_sparse_categories


@pytest.mark.parametrize("k", [2, 3, 10, 50])
def test_matches_scipy_without_pooling(k: int) -> None:
    rng = np.random.default_rng(k)
    ref = rng.integers(20, 500, size=k)
    cur = rng.integers(20, 500, size=k)
    table = np.vstack((ref, cur))
    stat, p, dof, _ = st.chi2_contingency(table, correction=False)
    r = chi2_homogeneity(ref, cur)
    assert r.statistic == pytest.approx(stat, rel=1e-10)
    assert r.p_value == pytest.approx(p, rel=1e-10, abs=1e-300)
    assert r.dof == dof
    g_stat, g_p, _, _ = st.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    g = g_test_homogeneity(ref, cur)
    assert g.statistic == pytest.approx(g_stat, rel=1e-10)
    assert g.p_value == pytest.approx(g_p, rel=1e-10, abs=1e-300)
    assert r.method == "chi2"
    assert g.method == "g_test"


def test_pooling_equals_scipy_on_the_pooled_table() -> None:
    ref = np.array([500, 400, 20, 4, 3, 0])
    cur = np.array([450, 500, 25, 4, 2, 0])
    pooled = pool_sparse_categories(ref, cur)
    assert pooled.group.tolist() == [0, 1, 2, 3, 3, -1]
    assert pooled.other == 3
    assert pooled.n_pooled == 2
    stat, p, dof, expected = st.chi2_contingency(
        np.vstack((pooled.ref, pooled.cur)), correction=False
    )
    assert expected.min() >= 5
    r = chi2_homogeneity(ref, cur)
    assert r.statistic == pytest.approx(stat, rel=1e-10)
    assert r.dof == dof
    assert r.p_value == pytest.approx(p, rel=1e-10)


def test_still_sparse_other_is_merged_into_smallest_dense_category() -> None:
    pooled = pool_sparse_categories([90, 10, 1], [80, 20, 1])
    # 'other' (2 rows) would still be sparse -> merged into the 30-row category
    assert pooled.group.tolist() == [0, 1, 1]
    assert pooled.ref.tolist() == [90.0, 11.0]


def test_all_sparse_gives_no_evidence() -> None:
    r = chi2_homogeneity([1, 2, 1], [2, 1, 1])
    assert (r.statistic, r.p_value, r.dof) == (0.0, 1.0, 0)


def test_pooling_off_only_drops_empty_categories() -> None:
    r = chi2_homogeneity([10, 0, 3], [12, 0, 1], min_expected=None)
    stat, _, dof, _ = st.chi2_contingency([[10, 3], [12, 1]], correction=False)
    assert r.statistic == pytest.approx(stat, rel=1e-12)
    assert r.dof == dof


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(0, 200), hs.integers(0, 200)), min_size=1, max_size=30))
def test_properties(pairs: list[tuple[int, int]]) -> None:
    ref = np.array([p[0] for p in pairs], dtype=float)
    cur = np.array([p[1] for p in pairs], dtype=float)
    if ref.sum() == 0 or cur.sum() == 0:
        with pytest.raises(InsufficientDataError):
            chi2_homogeneity(ref, cur)
        return
    r = chi2_homogeneity(ref, cur)
    assert r.statistic >= 0
    assert 0 <= r.p_value <= 1
    swapped = chi2_homogeneity(cur, ref)
    assert swapped.statistic == pytest.approx(r.statistic, rel=1e-9, abs=1e-12)
    perm = np.random.default_rng(len(pairs)).permutation(ref.size)
    permuted = chi2_homogeneity(ref[perm], cur[perm])
    assert permuted.statistic == pytest.approx(r.statistic, rel=1e-9, abs=1e-12)
    same = chi2_homogeneity(ref, ref * 2)
    assert same.statistic == pytest.approx(0.0, abs=1e-9)
    assert same.p_value == pytest.approx(1.0)
    pooled = pool_sparse_categories(ref, cur)
    assert pooled.ref.sum() == ref.sum()
    assert pooled.cur.sum() == cur.sum()
    if pooled.ref.size > 1:
        col = pooled.ref + pooled.cur
        assert (col * min(ref.sum(), cur.sum()) / col.sum()).min() >= 5 - 1e-9


def test_validation() -> None:
    with pytest.raises(DataError, match="same number of bins"):
        chi2_homogeneity([1, 2], [1, 2, 3])
    with pytest.raises(DataError, match=">= 0"):
        chi2_homogeneity([1, -2], [1, 2])
    with pytest.raises(ParameterError, match="min_expected"):
        chi2_homogeneity([1, 2], [1, 2], min_expected=0)
