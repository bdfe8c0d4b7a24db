"""evaluate(): the report agrees with the single-metric functions and scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import special
from sklearn import metrics as skm

from driftline.exceptions import DataError, ParameterError
from driftline.metrics import EvaluationReport, evaluate


def test_binary_report() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    s = special.expit(2 * y - 1 + rng.normal(0, 1.5, 1000))
    rep = evaluate(y, s, task="binary", threshold=0.4, n_resamples=200, random_state=0)
    assert isinstance(rep, EvaluationReport)
    pred = (s >= 0.4).astype(int)
    assert abs(rep["roc_auc"].value - skm.roc_auc_score(y, s)) < 1e-12
    assert abs(rep["f1"].value - skm.f1_score(y, pred)) < 1e-12
    assert abs(rep["log_loss"].value - skm.log_loss(y, s)) < 1e-12
    assert abs(rep["average_precision"].value - skm.average_precision_score(y, s)) < 1e-12
    np.testing.assert_array_equal(rep.confusion_matrix, skm.confusion_matrix(y, pred))
    assert set(rep.metrics) >= {
        "accuracy",
        "precision",
        "recall",
        "specificity",
        "brier",
        "ece_quantile",
    }
    json.dumps(rep.to_dict())
    text = rep.summary()
    assert "roc_auc" in text
    assert "wilson" in text
    again = evaluate(y, s, task="binary", threshold=0.4, n_resamples=200, random_state=0)
    assert again.to_dict() == rep.to_dict()


def test_binary_with_raw_scores_skips_probability_metrics() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    s = rng.normal(size=300) + y
    rep = evaluate(y, s, task="binary", threshold=0.0, n_resamples=100, random_state=0)
    assert "log_loss" not in rep.metrics
    assert rep.notes


def test_multiclass_and_regression_reports() -> None:
    rng = np.random.default_rng(2)
    labels = np.array(["cat", "dog", "eel"])
    yc = rng.integers(0, 3, 600)
    p = rng.dirichlet([1, 1, 1], 600)
    p[np.arange(600), yc] += 0.5
    p /= p.sum(1, keepdims=True)
    y = labels[yc]
    rep = evaluate(y, p, task="multiclass", n_resamples=100, random_state=0)
    assert abs(rep["roc_auc_ovr_macro"].value - skm.roc_auc_score(y, p, multi_class="ovr")) < 1e-12
    pred = labels[p.argmax(1)]
    assert abs(rep["f1_macro"].value - skm.f1_score(y, pred, average="macro")) < 1e-12
    assert rep.labels == ("cat", "dog", "eel")
    json.dumps(rep.to_dict())
    yr = rng.normal(size=300)
    rr = evaluate(yr, y_pred=yr + rng.normal(0, 0.5, 300), task="regression")
    assert set(rr.metrics) == {"mae", "rmse", "mape", "r2"}


def test_errors() -> None:
    with pytest.raises(ParameterError, match="'task'"):
        evaluate([0, 1], [0.2, 0.8], task="ranking")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="y_score' or 'y_pred"):
        evaluate([0, 1], task="binary")
    with pytest.raises(DataError, match=r"\(n_rows, 3\)"):
        evaluate([0, 1, 2], [0.2, 0.5, 0.3], task="multiclass")


def test_undefined_metrics_become_notes_and_pos_label() -> None:
    y = np.array(["yes", "yes", "yes", "yes"])
    rep = evaluate(y, [0.9, 0.8, 0.3, 0.6], task="binary", pos_label="yes", random_state=0)
    assert not rep["roc_auc"].defined
    assert rep["roc_auc"].method == "undefined"
    assert "both classes" in str(rep["roc_auc"].reason)
    assert rep.to_dict()["metrics"]["roc_auc"]["value"] is None
    assert any(n.startswith("roc_auc:") for n in rep.notes)
    assert rep["recall"].value == 0.75
    with pytest.raises(DataError, match="pos_label"):
        evaluate(["a", "b"], [0.2, 0.8], task="binary")
    pred = np.array(["yes", "no", "no", "yes"])
    rep2 = evaluate(y, y_pred=pred, task="binary", pos_label="yes")
    assert rep2["recall"].value == 0.5


def test_multiclass_ece_is_top_label_in_label_order() -> None:
    rng = np.random.default_rng(3)
    labels = np.array([2, 0, 1])  # columns are in this (unsorted) order
    y = rng.choice(labels, 500)
    p = rng.dirichlet([1, 1, 1], 500)
    rep = evaluate(y, p, task="multiclass", labels=labels, n_resamples=50, random_state=0)
    correct = labels[p.argmax(1)] == y
    assert abs(rep["accuracy"].value - correct.mean()) < 1e-12
    assert rep["ece_top_label"].name == "ece_top_label"
