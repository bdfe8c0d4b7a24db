"""Tie-aware KS p-values against the permutation distribution enumerated in full."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from driftline.exceptions import DataError, ParameterError
from driftline.stats import ks_2samp, ks_from_sorted, ks_from_statistic, ks_pvalue
from driftline.stats._ks_pvalue import ks_exact_pvalue
from driftline.stats._ks_statistic import sup_diff_sorted
from driftline.stats._ks_ties import ks_ties_exact_pvalue, ks_ties_mc_pvalue, tie_blocks


def _enumerated(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """D and P(D* >= D) over every split of the pooled sample (the permutation null)."""
    pooled = np.sort(np.concatenate((a, b)))
    d = sup_diff_sorted(np.sort(a), np.sort(b))
    hits = total = 0
    for chosen in itertools.combinations(range(pooled.size), a.size):
        mask = np.zeros(pooled.size, dtype=bool)
        mask[list(chosen)] = True
        hits += sup_diff_sorted(pooled[mask], pooled[~mask]) >= d - 1e-12
        total += 1
    return d, hits / total


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 7),
    st.integers(2, 8),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
)
def test_exact_conditional_p_value_equals_full_enumeration(
    m: int, n: int, k: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, m).astype(float)
    b = (rng.integers(0, k, n) + rng.integers(0, 2)).astype(float)
    d, expected = _enumerated(a, b)
    got = ks_2samp(a, b, ties="conditional", method="exact")
    assert got.statistic == d
    assert got.p_value == pytest.approx(expected, abs=1e-12)


def test_without_ties_it_is_the_classical_exact_p_value() -> None:
    rng = np.random.default_rng(0)
    for m, n in [(50, 70), (300, 200), (1_000, 1_000)]:
        a, b = np.sort(rng.normal(size=m)), np.sort(rng.normal(0.1, size=n))
        d = sup_diff_sorted(a, b)
        blocks = tie_blocks(a, b)
        assert blocks.size == m + n
        assert ks_ties_exact_pvalue(d, m, n, blocks) == pytest.approx(
            ks_exact_pvalue(d, m, n)[0], rel=1e-12
        )
        assert ks_2samp(a, b, ties="conditional").p_value == ks_2samp(a, b).p_value


def test_monte_carlo_agrees_with_the_exact_value() -> None:
    rng = np.random.default_rng(1)
    a = rng.poisson(2.0, 400).astype(float)
    b = rng.poisson(2.15, 300).astype(float)
    sa, sb = np.sort(a), np.sort(b)
    d, blocks = sup_diff_sorted(sa, sb), tie_blocks(sa, sb)
    exact = ks_ties_exact_pvalue(d, a.size, b.size, blocks)
    mc = ks_ties_mc_pvalue(d, a.size, b.size, blocks, draws=20_000)
    assert mc == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-4)


def test_large_samples_use_the_monte_carlo_permutation_p_value() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 6, 30_000).astype(float)
    b = rng.integers(0, 6, 30_000).astype(float)
    r = ks_2samp(a, b, ties="conditional")
    assert r.method == "ks_permutation_ties"
    assert r.p_value <= sps.ks_2samp(a, b).pvalue
    assert ks_2samp(a, b, ties="conditional").p_value == r.p_value  # seeded


def test_tiny_continuous_p_values_are_the_valid_upper_bound() -> None:
    a = np.repeat([0.0, 1.0, 2.0], 300)
    b = np.repeat([1.0, 2.0, 3.0], 300)
    r = ks_2samp(a, b, ties="conditional")
    assert r.method == "ks_exact"
    assert r.p_value < 1e-10


def test_statistic_forms_agree() -> None:
    rng = np.random.default_rng(3)
    a, b = np.sort(rng.poisson(3, 200).astype(float)), np.sort(rng.poisson(3.4, 150).astype(float))
    full = ks_from_sorted(a, b, ties="conditional")
    counts = tie_blocks(a, b)
    assert ks_from_statistic(full.statistic, 200, 150, tie_counts=counts) == full
    assert ks_pvalue(full.statistic, 200, 150, tie_counts=counts) == full.p_value


def test_tie_counts_are_validated() -> None:
    with pytest.raises(DataError, match="sum to"):
        ks_pvalue(0.2, 10, 10, tie_counts=[5, 5])
    with pytest.raises(DataError, match="whole numbers"):
        ks_pvalue(0.2, 10, 10, tie_counts=[5.5, 14.5])
    with pytest.raises(ParameterError, match="ties"):
        ks_2samp([1.0, 2.0], [1.0, 3.0], ties="exact")  # type: ignore[arg-type]
