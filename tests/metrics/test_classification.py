"""Classification metrics against scikit-learn (tolerance 1e-12) and input errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from driftline.exceptions import DataError, ParameterError
from driftline.metrics import (
    accuracy,
    brier_score,
    confusion_matrix,
    f1,
    log_loss,
    precision,
    recall,
    specificity,
)

TOL = 1e-12


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 700)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, 700))))
    return y, p, (p >= 0.5).astype(int), rng.random(700)


@pytest.fixture
def multi() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 900)
    pred = np.where(rng.random(900) < 0.6, y, rng.integers(0, 4, 900))
    return y, pred, rng.random(900)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(precision, skm.precision_score), (recall, skm.recall_score), (f1, skm.f1_score)],
)
def test_binary_prf_matches_sklearn(binary, ours, theirs) -> None:  # type: ignore[no-untyped-def]
    y, _, pred, w = binary
    assert abs(ours(y, pred, random_state=0).value - theirs(y, pred)) < TOL
    assert (
        abs(ours(y, pred, sample_weight=w, random_state=0).value - theirs(y, pred, sample_weight=w))
        < TOL
    )
    assert (
        abs(ours(y, pred, pos_label=0, random_state=0).value - theirs(y, pred, pos_label=0)) < TOL
    )


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(precision, skm.precision_score), (recall, skm.recall_score), (f1, skm.f1_score)],
)
def test_multiclass_prf_matches_sklearn(multi, ours, theirs, average) -> None:  # type: ignore[no-untyped-def]
    y, pred, w = multi
    r = ours(y, pred, average=average, n_resamples=200, random_state=0)
    assert abs(r.value - theirs(y, pred, average=average)) < TOL
    assert r.ci_low <= r.value <= r.ci_high
    rw = ours(y, pred, average=average, sample_weight=w, n_resamples=200, random_state=0)
    assert abs(rw.value - theirs(y, pred, average=average, sample_weight=w)) < TOL


def test_accuracy_and_confusion_matrix(binary, multi) -> None:  # type: ignore[no-untyped-def]
    y, _, pred, w = binary
    assert abs(accuracy(y, pred).value - skm.accuracy_score(y, pred)) < TOL
    assert (
        abs(
            accuracy(y, pred, sample_weight=w, random_state=0).value
            - skm.accuracy_score(y, pred, sample_weight=w)
        )
        < TOL
    )
    ym, pm, wm = multi
    assert abs(accuracy(ym, pm).value - skm.accuracy_score(ym, pm)) < TOL
    np.testing.assert_array_equal(confusion_matrix(ym, pm), skm.confusion_matrix(ym, pm))
    np.testing.assert_allclose(
        confusion_matrix(ym, pm, sample_weight=wm),
        skm.confusion_matrix(ym, pm, sample_weight=wm),
        rtol=TOL,
    )
    labels = ["b", "a", "c"]
    yl, pl = np.array(labels)[ym % 3], np.array(labels)[pm % 3]
    np.testing.assert_array_equal(
        confusion_matrix(yl, pl, labels=labels), skm.confusion_matrix(yl, pl, labels=labels)
    )


def test_specificity_is_recall_of_the_negative_class(binary, multi) -> None:  # type: ignore[no-untyped-def]
    y, _, pred, _ = binary
    assert abs(specificity(y, pred).value - skm.recall_score(y, pred, pos_label=0)) < TOL
    ym, pm, _ = multi
    cm = skm.confusion_matrix(ym, pm).astype(float)
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    tn = cm.sum() - tp - fp - fn
    per = tn / (tn + fp)
    assert abs(specificity(ym, pm, average="macro", random_state=0).value - per.mean()) < TOL
    sup = cm.sum(1)
    got = specificity(ym, pm, average="weighted", random_state=0).value
    assert abs(got - (per * sup).sum() / sup.sum()) < TOL
    got = specificity(ym, pm, average="micro", random_state=0).value
    assert abs(got - tn.sum() / (tn.sum() + fp.sum())) < TOL


def test_interval_methods(binary) -> None:  # type: ignore[no-untyped-def]
    y, _, pred, w = binary
    assert accuracy(y, pred).method == "wilson"
    assert precision(y, pred).method == "wilson"
    assert f1(y, pred, random_state=0).method == "bootstrap-percentile"
    assert f1(y, pred, ci="bca", random_state=0).method == "bootstrap-bca"
    assert accuracy(y, pred, sample_weight=w, random_state=0).method == "bootstrap-percentile"
    assert accuracy(y, pred, ci="percentile", random_state=0).method == "bootstrap-percentile"
    with pytest.raises(ParameterError, match="No analytic interval"):
        f1(y, pred, ci="analytic")
    a = f1(y, pred, random_state=3)
    b = f1(y, pred, random_state=3)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)


def test_log_loss_and_brier_match_sklearn(binary) -> None:  # type: ignore[no-untyped-def]
    y, p, _, w = binary
    assert abs(log_loss(y, p).value - skm.log_loss(y, p)) < TOL
    assert abs(log_loss(y, p, sample_weight=w).value - skm.log_loss(y, p, sample_weight=w)) < TOL
    assert abs(brier_score(y, p).value - skm.brier_score_loss(y, p)) < TOL
    assert (
        abs(brier_score(y, p, sample_weight=w).value - skm.brier_score_loss(y, p, sample_weight=w))
        < TOL
    )
    extreme = np.where(y == 1, 0.0, 1.0)  # clipped like scikit-learn
    assert abs(log_loss(y, extreme).value - skm.log_loss(y, extreme)) < 1e-9
    rng = np.random.default_rng(5)
    ym = rng.integers(0, 3, 400)
    pm = rng.dirichlet([1, 1, 1], 400)
    assert abs(log_loss(ym, pm).value - skm.log_loss(ym, pm)) < TOL
    assert abs(brier_score(ym, pm).value - skm.brier_score_loss(ym, pm)) < TOL
    r = log_loss(y, p)
    se = np.std(-np.log(np.where(y == 1, p, 1 - p)), ddof=1) / np.sqrt(len(y))
    assert abs((r.ci_high - r.ci_low) / 2 - 1.959963984540054 * se) < 1e-12
    assert r.method == "delta"


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="same number of rows"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(DataError, match="NaN"):
        log_loss([0, 1], [0.5, float("nan")])
    with pytest.raises(DataError, match=r"probabilities in \[0, 1\]"):
        brier_score([0, 1], [0.5, 1.2])
    with pytest.raises(DataError, match="sum to 1"):
        log_loss([0, 1, 2], [[0.5, 0.5, 0.5]] * 3)
    with pytest.raises(DataError, match="binary labels"):
        log_loss([0, 2], [0.5, 0.5])
    with pytest.raises(ParameterError, match="average='binary'"):
        f1([0, 1, 2], [0, 1, 2])
    with pytest.raises(ParameterError, match="'average' parameter"):
        f1([0, 1], [0, 1], average="samples")
    with pytest.raises(ParameterError, match="'confidence'"):
        accuracy([0, 1], [0, 1], confidence=95)
    with pytest.raises(ParameterError, match="'n_resamples'"):
        f1([0, 1], [0, 1], n_resamples=1)
    with pytest.raises(DataError, match="sample_weight"):
        accuracy([0, 1], [0, 1], sample_weight=[1.0, -1.0])
    with pytest.raises(DataError, match="empty"):
        accuracy([], [])
