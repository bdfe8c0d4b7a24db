"""Undefined metrics are reported as undefined (NaN with a reason), never as 0.0.

Reference: scikit-learn's ``zero_division=np.nan`` (the value, and macro/weighted averages
over the defined classes) and ``zero_division=0`` (its default value).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from driftline.metrics import evaluate, f1, precision, recall, specificity


def test_precision_without_predicted_positives_is_undefined() -> None:
    y, pred = [0, 1, 1, 0], [0, 0, 0, 0]
    r = precision(y, pred)
    assert np.isnan(r.value)
    assert np.isnan(skm.precision_score(y, pred, zero_division=np.nan))
    assert r.method == "undefined"
    assert r.reason == "undefined: no row is predicted positive (tp + fp = 0)"
    assert r.to_dict()["value"] is None
    assert "undefined (undefined: no row is predicted positive" in str(r)
    assert precision(y, pred, zero_division=0.0).value == 0.0  # scikit-learn's default value


def test_recall_and_specificity_with_one_class_are_undefined() -> None:
    y, pred = [0, 0, 0, 0], [0, 1, 0, 1]
    assert "no row is truly positive" in str(recall(y, pred).reason)
    assert np.isnan(recall(y, pred).value)
    assert np.isnan(skm.recall_score(y, pred, zero_division=np.nan))
    assert specificity(y, pred).value == 0.5
    assert "no row is truly other than positive" in str(specificity([1, 1], [1, 0]).reason)
    assert np.isnan(f1([0, 0], [0, 0], random_state=0).value)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("average", ["binary", "micro", "macro", "weighted"])
@pytest.mark.parametrize("zero_division", [np.nan, 0.0, 1.0])
def test_zero_division_matches_scikit_learn(seed: int, average: str, zero_division: float) -> None:
    rng = np.random.default_rng(seed)
    k = 2 if average == "binary" else 4
    n = int(rng.integers(3, 12))
    y = rng.integers(0, k, n)
    pred = rng.choice(rng.integers(0, k, 2), n)  # few predicted classes: zero denominators
    for ours, theirs in ((precision, skm.precision_score), (recall, skm.recall_score),
                         (f1, skm.f1_score)):  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = theirs(y, pred, average=average, zero_division=zero_division,
                          labels=None if average != "binary" else [0, 1])  # fmt: skip
        got = ours(y, pred, average=average, zero_division=zero_division, n_resamples=50,
                   random_state=0)  # fmt: skip
        np.testing.assert_allclose(got.value, want, atol=1e-12, err_msg=f"{ours.__name__}")


def test_macro_average_says_which_classes_it_leaves_out() -> None:
    y = np.array(["a", "b", "c", "a", "b", "c"])
    pred = np.array(["a", "b", "a", "a", "b", "a"])  # class c is never predicted
    r = precision(y, pred, average="macro")
    want = skm.precision_score(y, pred, average="macro", zero_division=np.nan)
    assert r.value == pytest.approx(want)
    assert r.reason == (
        "precision is undefined for class(es) 'c' (tp + fp = 0); the macro average is over the "
        "other 2 of 3 classes"
    )
    r0 = precision(y, pred, average="macro", zero_division=0.0)
    assert r0.value == pytest.approx(skm.precision_score(y, pred, average="macro", zero_division=0))
    assert r0.reason is not None
    assert r0.reason.endswith("counted as 0 (zero_division)")


def test_evaluate_reports_undefined_metrics_with_a_reason() -> None:
    """Before: precision 0.0 and recall 0.0 with no note."""
    rep = evaluate([0, 0, 0, 0, 0], y_pred=[0, 0, 0, 0, 0], task="binary")
    for name in ("precision", "recall", "f1"):
        assert not rep[name].defined, name
        assert rep[name].method == "undefined"
        assert any(n.startswith(f"{name}: undefined") for n in rep.notes)
    assert rep["specificity"].value == 1.0
    data = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert data["metrics"]["precision"]["value"] is None
    assert data["metrics"]["precision"]["reason"].startswith("undefined: no row is predicted")
    line = next(x for x in rep.summary().splitlines() if x.startswith("precision"))
    assert "undefined" in line
    assert "no row is predicted positive" in line


def test_evaluate_cli_shows_undefined_metrics(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "preds.csv"
    pd.DataFrame({"y": [0, 1, 1, 0, 1, 0], "pred": [0, 0, 0, 0, 0, 0]}).to_csv(path, index=False)
    out = run_cli("evaluate", str(path), "--target", "y", "--pred", "pred", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["metrics"]["precision"]["value"] is None
    assert "no row is predicted positive" in data["metrics"]["precision"]["reason"]
    assert data["metrics"]["recall"]["value"] == 0.0
    text = run_cli("evaluate", str(path), "--target", "y", "--pred", "pred", "--html", "e.html")
    assert text.returncode == 0, text.stderr
    assert "undefined" in text.stdout
    assert "undefined" in (tmp_path / "e.html").read_text(encoding="utf-8")
