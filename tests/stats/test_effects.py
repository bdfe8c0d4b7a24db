"""Effect sizes and explanation phrases.

Reference: Cramér's V against scipy.stats.contingency.association (1e-12 relative);
standardized mean difference and sd ratio against the formulas written out with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy.stats.contingency import association

from driftline.exceptions import ParameterError
from driftline.stats import cramers_v, sd_ratio, standardized_mean_difference
from driftline.stats._effects import sd_ratio_from_moments, share_differences, smd_from_moments


def test_smd_glass_and_cohen() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 2, size=300), rng.normal(10.6, 3, size=200)
    s1, s2 = a.std(ddof=1), b.std(ddof=1)
    glass = (b.mean() - a.mean()) / s1
    pooled = np.sqrt(((a.size - 1) * s1**2 + (b.size - 1) * s2**2) / (a.size + b.size - 2))
    assert standardized_mean_difference(a, b) == pytest.approx(glass, rel=1e-12)
    assert standardized_mean_difference(a, b, kind="cohen") == pytest.approx(
        (b.mean() - a.mean()) / pooled, rel=1e-12
    )
    assert sd_ratio(a, b) == pytest.approx(s2 / s1, rel=1e-12)


def test_smd_recovers_the_injected_shift_of_the_standard_data_set() -> None:
    from driftline.testing import make_monitoring_data

    ref, cur = make_monitoring_data(20_000, seed=0, drift=True)
    assert standardized_mean_difference(ref["num_00"], cur["num_00"]) == pytest.approx(
        0.3, abs=0.05
    )
    assert sd_ratio(ref["num_10"], cur["num_10"]) == pytest.approx(1.5, abs=0.05)
    assert abs(standardized_mean_difference(ref["num_01"], cur["num_01"])) < 0.05


def test_zero_sd_edge_cases() -> None:
    assert smd_from_moments(1.0, 0.0, 10, 1.0, 0.0, 10) == 0.0
    assert smd_from_moments(1.0, 0.0, 10, 2.0, 0.0, 10) == np.inf
    assert smd_from_moments(1.0, 0.0, 10, 0.0, 0.0, 10) == -np.inf
    assert sd_ratio_from_moments(0.0, 0.0) == 1.0
    assert sd_ratio_from_moments(0.0, 1.0) == np.inf
    with pytest.raises(ParameterError, match="'kind'"):
        smd_from_moments(0, 1, 2, 0, 1, 2, kind="hedges")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="sd_ref"):
        smd_from_moments(0, -1, 2, 0, 1, 2)


@pytest.mark.parametrize("seed", range(4))
def test_cramers_v_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref, cur = rng.integers(1, 300, size=8), rng.integers(1, 300, size=8)
    expected = association(np.vstack((ref, cur)), method="cramer")
    assert cramers_v(ref, cur) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(0, 100), hs.integers(0, 100)), min_size=1, max_size=20))
def test_cramers_v_and_shares_properties(pairs: list[tuple[int, int]]) -> None:
    ref = np.array([p[0] for p in pairs], float)
    cur = np.array([p[1] for p in pairs], float)
    if ref.sum() == 0 or cur.sum() == 0:
        return
    v = cramers_v(ref, cur)
    assert 0 <= v <= 1
    assert cramers_v(cur, ref) == pytest.approx(v, rel=1e-9, abs=1e-12)
    assert cramers_v(ref, 2 * ref) == pytest.approx(0.0, abs=1e-7)
    d = share_differences(ref, cur)
    assert d.sum() == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.abs(d) <= 1)
    assert share_differences(cur, ref) == pytest.approx(-d)
