"""Fairness metrics checked against fairlearn (a test-only dependency)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from driftline.exceptions import InsufficientDataError
from driftline.metrics import fairness_report

fl = pytest.importorskip(
    "fairlearn.metrics", reason="fairlearn not installed: pip install fairlearn"
)


def _data(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    b = rng.choice(["x", "y"], n)
    y = rng.integers(0, 2, n)
    pred = (rng.random(n) < np.where(a == "a", 0.55, 0.4) + 0.2 * y).astype(int)
    return y, pred, pd.DataFrame({"a": a, "b": b}), rng.random(n)


PAIRS = [
    ("demographic_parity_difference", "demographic_parity_difference"),
    ("demographic_parity_ratio", "demographic_parity_ratio"),
    ("equalized_odds_difference", "equalized_odds_difference"),
    ("equalized_odds_ratio", "equalized_odds_ratio"),
]


@pytest.mark.parametrize("columns", [["a"], ["a", "b"]])
@pytest.mark.parametrize("weighted", [False, True])
def test_parity_metrics_match_fairlearn(columns: list[str], weighted: bool) -> None:
    y, pred, df, w = _data(0)
    sw = w if weighted else None
    rep = fairness_report(y, pred, sensitive_features=df[columns], sample_weight=sw,
                          n_resamples=300, random_state=0)  # fmt: skip
    sf = df[columns[0]] if len(columns) == 1 else df[columns]
    for ours, theirs in PAIRS:
        expected = getattr(fl, theirs)(y, pred, sensitive_features=sf, sample_weight=sw)
        got = getattr(rep, ours)
        assert abs(got.value - expected) < 1e-12, ours
        assert got.ci_low <= got.value <= got.ci_high


def test_group_rates_match_metricframe() -> None:
    y, pred, df, _ = _data(1)
    rep = fairness_report(y, pred, sensitive_features=df["a"], n_resamples=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = fl.MetricFrame(
            metrics={
                "selection_rate": fl.selection_rate,
                "true_positive_rate": fl.true_positive_rate,
                "false_positive_rate": fl.false_positive_rate,
            },
            y_true=y,
            y_pred=pred,
            sensitive_features=df["a"],
        )
    for name in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        got = [r.value for r in rep.by_group[name]]
        np.testing.assert_allclose(got, mf.by_group[name].to_numpy(), atol=1e-12)
        assert all(r.method == "wilson" for r in rep.by_group[name])
    assert rep.groups == ("a", "b", "c")
    json.dumps(rep.to_dict())
    assert "equalized_odds_difference" in rep.summary()


def test_bootstrap_interval_covers_a_planted_gap() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    g = rng.choice(["u", "v"], n)
    y = rng.integers(0, 2, n)
    pred = (rng.random(n) < np.where(g == "u", 0.5, 0.4)).astype(int)
    rep = fairness_report(y, pred, sensitive_features=g, ci="bca", random_state=0)
    assert rep.demographic_parity_difference.contains(0.1)
    assert rep.demographic_parity_difference.method == "bootstrap-bca"


def test_needs_two_groups() -> None:
    with pytest.raises(InsufficientDataError, match="two groups"):
        fairness_report([0, 1], [0, 1], sensitive_features=["a", "a"])
