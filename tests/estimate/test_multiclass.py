"""Multiclass CBPE: one-vs-rest macro metrics against Monte Carlo and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from driftline.estimate import CBPE
from driftline.estimate._multiclass import multiclass_expected, multiclass_realized

ALL = ("roc_auc", "f1", "precision", "recall", "accuracy", "specificity")


def _simulate(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, (n, 3))
    logits = 1.2 * x
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    labels = np.array(["a", "b", "c"])[np.minimum(y, 2)]
    return pd.DataFrame({"pa": p[:, 0], "pb": p[:, 1], "pc": p[:, 2], "y": labels})


def test_realized_macro_metrics_equal_scikit_learn() -> None:
    df = _simulate(3_000, seed=1)
    scores = df[["pa", "pb", "pc"]].to_numpy()
    y = pd.Categorical(df["y"], categories=["a", "b", "c"]).codes.astype(np.intp)
    pred = scores.argmax(axis=1)
    got = multiclass_realized(y, pred, scores, ALL)
    assert got["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, scores, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred, average="macro"))
    assert got["recall"] == pytest.approx(skm.recall_score(y, pred, average="macro"), abs=1e-12)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)


def test_expected_macro_metrics_and_sds_match_monte_carlo() -> None:
    # 1,500 rows, 2,000 draws: tolerance 0.15 sd on the mean, 10% on the sd.
    df = _simulate(1_500, seed=2)
    p = df[["pa", "pb", "pc"]].to_numpy()
    pred = p.argmax(axis=1)
    expected = multiclass_expected(p, pred, p, ALL)
    rng = np.random.default_rng(3)
    cum = p.cumsum(axis=1)
    draws = {m: [] for m in ALL}
    for _ in range(2_000):
        y = np.minimum((rng.random(p.shape[0])[:, None] > cum).sum(axis=1), 2)
        for m, v in multiclass_realized(y, pred, p, ALL).items():
            draws[m].append(v)
    for m in ALL:
        value, sd = expected[m]
        assert abs(np.mean(draws[m]) - value) < 0.15 * sd, m
        assert np.std(draws[m]) == pytest.approx(sd, rel=0.1), m


def test_multiclass_cbpe_covers_realized_values_under_covariate_shift() -> None:
    ref = _simulate(60_000, seed=4)
    cur = _simulate(60_000, seed=5, shift=0.4)
    cbpe = CBPE(problem="multiclass", chunk_size=3_000)
    cbpe.fit(ref, y_score={"a": "pa", "b": "pb", "c": "pc"}, y_true="y")
    result = cbpe.estimate(cur, y_true="y")
    assert result.classes == ("a", "b", "c")
    for m in ALL:
        cover = np.mean([c.metric(m).realized_in_band for c in result.chunks])
        assert cover >= 0.85, (m, cover)
    cm = np.array(result.chunks[0].confusion)
    assert cm.shape == (3, 3)
    assert cm.sum() == pytest.approx(3_000)
    same = cbpe.estimate(cur, y_score=["pa", "pb", "pc"])
    assert same.values("f1") == pytest.approx(result.values("f1"))
