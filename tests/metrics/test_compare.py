"""Paired model comparison: DeLong against the slow reference, bootstrap sanity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from driftline.exceptions import ParameterError
from driftline.metrics import MetricComparison, accuracy, compare_metric, f1, log_loss, roc_auc

from .test_ranking import slow_delong


@pytest.fixture
def two_models() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 800
    y = rng.integers(0, 2, n)
    z = 2 * y - 1
    a = special.expit(z + rng.normal(0, 1.2, n))
    b = special.expit(z + rng.normal(0, 1.6, n))
    return y, a, b


def test_paired_delong_matches_reference(two_models) -> None:  # type: ignore[no-untyped-def]
    y, a, b = two_models
    c = compare_metric(y, a, b, metric="roc_auc")
    aucs, cov = slow_delong(y, np.column_stack([a, b]))
    se = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert abs(c.difference - (aucs[0] - aucs[1])) < 1e-12
    assert abs((c.ci_high - c.ci_low) / 2 - 1.959963984540054 * se) < 1e-10
    assert abs(c.p_value - 2 * special.ndtr(-abs(c.difference) / se)) < 1e-10
    assert c.value_a == roc_auc(y, a).value


@pytest.mark.parametrize(
    "metric",
    ["accuracy", "f1", "precision", "average_precision", "brier", "log_loss", "mae", "rmse"],
)
def test_difference_is_value_a_minus_value_b(two_models, metric: str) -> None:  # type: ignore[no-untyped-def]
    y, a, b = two_models
    c = compare_metric(y, a, b, metric=metric, n_resamples=300, random_state=0)  # type: ignore[arg-type]
    assert isinstance(c, MetricComparison)
    assert abs(c.difference - (c.value_a - c.value_b)) < 1e-12
    assert c.ci_low <= c.difference <= c.ci_high
    assert 0 <= c.p_value <= 1


def test_values_match_single_model_metrics(two_models) -> None:  # type: ignore[no-untyped-def]
    y, a, b = two_models
    c = compare_metric(y, a, b, metric="f1", random_state=0)
    assert c.value_a == f1(y, (a >= 0.5).astype(int), random_state=0).value
    c = compare_metric(y, a, b, metric="accuracy", threshold=0.3, random_state=0)
    assert c.value_b == accuracy(y, (b >= 0.3).astype(int)).value
    c = compare_metric(y, a, b, metric="log_loss")
    assert abs(c.value_a - log_loss(y, a).value) < 1e-12


def test_identical_models_have_zero_difference(two_models) -> None:  # type: ignore[no-untyped-def]
    y, a, _ = two_models
    for metric in ("roc_auc", "f1", "brier"):
        c = compare_metric(y, a, a, metric=metric, random_state=0)
        assert c.difference == 0
        assert c.ci_low == 0
        assert c.ci_high == 0


def test_pairing_narrows_the_interval(two_models) -> None:  # type: ignore[no-untyped-def]
    y, a, _ = two_models
    rng = np.random.default_rng(1)
    a2 = np.clip(a + rng.normal(0, 0.02, a.size), 0, 1)  # nearly the same model
    c = compare_metric(y, a, a2, metric="f1", random_state=0)
    single = f1(y, (a >= 0.5).astype(int), random_state=0)
    assert c.ci_high - c.ci_low < 0.5 * (single.ci_high - single.ci_low)


def test_paired_bootstrap_auc_agrees_with_delong(two_models) -> None:  # type: ignore[no-untyped-def]
    y, a, b = two_models
    d = compare_metric(y, a, b, metric="roc_auc")
    boot = compare_metric(
        y, a, b, metric="roc_auc", ci="percentile", n_resamples=2000, random_state=0
    )
    assert abs((boot.ci_high - boot.ci_low) / (d.ci_high - d.ci_low) - 1) < 0.15


def test_multiclass_labels_and_weights(two_models) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 600)
    pa = np.where(rng.random(600) < 0.7, y, rng.integers(0, 3, 600))
    pb = np.where(rng.random(600) < 0.5, y, rng.integers(0, 3, 600))
    c = compare_metric(y, pa, pb, metric="f1", average="macro", random_state=0)
    assert c.name == "f1_macro"
    assert abs(c.value_a - f1(y, pa, average="macro", random_state=0).value) < 1e-12
    assert c.ci_low > 0
    yb, a, b = two_models
    w = rng.random(yb.size)
    cw = compare_metric(yb, a, b, metric="f1", sample_weight=w, n_resamples=200, random_state=0)
    assert (
        abs(cw.value_a - f1(yb, (a >= 0.5).astype(int), sample_weight=w, random_state=0).value)
        < 1e-12
    )


def test_bad_metric() -> None:
    with pytest.raises(ParameterError, match="Unknown metric 'auc'; did you mean 'roc_auc'"):
        compare_metric([0, 1], [0.1, 0.9], [0.2, 0.8], metric="auc")
    with pytest.raises(ParameterError, match="no paired method for 'r2'; comparable metrics: "):
        compare_metric([0.0, 1.0], [0.1, 0.9], [0.2, 0.8], metric="r2")
