"""Regression metrics against scikit-learn (1e-12) and their delta-method intervals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from driftline.exceptions import DataError, InsufficientDataError, ParameterError
from driftline.metrics import mae, mape, pinball_loss, r2, rmse


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.normal(10, 3, 800)
    return y, y + rng.standard_t(4, 800), rng.random(800)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (mae, skm.mean_absolute_error),
        (rmse, skm.root_mean_squared_error),
        (mape, skm.mean_absolute_percentage_error),
        (r2, skm.r2_score),
    ],
)
def test_matches_sklearn(data, ours, theirs) -> None:  # type: ignore[no-untyped-def]
    y, p, w = data
    assert abs(ours(y, p).value - theirs(y, p)) < 1e-12
    assert abs(ours(y, p, sample_weight=w).value - theirs(y, p, sample_weight=w)) < 1e-12
    for ci in ("percentile", "bca"):
        r = ours(y, p, ci=ci, n_resamples=500, random_state=0)
        assert abs(r.value - theirs(y, p)) < 1e-12
        assert r.ci_low < r.value < r.ci_high


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_pinball_matches_sklearn(data, alpha: float) -> None:  # type: ignore[no-untyped-def]
    y, p, w = data
    assert (
        abs(pinball_loss(y, p, alpha=alpha).value - skm.mean_pinball_loss(y, p, alpha=alpha))
        < 1e-12
    )
    got = pinball_loss(y, p, alpha=alpha, sample_weight=w).value
    assert abs(got - skm.mean_pinball_loss(y, p, alpha=alpha, sample_weight=w)) < 1e-12


def test_delta_intervals_agree_with_bootstrap(data) -> None:  # type: ignore[no-untyped-def]
    y, p, _ = data
    e = np.abs(y - p)
    r = mae(y, p)
    assert (
        abs((r.ci_high - r.ci_low) / 2 - 1.959963984540054 * e.std(ddof=1) / np.sqrt(e.size))
        < 1e-12
    )
    for fn in (rmse, r2, mape):
        a = fn(y, p)
        b = fn(y, p, ci="percentile", n_resamples=3000, random_state=1)
        assert abs((a.ci_high - a.ci_low) / (b.ci_high - b.ci_low) - 1) < 0.15, fn.__name__


def test_errors() -> None:
    with pytest.raises(InsufficientDataError, match="constant"):
        r2([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ParameterError, match="'alpha'"):
        pinball_loss([1.0], [1.0], alpha=1.5)
    with pytest.raises(DataError, match="NaN"):
        mae([1.0, np.inf], [1.0, 2.0])
    with pytest.raises(DataError, match="numeric"):
        mae(["a", "b"], [1.0, 2.0])
