"""Cramér–von Mises and Anderson–Darling against scipy.

Tolerances: statistics to 1e-10 relative; CvM p-values to 1e-9 relative (the same series
and enumeration); AD p-values to 1e-9 relative (same interpolation and clipping).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from driftline.exceptions import DataError, InsufficientDataError, ParameterError
from driftline.stats import anderson_ksamp, cramervonmises_2samp
from driftline.stats._anderson import AD_P_VALUE_BOUNDS


@pytest.mark.parametrize(
    ("n1", "n2"), [(2, 2), (3, 8), (7, 5), (10, 10), (12, 20), (21, 25), (300, 400), (5000, 4000)]
)
@pytest.mark.parametrize("ties", [False, True])
def test_cvm_matches_scipy_auto(n1: int, n2: int, ties: bool) -> None:
    rng = np.random.default_rng(n1 * 31 + n2)
    a, b = rng.normal(size=n1), rng.normal(0.2, size=n2)
    if ties:
        a, b = a.round(0), b.round(0)
    ours = cramervonmises_2samp(a, b)
    ref = st.cramervonmises_2samp(a, b)
    assert ours.statistic == pytest.approx(float(ref.statistic), rel=1e-10, abs=1e-12)
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-15)
    assert ours.method == ("cvm_exact" if max(n1, n2) <= 20 else "cvm_asymptotic")


@pytest.mark.parametrize("method", ["exact", "asymptotic"])
def test_cvm_forced_methods_match_scipy(method: str) -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=9), rng.exponential(size=13)
    ours = cramervonmises_2samp(a, b, method=method)  # type: ignore[arg-type]
    ref = st.cramervonmises_2samp(a, b, method=method)
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)


def test_cvm_detects_shift_and_validates() -> None:
    rng = np.random.default_rng(12)
    assert cramervonmises_2samp(rng.normal(size=2000), rng.normal(0.3, size=2000)).p_value < 1e-6
    with pytest.raises(InsufficientDataError, match="at least 2"):
        cramervonmises_2samp([1.0], [1.0, 2.0])
    with pytest.raises(ParameterError, match="'method'"):
        cramervonmises_2samp([1.0, 2.0], [1.0, 2.0], method="asymp")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"'exact'.*asymptotic"):
        cramervonmises_2samp(np.arange(40.0), np.arange(30.0), method="exact")


def _scipy_ad(samples: list[np.ndarray]) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = st.anderson_ksamp(samples)
    return float(r.statistic), float(r.pvalue)


@pytest.mark.parametrize(("n1", "n2"), [(3, 3), (10, 17), (50, 80), (400, 300), (20000, 15000)])
@pytest.mark.parametrize("shift", [0.0, 0.15, 0.6])
def test_anderson_matches_scipy_two_samples(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 + 3 * n2)
    a, b = rng.normal(size=n1).round(1), rng.normal(shift, size=n2).round(1)
    stat, p = _scipy_ad([a, b])
    ours = anderson_ksamp([a, b])
    assert ours.statistic == pytest.approx(stat, rel=1e-10, abs=1e-12)
    assert ours.p_value == pytest.approx(p, rel=1e-9)
    assert ours.p_value_bounds == AD_P_VALUE_BOUNDS
    assert AD_P_VALUE_BOUNDS[0] <= ours.p_value <= AD_P_VALUE_BOUNDS[1]


def test_anderson_matches_scipy_k_samples() -> None:
    rng = np.random.default_rng(13)
    samples = [rng.normal(0.1 * i, size=60 + 10 * i) for i in range(4)]
    stat, p = _scipy_ad(samples)
    ours = anderson_ksamp(samples)
    assert ours.statistic == pytest.approx(stat, rel=1e-10)
    assert ours.p_value == pytest.approx(p, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    hs.lists(hs.integers(-5, 5), min_size=2, max_size=40),
    hs.lists(hs.integers(-5, 5), min_size=2, max_size=40),
)
def test_anderson_properties(a: list[int], b: list[int]) -> None:
    x, y = np.array(a, dtype=float), np.array(b, dtype=float)
    if np.unique(np.concatenate((x, y))).size < 2:
        with pytest.raises(InsufficientDataError):
            anderson_ksamp([x, y])
        return
    r = anderson_ksamp([x, y])
    assert anderson_ksamp([y, x]).statistic == pytest.approx(r.statistic, rel=1e-9, abs=1e-12)
    assert anderson_ksamp([x[::-1], y[::-1]]).statistic == pytest.approx(r.statistic, abs=1e-12)
    assert 0.001 <= r.p_value <= 0.25


def test_anderson_validation() -> None:
    with pytest.raises(InsufficientDataError, match="at least 2 samples"):
        anderson_ksamp([[1.0, 2.0, 3.0]])
    with pytest.raises(DataError, match="1-D"):
        anderson_ksamp(np.array([1.0, 2.0, 3.0, 4.0]))  # type: ignore[arg-type]
