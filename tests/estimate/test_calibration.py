"""Isotonic calibration against scikit-learn, and the auto decision."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from driftline.estimate._calibration import choose_calibration, expected_calibration_error
from driftline.exceptions import InsufficientDataError, ParameterError


@pytest.mark.parametrize("ties", [False, True])
def test_isotonic_map_passes_through_scikit_learn_blocks_at_their_centres(ties: bool) -> None:
    rng = np.random.default_rng(3)
    s = rng.random(5_000)
    if ties:
        s = np.round(s, 2)
    y = (rng.random(5_000) < s**2).astype(float)
    cal, _, choice = choose_calibration(s, y, "isotonic")
    assert cal is not None
    assert choice.calibrated
    fitted = IsotonicRegression().fit(s, y).predict(s)
    values, block = np.unique(fitted, return_inverse=True)
    centres = np.bincount(block, weights=s) / np.bincount(block)
    np.testing.assert_allclose(cal.values, values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cal(centres), values, rtol=0, atol=1e-12)
    grid = np.linspace(-0.5, 1.5, 4_001)
    mapped = cal(grid)
    assert (np.diff(mapped) >= 0).all()
    assert mapped[0] == values[0]
    assert mapped[-1] == values[-1]


def test_auto_keeps_calibrated_scores_and_fixes_miscalibrated_ones() -> None:
    rng = np.random.default_rng(11)
    s = rng.beta(2, 3, 20_000)
    calibrated_y = (rng.random(20_000) < s).astype(float)
    cal, _, choice = choose_calibration(s, calibrated_y, "auto")
    assert cal is None
    assert not choice.calibrated
    assert choice.brier_raw <= choice.brier_isotonic_cv
    skewed_y = (rng.random(20_000) < np.sqrt(s)).astype(float)
    cal, _, choice = choose_calibration(s, skewed_y, "auto")
    assert cal is not None
    assert choice.calibrated
    assert choice.ece_isotonic_cv < choice.ece_raw


def test_scores_outside_unit_interval_are_calibrated_or_rejected() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=2_000)
    y = (rng.random(2_000) < 1 / (1 + np.exp(-logits))).astype(float)
    cal, _, choice = choose_calibration(logits, y, "auto")
    assert cal is not None
    assert np.isnan(choice.brier_raw)
    assert 0.0 <= cal(logits).min() <= cal(logits).max() <= 1.0
    with pytest.raises(ParameterError, match="calibration='none'"):
        choose_calibration(logits, y, "none")
    with pytest.raises(InsufficientDataError):
        choose_calibration(logits[:5], y[:5], "auto")


def test_expected_calibration_error_of_a_constant_gap() -> None:
    p = np.linspace(0.1, 0.6, 300)
    assert expected_calibration_error(p, p - 0.05) == pytest.approx(0.05, abs=1e-12)
