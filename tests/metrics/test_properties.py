"""Property tests (hypothesis) and a fast coverage check of the intervals."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from driftline.metrics import (
    accuracy,
    brier_score,
    f1,
    precision,
    recall,
    roc_auc,
    specificity,
)
from driftline.metrics._confusion import metric_from_confusion

labels = st.lists(st.integers(0, 1), min_size=4, max_size=60)


@settings(max_examples=25, deadline=None)
@given(labels, st.integers(0, 2**31))
def test_confusion_metrics_bounded_and_order_invariant(y: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    yt = np.array(y)
    yp = rng.integers(0, 2, yt.size)
    perm = rng.permutation(yt.size)
    for fn in (accuracy, precision, recall, specificity):
        a, b = fn(yt, yp), fn(yt[perm], yp[perm])
        np.testing.assert_equal((a.value, a.ci_low, a.ci_high), (b.value, b.ci_low, b.ci_high))
        if np.isnan(a.ci_low):  # empty denominator: the metric is undefined, with a reason
            assert np.isnan(a.value)
            assert a.reason is not None
            assert a.method == "undefined"
        else:
            assert 0.0 <= a.ci_low <= a.value <= a.ci_high <= 1.0
    r1 = f1(yt, yp, n_resamples=50, random_state=1)
    r2 = f1(yt[perm], yp[perm], n_resamples=50, random_state=1)
    # the count bootstrap only sees the confusion matrix
    np.testing.assert_equal((r1.value, r1.ci_low, r1.ci_high), (r2.value, r2.ci_low, r2.ci_high))
    if r1.defined:
        assert 0.0 <= r1.ci_low <= r1.ci_high <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=4, max_size=4))
def test_f1_is_harmonic_mean_of_precision_and_recall(cells: list[int]) -> None:
    cm = np.array(cells, dtype=float).reshape(2, 2)
    p = metric_from_confusion(cm, "precision")
    r = metric_from_confusion(cm, "recall")
    f = metric_from_confusion(cm, "f1")
    if p + r > 0:
        assert abs(f - 2 * p * r / (p + r)) < 1e-12
    else:
        assert f == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.integers(5, 100))
def test_perfect_predictions(seed: int, n: int) -> None:
    y = np.r_[0, 1, np.random.default_rng(seed).integers(0, 2, n)]
    assert accuracy(y, y).value == 1.0
    assert roc_auc(y, y.astype(float)).value == 1.0
    assert brier_score(y, y.astype(float)).value == 0.0


def _coverage(n: int, reps: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    truth_acc = stats.norm.cdf(0.75)
    truth_auc = stats.norm.cdf(1.5 / np.sqrt(2))
    hit = {"accuracy": 0, "roc_auc": 0}
    for _ in range(reps):
        y = (rng.random(n) < 0.3).astype(int)
        p = special.expit(np.where(y == 1, 0.75, -0.75) + rng.normal(size=n))
        hit["accuracy"] += accuracy(y, p >= 0.5).contains(truth_acc)
        hit["roc_auc"] += roc_auc(y, p).contains(truth_auc)
    return {k: v / reps for k, v in hit.items()}


def test_fast_coverage_of_wilson_and_delong() -> None:
    # 400 replicates: Monte Carlo s.e. of a 0.95 coverage is 0.011; 0.91 is > 3 s.e. below.
    cov = _coverage(300, 400, seed=7)
    assert cov["accuracy"] > 0.91, cov
    assert cov["roc_auc"] > 0.91, cov
