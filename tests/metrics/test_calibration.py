"""Calibration metrics against scikit-learn and direct loop references."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from driftline.metrics import (
    brier_decomposition,
    expected_calibration_error,
    maximum_calibration_error,
    reliability_curve,
)
from driftline.metrics._calibration import assign_bins


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = rng.random(3000)
    y = (rng.random(3000) < p**1.3).astype(int)
    return y, p


def ref_ece(y: np.ndarray, p: np.ndarray, bins: np.ndarray) -> tuple[float, float]:
    ece, mce = 0.0, 0.0
    for b in np.unique(bins):
        m = bins == b
        gap = abs(y[m].mean() - p[m].mean())
        ece += m.mean() * gap
        mce = max(mce, gap)
    return ece, mce


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_ece_mce_match_loop_reference(data, strategy: str) -> None:  # type: ignore[no-untyped-def]
    y, p = data
    bins = assign_bins(p, 15, strategy)  # type: ignore[arg-type]
    ece, mce = ref_ece(y, p, bins)
    e = expected_calibration_error(y, p, strategy=strategy, n_resamples=300, random_state=0)  # type: ignore[arg-type]
    m = maximum_calibration_error(y, p, strategy=strategy, n_resamples=300, random_state=0)  # type: ignore[arg-type]
    assert abs(e.value - ece) < 1e-12
    assert abs(m.value - mce) < 1e-12
    assert e.ci_low <= e.value <= e.ci_high
    assert m.value >= e.value


def test_adaptive_bins_are_equal_mass(data) -> None:  # type: ignore[no-untyped-def]
    _, p = data
    counts = np.bincount(assign_bins(p, 7, "quantile"))
    assert counts.max() - counts.min() <= 1


def test_reliability_curve_uniform_equals_sklearn(data) -> None:  # type: ignore[no-untyped-def]
    y, p = data
    c = reliability_curve(y, p, n_bins=10, strategy="uniform")
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(c.observed_rate, prob_true, atol=1e-12)
    np.testing.assert_allclose(c.mean_predicted, prob_pred, atol=1e-12)
    assert (c.observed_low <= c.observed_rate).all()
    assert (c.observed_rate <= c.observed_high).all()
    assert c.count.sum() == y.size
    assert set(c.to_dict()) >= {"mean_predicted", "observed_rate", "count"}


def test_brier_decomposition(data) -> None:  # type: ignore[no-untyped-def]
    y, p = data
    d = brier_decomposition(y, p, n_resamples=200, random_state=0)
    assert abs(d.brier.value - brier_score_loss(y, p)) < 1e-12
    total = d.reliability.value - d.resolution.value + d.uncertainty.value + d.within_bin
    assert abs(total - d.brier.value) < 1e-12
    assert abs(d.within_bin) < 0.01
    assert abs(d.uncertainty.value - y.mean() * (1 - y.mean())) < 1e-12
    # forecasts constant within bins: the Murphy identity is exact
    pc = np.round(p, 1)
    dc = brier_decomposition(y, pc, n_bins=11, strategy="uniform", n_resamples=50, random_state=0)
    assert abs(dc.within_bin) < 1e-12


def test_multiclass_top_label() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 500)
    prob = rng.dirichlet([2, 2, 2], 500)
    conf = prob.max(1)
    correct = (prob.argmax(1) == y).astype(int)
    a = expected_calibration_error(y, prob, n_resamples=50, random_state=0)
    b = expected_calibration_error(correct, conf, n_resamples=50, random_state=0)
    assert a.value == b.value


def test_binned_clt_bootstrap_matches_exact_row_bootstrap() -> None:
    from driftline.metrics._bootstrap import bootstrap_sums
    from driftline.metrics._calibration import _bin_terms, _ece, _mce

    rng = np.random.default_rng(4)
    n = 40_000  # 15 equal-mass bins of 2,666 rows: above the 2,000-row threshold
    p = rng.random(n)
    y = (rng.random(n) < p**1.2).astype(float)
    bins = assign_bins(p, 15, "quantile")
    terms = _bin_terms(y, p, np.ones(n), bins, 15)
    for fn, stat in ((expected_calibration_error, _ece), (maximum_calibration_error, _mce)):
        fast = fn(y, p, n_resamples=2000, random_state=0)
        exact = bootstrap_sums(terms, stat, n_resamples=2000, random_state=1)
        assert fast.method == "bootstrap-binned"
        assert abs(fast.value - exact.value) < 1e-12
        width = exact.ci_high - exact.ci_low
        assert abs(fast.ci_low - exact.ci_low) < 0.1 * width
        assert abs(fast.ci_high - exact.ci_high) < 0.1 * width
    d = brier_decomposition(y, p, random_state=0)
    assert d.reliability.method == "bootstrap-binned"
    assert abs(d.brier.value - brier_score_loss(y, p)) < 1e-12
    assert d.brier.ci_low < d.brier.value < d.brier.ci_high
