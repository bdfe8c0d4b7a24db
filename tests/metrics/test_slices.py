"""Slice metrics and worst-slice discovery."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftline.exceptions import ParameterError
from driftline.metrics import (
    accuracy,
    find_worst_slices,
    mae,
    roc_auc,
    segment_metrics,
)


def _frame(
    seed: int, n: int = 4000, planted: bool = True
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n),
            "region": rng.choice(["n", "s", "e", "w"], n),
            "income": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(size=n)),
        }
    )
    y = rng.integers(0, 2, n)
    bad = ((df.age > 65) & (df.region == "s")).to_numpy() if planted else np.zeros(n, bool)
    wrong = rng.random(n) < np.where(bad, 0.5, 0.15)
    pred = np.where(wrong, 1 - y, y)
    score = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, np.where(bad, 0.5, 0.2), n), 0, 1)
    return df, y, pred, score


def test_planted_slice_is_found_first() -> None:
    df, y, pred, score = _frame(0)
    for metric in ("accuracy", "recall", "f1"):
        rep = find_worst_slices(
            df, y, y_pred=pred, metric=metric, pairs=True, n_resamples=500, random_state=0
        )
        top = rep.slices[0]
        assert "age in [" in top.description, metric
        assert "region == 's'" in top.description, metric
        assert top.significant
        assert top.q_value < 0.05
        assert top.metric.ci_high < top.rest.value
    rep = find_worst_slices(df, y, score, metric="roc_auc", pairs=True, random_state=0)
    assert "region == 's'" in rep.slices[0].description
    json.dumps(rep.to_dict())
    assert "worst slices" in rep.summary()


def test_no_discoveries_without_a_planted_slice() -> None:
    df, y, pred, _ = _frame(1, planted=False)
    rep = find_worst_slices(df, y, y_pred=pred, pairs=True, random_state=0)
    assert rep.n_tested > 50
    assert rep.significant() == ()


def test_support_and_missing_slices() -> None:
    df, y, pred, _ = _frame(2)
    rep = find_worst_slices(df, y, y_pred=pred, min_support=300, random_state=0)
    assert all(300 <= s.support <= len(y) - 300 for s in rep.slices)
    assert any(s.description == "income is missing" for s in rep.slices)
    for s in rep.slices:
        m = s.mask(df)
        assert m.sum() == s.support
        assert s.metric.value == accuracy(y[m], pred[m]).value
    top = find_worst_slices(df, y, y_pred=pred, pairs=True, random_state=0).slices[0]
    m = top.mask(df)
    assert len(top.conditions) == 2
    assert m.sum() == top.support
    assert top.features == ("age", "region")


def test_regression_slices_and_segments() -> None:
    df, y, _, _ = _frame(3)
    rng = np.random.default_rng(3)
    target = rng.normal(size=len(y))
    noise = np.where(df.region == "w", 2.0, 0.5)
    pred = target + rng.normal(0, noise)
    rep = find_worst_slices(df[["region"]], target, y_pred=pred, metric="mae", random_state=0)
    assert rep.slices[0].description == "region == 'w'"
    assert not rep.higher_is_better
    seg = segment_metrics(df[["region"]], target, y_pred=pred, metric="mae").as_mapping()
    m = (df.region == "e").to_numpy()
    assert seg[("e",)].value == mae(target[m], pred[m]).value


def test_segment_metrics_multi_column_and_undefined() -> None:
    df, y, _, score = _frame(4, n=600)
    seg = segment_metrics(df[["region"]].assign(big=df.age > 50), y, score, metric="roc_auc")
    mapping = seg.as_mapping()
    assert len(mapping) == 8
    m = ((df.region == "n") & (df.age > 50)).to_numpy()
    assert mapping[("n", True)].value == roc_auc(y[m], score[m]).value
    one_class = segment_metrics({"g": np.r_[np.zeros(5), np.ones(5)]}, np.r_[np.zeros(5), np.r_[0, 1, 0, 1, 1]],
                                np.linspace(0, 1, 10), metric="roc_auc")  # fmt: skip
    assert np.isnan(one_class.results[0].value)
    assert one_class.results[0].method == "undefined"
    json.dumps(one_class.to_dict())


def test_parameter_errors() -> None:
    df, y, pred, _ = _frame(6, n=200)
    with pytest.raises(ParameterError, match="Unknown metric 'auc'; did you mean 'roc_auc'"):
        find_worst_slices(df, y, y_pred=pred, metric="auc")
    with pytest.raises(ParameterError, match="Slices cannot be tested on 'r2'; use one of "):
        find_worst_slices(df, y, y_pred=pred, metric="r2")
    with pytest.raises(ParameterError, match="'min_support'"):
        find_worst_slices(df, y, y_pred=pred, min_support=0)
    with pytest.raises(ParameterError, match="needs 'y_score'"):
        find_worst_slices(df, y, y_pred=pred, metric="roc_auc")


def test_polars_and_pyarrow_frames() -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    df, y, pred, _ = _frame(7, n=1500)
    ref = find_worst_slices(df, y, y_pred=pred, random_state=0)
    for frame in (pl.from_pandas(df), pa.Table.from_pandas(df, preserve_index=False)):
        rep = find_worst_slices(frame, y, y_pred=pred, random_state=0)
        assert [s.description for s in rep.slices] == [s.description for s in ref.slices]
        assert rep.slices[0].mask(frame).sum() == rep.slices[0].support
