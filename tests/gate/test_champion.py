"""Non-inferiority to the champion is decided by the one-sided bound on the paired difference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from driftline.gate import GateReport, run
from driftline.metrics import compare_metric

from .conftest import FixedScores


def _pair(n: int, noise: float, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    champ = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, n))))
    cand = np.clip(champ + rng.normal(0, noise, n), 0.0, 1.0)
    return pd.DataFrame({"y": y}), cand, champ


def _gate(df: pd.DataFrame, cand: Any, champ: Any, metric: str, margin: float) -> GateReport:
    policy = {
        "target": "y",
        "n_resamples": 500,
        "checks": [{"kind": "champion", "metric": metric, "margin": margin}],
    }
    return run(policy, candidate=FixedScores(cand), champion=FixedScores(champ), data=df)


def test_worse_point_estimate_within_margin_passes_roc_auc() -> None:
    df, cand, champ = _pair(20_000, 0.03, seed=0)
    diff = roc_auc_score(df["y"], cand) - roc_auc_score(df["y"], champ)
    assert -0.01 < diff < 0  # the candidate is (slightly) worse on the point estimate
    res = _gate(df, cand, champ, "roc_auc", 0.01).checks[0]
    assert res.observed == pytest.approx(diff, abs=1e-12)
    assert res.status == "pass"
    assert res.details["bound"] > -0.01
    # with no margin the same evidence fails: the bound is below 0
    strict = _gate(df, cand, champ, "roc_auc", 0.0).checks[0]
    assert strict.status == "fail"


def test_bound_is_the_lower_end_of_the_two_sided_interval() -> None:
    df, cand, champ = _pair(5000, 0.05, seed=1)
    res = _gate(df, cand, champ, "roc_auc", 0.01).checks[0]
    ref = compare_metric(df["y"], cand, champ, metric="roc_auc", confidence=0.90)
    assert res.details["bound"] == pytest.approx(ref.ci_low, abs=1e-12)
    assert res.ci_low == pytest.approx(ref.ci_low, abs=1e-12)
    assert "one-sided 95% lower bound" in res.reason
    assert "90% two-sided interval" in res.reason


def test_clearly_worse_candidate_fails() -> None:
    df, _, champ = _pair(3000, 0.0, seed=2)
    rng = np.random.default_rng(9)
    cand = np.clip(champ + rng.normal(0, 0.4, len(champ)), 0, 1)
    for metric in ("roc_auc", "f1", "log_loss"):
        res = _gate(df, cand, champ, metric, 0.01).checks[0]
        assert res.status == "fail", (metric, res.reason)


def test_point_estimate_within_margin_but_uncertain_fails() -> None:
    """Comparing point estimates would pass this candidate; the bound does not."""
    df, cand, champ = _pair(300, 0.1, seed=0)
    diff = roc_auc_score(df["y"], cand) - roc_auc_score(df["y"], champ)
    assert -0.01 < diff < 0
    res = _gate(df, cand, champ, "roc_auc", 0.01).checks[0]
    assert res.details["bound"] < -0.01
    assert res.status == "fail"


def test_f1_paired_bootstrap_within_margin_passes() -> None:
    df, cand, champ = _pair(20_000, 0.03, seed=4)
    diff = f1_score(df["y"], cand >= 0.5) - f1_score(df["y"], champ >= 0.5)
    res = _gate(df, cand, champ, "f1", 0.01).checks[0]
    assert res.observed == pytest.approx(diff, abs=1e-12)
    assert res.details["method"].startswith("bootstrap")
    assert res.status == "pass"


def test_loss_uses_the_upper_bound() -> None:
    df, cand, champ = _pair(5000, 0.02, seed=5)
    res = _gate(df, cand, champ, "brier", 0.01).checks[0]
    assert res.direction == "<="
    assert res.threshold == 0.01
    assert res.details["bound"] == pytest.approx(res.ci_high)
    assert res.status == "pass"


def test_false_pass_rate_at_the_margin_is_at_most_alpha() -> None:
    """Binormal scores with known AUCs: a candidate truly worse by exactly the margin must
    pass at most ~5% of the time (one-sided 95% bound); an equally good one mostly passes."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    margin, d1, rho, n, reps = 0.02, 1.2, 0.7, 2000, 400
    auc1 = norm.cdf(d1 / np.sqrt(2))
    d2 = brentq(lambda d: auc1 - norm.cdf(d / np.sqrt(2)) - margin, 0.1, 3.0)
    rng = np.random.default_rng(2026)
    policy = {"target": "y", "checks": [{"kind": "champion", "metric": "roc_auc",
                                         "margin": margin}]}  # fmt: skip
    worse = equal = 0
    for _ in range(reps):
        y = rng.integers(0, 2, n)
        e1 = rng.normal(size=n)
        e2 = rho * e1 + np.sqrt(1 - rho**2) * rng.normal(size=n)
        champ = FixedScores(norm.cdf(d1 * y + e1 - d1 / 2))
        df = pd.DataFrame({"y": y})
        cand_worse = FixedScores(norm.cdf(d2 * y + e2 - d2 / 2))
        cand_equal = FixedScores(norm.cdf(d1 * y + e2 - d1 / 2))
        worse += run(policy, candidate=cand_worse, champion=champ, data=df).passed
        equal += run(policy, candidate=cand_equal, champion=champ, data=df).passed
    se = np.sqrt(0.05 * 0.95 / reps)
    assert worse / reps <= 0.05 + 3 * se  # observed with this seed: see docs/gate.md
    assert equal / reps >= 0.6
