"""Expected binary metrics and their sd against brute force, Monte Carlo and scikit-learn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import rankdata
from sklearn import metrics as skm

from driftline.estimate._binary import (
    binary_confusion,
    binary_expected,
    binary_realized,
    chunk_orders,
    expected_auc,
    midranks,
)
from driftline.estimate._validation import estimable_metrics

ALL = estimable_metrics("binary")


@given(arrays(np.float64, st.integers(1, 60), elements=st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9])))
def test_midranks_equal_scipy_rankdata(score: np.ndarray) -> None:
    np.testing.assert_allclose(midranks(score), rankdata(score), rtol=0, atol=1e-12)


@settings(max_examples=50)
@given(
    p=arrays(np.float64, st.integers(2, 7), elements=st.floats(0.01, 0.99)),
    data=st.data(),
)
def test_expected_auc_is_the_pair_ratio_of_expectations(p: np.ndarray, data: st.DataObject) -> None:
    # Scores with ties (rounded) exercise the 1/2 credit for tied pairs.
    score = np.round(data.draw(arrays(np.float64, p.size, elements=st.floats(0, 1))), 1)
    n = p.size
    num = den = 0.0
    for i, j in itertools.permutations(range(n), 2):
        w = p[i] * (1 - p[j])
        den += w
        num += w * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
    assert expected_auc(p, score)[0] == pytest.approx(num / den, rel=1e-10)


def test_expected_accuracy_and_precision_are_exact_by_enumeration() -> None:
    p = np.array([0.15, 0.6, 0.35, 0.8, 0.5])
    pred = p >= 0.5
    acc = prec = 0.0
    for labels in itertools.product([0, 1], repeat=p.size):
        y = np.array(labels, dtype=bool)
        w = float(np.prod(np.where(y, p, 1 - p)))
        r = binary_realized(y, pred, p, ("accuracy", "precision"))
        acc += w * r["accuracy"]
        prec += w * r["precision"]
    e = binary_expected(p, pred, p, ("accuracy", "precision"))
    assert e["accuracy"][0] == pytest.approx(acc, rel=1e-12)
    assert e["precision"][0] == pytest.approx(prec, rel=1e-12)


def test_estimates_and_sds_match_monte_carlo_label_draws() -> None:
    # 2,000 rows, 3,000 label draws: the Monte Carlo mean has sd ≈ sd/55, so a
    # tolerance of 0.15 sd on the mean and 8% on the sd is ≈ 8 and 3 Monte Carlo sds.
    rng = np.random.default_rng(7)
    n, draws = 2_000, 3_000
    score = rng.random(n)
    p = score**1.5
    pred = score >= 0.5
    expected = binary_expected(p, pred, score, ALL)
    ys = rng.random((draws, n)) < p
    real = {m: np.empty(draws) for m in ALL}
    for b in range(draws):
        for m, v in binary_realized(ys[b], pred, score, ALL).items():
            real[m][b] = v
    for m in ALL:
        value, sd = expected[m]
        assert abs(real[m].mean() - value) < 0.15 * sd, m
        assert real[m].std() == pytest.approx(sd, rel=0.08), m
    conf = binary_confusion(p, pred)
    tp = (ys & pred).sum(axis=1)
    assert tp.mean() == pytest.approx(conf["tp"][0], abs=0.15 * conf["tp"][1])
    assert tp.std() == pytest.approx(conf["tp"][1], rel=0.08)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_realized_metrics_equal_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    score = np.round(rng.random(3_000), 2)  # ties
    y = rng.random(3_000) < score
    pred = score >= 0.4
    got = binary_realized(y, pred, score, ALL)
    tn, fp, _, _ = skm.confusion_matrix(y, pred).ravel()
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(y, pred), abs=1e-12)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert got["specificity"] == pytest.approx(tn / (tn + fp), abs=1e-12)


def test_no_predicted_positives_gives_zero_precision_exactly() -> None:
    p = np.full(100, 0.3)
    value, sd = binary_expected(p, p > 0.5, p, ("precision",))["precision"]
    assert (value, sd) == (0.0, 0.0)


@given(n=st.integers(2, 200), k=st.integers(1, 6), seed=st.integers(0, 1000))
def test_chunk_orders_equal_per_chunk_argsort(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 20, n).astype(float)
    bounds = np.linspace(0, n, min(k, n) + 1).astype(int)
    rows = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    for r, order in zip(rows, chunk_orders(np.argsort(score), rows, n), strict=True):
        np.testing.assert_array_equal(score[r][order], np.sort(score[r]))
        np.testing.assert_allclose(midranks(score[r], order), rankdata(score[r]))
