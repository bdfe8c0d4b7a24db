"""Multiple-testing corrections against scipy.stats.false_discovery_control (BH, 1e-12
relative) and against the step-down definition of Holm / Bonferroni written out here."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from driftline.exceptions import DataError, ParameterError
from driftline.stats import adjust_p_values, benjamini_hochberg
from driftline.stats._multitest import Correction, bonferroni, holm, reject

p_lists = hs.lists(hs.floats(0, 1, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None)
@given(p_lists)
def test_bh_matches_scipy(p: list[float]) -> None:
    expected = st.false_discovery_control(np.array(p), method="bh")
    assert benjamini_hochberg(p) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def _holm_reference(p: np.ndarray, alpha: float) -> np.ndarray:
    # step-down: reject p_(1..k) where k is the first i with p_(i) > alpha / (m - i + 1)
    m = p.size
    order = np.argsort(p)
    out = np.zeros(m, bool)
    for i, idx in enumerate(order):
        if p[idx] > alpha / (m - i):
            break
        out[idx] = True
    return out


def _bh_reference(p: np.ndarray, alpha: float) -> np.ndarray:
    # step-up: reject the k smallest where k = max{i : p_(i) <= i alpha / m}
    m = p.size
    order = np.argsort(p)
    ok = np.flatnonzero(p[order] <= np.arange(1, m + 1) * alpha / m)
    out = np.zeros(m, bool)
    if ok.size:
        out[order[: ok[-1] + 1]] = True
    return out


@settings(max_examples=100, deadline=None)
@given(p_lists, hs.sampled_from([0.01, 0.05, 0.1]))
def test_rejections_match_the_step_definitions(p: list[float], alpha: float) -> None:
    arr = np.array(p)
    # at exact ties with the boundary (e.g. p_(i) == i alpha / m) floating point may fall
    # either way, so ours must lie between the definitions at alpha (1 -/+ 1e-9)
    lo, hi = alpha * (1 - 1e-9), alpha * (1 + 1e-9)
    cases = [
        ("holm", _holm_reference),
        ("fdr_bh", _bh_reference),
        ("bonferroni", lambda x, a: x <= a / x.size),
    ]
    for method, reference in cases:
        ours = reject(arr, alpha=alpha, method=method)  # type: ignore[arg-type]
        assert np.all(reference(arr, lo) <= ours), method
        assert np.all(ours <= reference(arr, hi)), method
    # ordering of strictness: bonferroni <= holm <= bh (in rejections)
    bonf, hol, bh = bonferroni(arr), holm(arr), benjamini_hochberg(arr)
    assert np.all(bh <= hol + 1e-15)
    assert np.all(hol <= bonf + 1e-15)
    assert np.all((bh >= arr - 1e-15) & (bh <= 1))


def test_permutation_equivariance_and_dispatch() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=30) ** 3
    perm = rng.permutation(30)
    methods: tuple[Correction, ...] = ("fdr_bh", "bonferroni", "holm", "none")
    for method in methods:
        adj = adjust_p_values(p, method=method)
        assert adjust_p_values(p[perm], method=method) == pytest.approx(adj[perm])
    assert adjust_p_values([], method="fdr_bh").size == 0


def test_validation() -> None:
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.1, np.nan])
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        holm([1.5])
    with pytest.raises(ParameterError, match="'method'"):
        adjust_p_values([0.1], method="BH")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'alpha'"):
        reject([0.1], alpha=5)
