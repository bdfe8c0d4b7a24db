"""Every built-in check kind on data constructed to pass and to fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score

from driftline.exceptions import ParameterError
from driftline.gate import GateReport, run

from .conftest import FEATURES, FixedScores, make_churn


def _gate(checks: list[dict[str, Any]], data: pd.DataFrame, cand: Any, **kw: Any) -> GateReport:
    policy = {"target": "y", "n_resamples": 200, "checks": checks}
    policy.update(kw.pop("policy", {}))
    return run(policy, candidate=cand, data=data, **kw)


@pytest.fixture(scope="module")
def scored() -> tuple[pd.DataFrame, np.ndarray]:
    """Calibrated scores: y ~ Bernoulli(p), score = p; x in [0, 10)."""
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.uniform(0, 10, n)
    p = np.clip(rng.beta(0.7, 0.7, n), 0.01, 0.99)
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"x": x, "g": rng.choice(["a", "b"], n), "y": y}), p


def test_metric_threshold_on_point_estimate_with_interval(scored: Any) -> None:
    df, p = scored
    auc = roc_auc_score(df["y"], p)
    rep = _gate(
        [
            {"kind": "metric", "metric": "roc_auc", "min": auc - 0.01},
            {"kind": "metric", "metric": "roc_auc", "min": auc + 0.01},
            {"kind": "metric", "metric": "log_loss", "max": 1.0, "severity": "warn"},
            {"kind": "metric", "metric": "log_loss", "max": 0.1, "severity": "warn"},
        ],
        df,
        FixedScores(p),
    )
    ok, bad, ll_ok, ll_bad = rep.checks
    assert ok.observed == pytest.approx(auc, abs=1e-12)
    assert ok.ci_low is not None
    assert ok.ci_high is not None
    assert ok.ci_low < auc < ok.ci_high
    assert (ok.status, bad.status) == ("pass", "fail")
    assert ll_ok.observed == pytest.approx(sk_log_loss(df["y"], p), rel=1e-10)
    assert (ll_ok.status, ll_bad.status) == ("pass", "warn")
    assert rep.verdict == "fail"
    assert "violates >=" in bad.reason


def test_warn_only_violation_gives_warn_verdict(scored: Any) -> None:
    df, p = scored
    rep = _gate([{"kind": "metric", "metric": "accuracy", "min": 0.99, "severity": "warn"}],
                df, FixedScores(p))  # fmt: skip
    assert rep.verdict == "warn"
    assert rep.passed


def test_calibration(scored: Any) -> None:
    df, p = scored
    good = _gate([{"kind": "calibration", "max_ece": 0.05}], df, FixedScores(p))
    bad = _gate([{"kind": "calibration", "max_ece": 0.05}], df, FixedScores(p**3))
    assert good.checks[0].status == "pass"
    assert bad.checks[0].status == "fail"
    assert bad.checks[0].observed is not None
    assert bad.checks[0].observed > 0.1


def test_slices_absolute_and_vs_champion() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.uniform(0, 10, n)
    y = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where(x > 8, 0.4, 0.05)
    cand = np.where(wrong, 1 - y, y) * 0.8 + 0.1  # 0.9 or 0.1
    champ = y * 0.8 + 0.1  # always right
    df = pd.DataFrame({"x": x, "y": y})
    check = {"kind": "slices", "metric": "accuracy", "min_support": 200}
    rep = _gate(
        [
            {**check, "min_value": 0.5},
            {**check, "min_value": 0.8},
            {**check, "max_gap_vs_champion": 0.05},
        ],
        df,
        FixedScores(cand),
        champion=FixedScores(champ),
    )
    loose, strict, gap = rep.checks
    assert loose.status == "pass"
    assert strict.status == "fail"
    assert "worst slice x in [7.9" in strict.reason
    assert gap.status == "fail"
    assert gap.observed is not None
    assert gap.observed < -0.3
    same = _gate([{**check, "max_gap_vs_champion": 0.05}], df, FixedScores(cand),
                 champion=FixedScores(cand))  # fmt: skip
    assert same.checks[0].status == "pass"


def test_fairness_judged_on_upper_bound() -> None:
    rng = np.random.default_rng(7)

    def frame(n: int, rate_b: float) -> tuple[pd.DataFrame, np.ndarray]:
        g = rng.choice(["a", "b"], n)
        y = rng.integers(0, 2, n)
        sel = rng.random(n) < np.where(g == "a", 0.3, rate_b)
        return pd.DataFrame({"g": g, "y": y}), np.where(sel, 0.9, 0.1)

    check = [{"kind": "fairness", "sensitive": ["g"], "max": 0.1}]
    fair_df, fair_s = frame(20_000, 0.3)
    assert _gate(check, fair_df, FixedScores(fair_s)).checks[0].status == "pass"
    unfair_df, unfair_s = frame(5000, 0.6)
    res = _gate(check, unfair_df, FixedScores(unfair_s)).checks[0]
    assert res.status == "fail"
    assert res.observed is not None
    assert res.observed > 0.25
    # point estimate below the limit, but 100 rows cannot show it with confidence
    small_df, small_s = frame(100, 0.35)
    small = _gate(check, small_df, FixedScores(small_s)).checks[0]
    assert small.ci_high is not None
    assert small.ci_high > 0.1
    assert small.status == "fail"


def test_data_contract(eval_df: pd.DataFrame, good_model: Any) -> None:
    contract = {
        "kind": "data_contract",
        "max_missing_rate": 0.0,
        "columns": {
            "age": {"type": "numeric", "min": 18, "max": 90},
            "plan": {"type": "categorical", "allowed": ["basic", "plus", "pro"]},
        },
    }
    ok = _gate([contract], eval_df, good_model, policy={"target": "churned"})
    assert ok.checks[0].status == "pass", ok.checks[0].reason
    bad = eval_df.copy()
    bad.loc[0, "age"] = -1.0
    bad.loc[1, "plan"] = "gold"
    bad.loc[2:50, "tenure"] = np.nan
    rep = _gate([contract], bad, good_model, policy={"target": "churned"})
    res = rep.checks[0]
    assert res.status == "fail"
    assert res.observed == 3
    assert "age: min -1 < 18" in res.reason
    assert "plan: values not allowed ['gold']" in res.reason
    assert "tenure: missing rate" in res.reason
    typed = _gate([{"kind": "data_contract", "columns": {"plan": {"type": "numeric"},
                                                         "zip": {}}}],
                  eval_df, good_model, policy={"target": "churned"})  # fmt: skip
    assert "plan: type categorical, expected numeric" in typed.checks[0].reason
    assert "zip: missing column" in typed.checks[0].reason


def test_drift_between_train_and_eval(train_df: pd.DataFrame, eval_df: pd.DataFrame,
                                      good_model: Any) -> None:  # fmt: skip
    check = [{"kind": "drift"}]
    pol = {"target": "churned"}
    same = _gate(check, eval_df, good_model, train_data=train_df, policy=pol)
    assert same.checks[0].status == "pass", same.checks[0].reason
    shifted = eval_df.assign(age=eval_df["age"] + 15)
    res = _gate(check, shifted, good_model, train_data=train_df, policy=pol).checks[0]
    assert res.status == "fail"
    assert "age" in res.reason
    with pytest.raises(ParameterError, match="needs the training data"):
        _gate(check, eval_df, good_model, policy=pol)


def test_target_leakage(eval_df: pd.DataFrame, good_model: Any) -> None:
    rng = np.random.default_rng(0)
    pol = {"target": "churned"}
    with_id = eval_df.assign(customer=[f"c{i}" for i in range(len(eval_df))])
    clean = _gate([{"kind": "target_leakage"}], with_id, good_model, policy=pol).checks[0]
    assert clean.status == "pass", clean.reason
    assert clean.observed is not None
    assert clean.observed < 0.9
    leaky = with_id.assign(refund=with_id["churned"] * 10 + rng.normal(0, 0.1, len(with_id)))
    res = _gate([{"kind": "target_leakage"}], leaky, good_model, policy=pol).checks[0]
    assert res.status == "fail"
    assert "refund" in res.reason
    assert res.observed == pytest.approx(1.0)
    leaky_cat = with_id.assign(status=np.where(with_id["churned"] == 1, "closed", "open"))
    res2 = _gate([{"kind": "target_leakage"}], leaky_cat, good_model, policy=pol).checks[0]
    assert res2.status == "fail"
    assert "status" in res2.reason


def test_train_overlap(train_df: pd.DataFrame, eval_df: pd.DataFrame, good_model: Any) -> None:
    pol = {"target": "churned"}
    check = [{"kind": "train_overlap", "max_share": 0.01}]
    ok = _gate(check, eval_df, good_model, train_data=train_df, policy=pol).checks[0]
    assert (ok.status, ok.observed) == ("pass", 0.0)
    mixed = pd.concat([eval_df.iloc[:1900], train_df.iloc[:100]], ignore_index=True)
    res = _gate(check, mixed, good_model, train_data=train_df, policy=pol).checks[0]
    assert res.status == "fail"
    assert res.observed == pytest.approx(100 / 2000)


def test_operational_budgets(eval_df: pd.DataFrame, good_model: Any) -> None:
    pol = {"target": "churned"}
    loose = [
        {"kind": "latency", "p95_ms": 1000, "n_calls": 30},
        {"kind": "throughput", "min_rows_per_second": 1, "batch_size": 2000},
        {"kind": "artifact_size", "max_mb": 100},
        {"kind": "memory", "max_mb": 1000, "batch_size": 2000},
    ]
    tight = [
        {"kind": "latency", "p95_ms": 1e-6, "n_calls": 30},
        {"kind": "throughput", "min_rows_per_second": 1e12, "batch_size": 2000},
        {"kind": "artifact_size", "max_mb": 1e-6},
        {"kind": "memory", "max_mb": 1e-6, "batch_size": 2000},
    ]
    assert [c.status for c in _gate(loose, eval_df, good_model, policy=pol).checks] == ["pass"] * 4
    assert [c.status for c in _gate(tight, eval_df, good_model, policy=pol).checks] == ["fail"] * 4


def test_ops_refuse_precomputed_predictions(tmp_path: Any, eval_df: pd.DataFrame) -> None:
    preds = tmp_path / "p.csv"
    pd.DataFrame({"score": np.full(len(eval_df), 0.5)}).to_csv(preds, index=False)
    with pytest.raises(ParameterError, match="precomputed predictions"):
        _gate([{"kind": "latency", "p95_ms": 10}], eval_df, str(preds),
              policy={"target": "churned"})  # fmt: skip


def test_missing_target_and_champion_are_clear_errors(eval_df: pd.DataFrame,
                                                      good_model: Any) -> None:  # fmt: skip
    with pytest.raises(ParameterError, match="needs labels"):
        run({"checks": [{"kind": "metric", "metric": "f1", "min": 0.5}]},
            candidate=good_model, data=eval_df.drop(columns="churned"))  # fmt: skip
    with pytest.raises(ParameterError, match="--champion"):
        _gate([{"kind": "champion", "metric": "f1"}], eval_df, good_model,
              policy={"target": "churned"})  # fmt: skip


def test_regression_task_metrics() -> None:
    rng = np.random.default_rng(11)
    df = make_churn(500, 3)[FEATURES].assign(y=rng.normal(size=500))
    pred = df["y"].to_numpy() + rng.normal(0, 0.5, 500)

    class Reg:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            out: np.ndarray = pred[X.index.to_numpy()]
            return out

    rep = _gate([{"kind": "metric", "metric": "mae", "max": 0.5},
                 {"kind": "champion", "metric": "rmse", "margin": 0.05}],
                df, Reg(), champion=Reg(), policy={"task": "regression"})  # fmt: skip
    assert rep.checks[0].observed == pytest.approx(np.mean(np.abs(pred - df["y"])), rel=1e-12)
    assert rep.checks[0].status == "pass"
    assert rep.checks[1].status == "pass"
    with pytest.raises(ParameterError, match="task 'binary'"):
        _gate([{"kind": "calibration", "max_ece": 0.1}], df, Reg(),
              policy={"task": "regression"})  # fmt: skip


def test_model_columns_missing_from_features(eval_df: pd.DataFrame, good_model: Any) -> None:
    from driftline.exceptions import SchemaMismatchError

    with pytest.raises(SchemaMismatchError, match="fitted on columns"):
        _gate([{"kind": "metric", "metric": "f1", "min": 0.5}], eval_df, good_model,
              policy={"target": "churned", "exclude": ["age"]})  # fmt: skip


def test_slice_metric_must_fit_the_task(scored: Any) -> None:
    df, p = scored
    with pytest.raises(ParameterError, match="does not apply to task 'binary'"):
        _gate([{"kind": "slices", "metric": "mae", "max_value": 1.0}], df, FixedScores(p))


def test_csv_files_are_read_with_typed_columns(
    tmp_path: Any, train_df: pd.DataFrame, eval_df: pd.DataFrame, good_model: Any
) -> None:
    ev, tr = tmp_path / "eval.csv", tmp_path / "train.csv"
    eval_df.to_csv(ev, index=False)
    pd.concat([train_df, eval_df.iloc[:20]]).to_csv(tr, index=False)
    checks = [{"kind": "metric", "metric": "roc_auc", "min": 0.5}, {"kind": "train_overlap"}]
    rep = _gate(checks, str(ev), good_model, train_data=str(tr), policy={"target": "churned"})
    in_memory = _gate(checks[:1], eval_df, good_model, policy={"target": "churned"})
    assert rep.checks[0].observed == pytest.approx(in_memory.checks[0].observed, abs=1e-12)
    assert rep.checks[1].observed == pytest.approx(20 / len(eval_df))
