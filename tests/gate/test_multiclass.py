"""Multiclass end to end on scikit-learn's wine data: evaluate, compare, the gate (models and
prediction files), and the CLI, against scikit-learn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from driftline.gate import run
from driftline.metrics import compare_metric, evaluate

NAMES = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine() -> dict[str, Any]:
    x, y = load_wine(return_X_y=True, as_frame=True)
    x.columns = [c.replace("/", "_") for c in x.columns]
    labels = pd.Series(NAMES[y.to_numpy()], index=x.index, name="cultivar")
    xtr, xte, ytr, yte = train_test_split(x, labels, test_size=0.5, random_state=0, stratify=labels)
    good = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(xtr, ytr)
    weak_cols = ["alcohol", "malic_acid"]
    weak = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        xtr[weak_cols], ytr
    )
    data = xte.assign(cultivar=yte.to_numpy()).reset_index(drop=True)
    return {
        "data": data,
        "good": good,
        "weak": _Subset(weak, weak_cols),
        "p_good": good.predict_proba(xte),
        "p_weak": weak.predict_proba(xte[weak_cols]),
        "classes": list(good.classes_),
        "y": yte.to_numpy(),
    }


class _Subset:
    """A model that uses some columns only (and says its classes)."""

    def __init__(self, model: Any, cols: list[str]) -> None:
        self.model, self.cols, self.classes_ = model, cols, model.classes_

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict_proba(x[self.cols]))


def _sk(y: np.ndarray, p: np.ndarray, classes: list[str]) -> dict[str, float]:
    pred = np.asarray(classes)[p.argmax(axis=1)]
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
        "f1_weighted": skm.f1_score(y, pred, average="weighted"),
        "roc_auc_ovr_macro": skm.roc_auc_score(y, p, multi_class="ovr", labels=classes),
        "log_loss": skm.log_loss(y, p, labels=classes),
    }


def test_evaluate_multiclass_equals_scikit_learn(wine: dict[str, Any]) -> None:
    rep = evaluate(wine["y"], wine["p_good"], task="multiclass", labels=wine["classes"],
                   random_state=0)  # fmt: skip
    for name, want in _sk(wine["y"], wine["p_good"], wine["classes"]).items():
        assert rep[name].value == pytest.approx(want, abs=1e-12), name


def _fast(codes: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The same four metrics in plain numpy (checked against scikit-learn below)."""
    pred = p.argmax(axis=1)
    k = p.shape[1]
    cm = np.bincount(codes * k + pred, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(cm)
    f1s = 2 * tp / (2 * tp + (cm.sum(0) - tp) + (cm.sum(1) - tp))
    aucs = []
    for j in range(k):
        pos = codes == j
        r = stats.rankdata(p[:, j])
        n1, n0 = pos.sum(), (~pos).sum()
        aucs.append((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
    eps = np.finfo(float).eps
    return {
        "accuracy": float((pred == codes).mean()),
        "f1_macro": float(f1s.mean()),
        "roc_auc_ovr_macro": float(np.mean(aucs)),
        "log_loss": float(-np.log(np.clip(p[np.arange(codes.size), codes], eps, 1 - eps)).mean()),
    }


def test_paired_multiclass_comparison_against_a_row_bootstrap(wine: dict[str, Any]) -> None:
    y, pa, pb, classes = wine["y"], wine["p_good"], wine["p_weak"], wine["classes"]
    codes = np.searchsorted(classes, y)
    for name, value in _fast(codes, pa).items():  # the numpy reference is scikit-learn's
        assert value == pytest.approx(_sk(y, pa, classes)[name], abs=1e-12), name
    rng = np.random.default_rng(0)
    reps = []
    for rows in rng.integers(0, y.size, (2000, y.size)):
        if len(set(codes[rows])) == 3:
            a, b = _fast(codes[rows], pa[rows]), _fast(codes[rows], pb[rows])
            reps.append({m: a[m] - b[m] for m in a})
    for metric in ("accuracy", "f1_macro", "roc_auc_ovr_macro", "log_loss"):
        c = compare_metric(y, pa, pb, metric=metric, labels=classes, n_resamples=2000,
                           random_state=1)  # fmt: skip
        va, vb = _sk(y, pa, classes)[metric], _sk(y, pb, classes)[metric]
        assert (c.value_a, c.value_b) == pytest.approx((va, vb), abs=1e-12), metric
        assert c.difference == pytest.approx(va - vb, abs=1e-12)
        lo, hi = np.quantile([r[metric] for r in reps], [0.025, 0.975])
        # 2,000 brute-force row resamples of 89 rows: the widths agree within 15%.
        assert c.ci_high - c.ci_low == pytest.approx(hi - lo, rel=0.15), (metric, c, lo, hi)


def test_gate_multiclass_with_models(wine: dict[str, Any]) -> None:
    """Before: task 'multiclass' was refused by the policy."""
    sk = _sk(wine["y"], wine["p_good"], wine["classes"])
    checks = [{"kind": "metric", "metric": m, ("max" if m == "log_loss" else "min"): 0.5}
              for m in sk]  # fmt: skip
    checks += [
        {"kind": "champion", "metric": "f1_macro", "margin": 0.0},
        {"kind": "champion", "metric": "roc_auc_ovr_macro", "margin": 0.0},
        {"kind": "champion", "metric": "log_loss", "margin": 0.0},
        {"kind": "calibration", "max_ece": 0.5},
        {"kind": "target_leakage", "max_strength": 0.999},
    ]
    policy = {"task": "multiclass", "target": "cultivar", "n_resamples": 500, "checks": checks}
    rep = run(policy, candidate=wine["good"], champion=wine["weak"], data=wine["data"])
    observed = {c.name.split(" ")[0]: c.observed for c in rep.checks[: len(sk)]}
    for name, want in sk.items():
        assert observed[name] == pytest.approx(want, abs=1e-12), name
    assert [c.status for c in rep.checks] == ["pass"] * len(checks), [c.reason for c in rep.checks]
    assert rep.inputs["classes"] == wine["classes"]
    swapped = run(policy, candidate=wine["weak"], champion=wine["good"], data=wine["data"])
    champions = [c for c in swapped.checks if c.kind == "champion"]
    assert [c.status for c in champions] == ["fail"] * 3


def test_gate_multiclass_with_prediction_files(wine: dict[str, Any], tmp_path: Path) -> None:
    """Per-class probability columns are matched to the classes by name, in any order."""
    p, classes = wine["p_good"], wine["classes"]
    order = [2, 0, 1]
    cand = tmp_path / "cand.csv"
    pd.DataFrame({f"proba_{classes[j]}": p[:, j] for j in order}).assign(id=1).to_csv(
        cand, index=False
    )
    champ = tmp_path / "champ.parquet"
    pd.DataFrame({f"{c}_p": wine["p_weak"][:, j] for j, c in enumerate(classes)}).to_parquet(champ)
    checks = [{"kind": "metric", "metric": "f1_macro", "min": 0.5},
              {"kind": "champion", "metric": "accuracy"}]  # fmt: skip
    policy = {"task": "multiclass", "target": "cultivar", "n_resamples": 300, "checks": checks}
    by_file = run(policy, candidate=str(cand), champion=str(champ), data=wine["data"])
    by_model = run(policy, candidate=wine["good"], champion=wine["weak"], data=wine["data"])
    assert [c.observed for c in by_file.checks] == pytest.approx(
        [c.observed for c in by_model.checks], abs=1e-12
    )
    explicit = {**policy, "candidate_columns": {c: f"proba_{c}" for c in classes}}
    assert run(explicit, candidate=str(cand), data=wine["data"], champion=str(champ)).checks[
        0
    ].observed == pytest.approx(by_model.checks[0].observed)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({f"s{j}": p[:, j] for j in range(3)}).to_csv(bad, index=False)
    from driftline.exceptions import DataError

    with pytest.raises(DataError, match="do not name the classes"):
        run(policy, candidate=str(bad), data=wine["data"])


def test_gate_and_evaluate_cli_multiclass(wine: dict[str, Any], tmp_path: Path,
                                          run_cli: Any) -> None:  # fmt: skip
    classes = wine["classes"]
    data = wine["data"].assign(**{f"p_{c}": wine["p_good"][:, j] for j, c in enumerate(classes)})
    data.to_parquet(tmp_path / "eval.parquet")
    cols = ",".join(f"p_{c}" for c in reversed(classes))  # any order: matched by name
    out = run_cli("evaluate", "eval.parquet", "--target", "cultivar", "--task", "multiclass",
                  "--score", cols, "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)["metrics"]
    for name, want in _sk(wine["y"], wine["p_good"], classes).items():
        assert got[name]["value"] == pytest.approx(want, abs=1e-12), name
    (tmp_path / "gate.yaml").write_text(
        "task: multiclass\ntarget: cultivar\nchecks:\n  - f1_macro >= 0.9\n"
        "  - kind: slices\n    metric: accuracy\n    min_support: 500\n    min_value: 0.5\n"
    )
    pd.DataFrame({f"p_{c}": wine["p_good"][:, j] for j, c in enumerate(classes)}).to_csv(
        tmp_path / "cand.csv", index=False
    )
    gate = run_cli("gate", "run", "--policy", "gate.yaml", "--candidate", "cand.csv",
                   "--data", "eval.parquet", "--json")  # fmt: skip
    assert gate.returncode == 0, gate.stderr
    report = json.loads(gate.stdout)
    assert [c["status"] for c in report["checks"]] == ["pass", "not_evaluated"]
    assert report["verdict"] == "warn"


@pytest.mark.parametrize("zipmap", [True, False])
def test_gate_multiclass_with_onnx_and_skops(wine: dict[str, Any], tmp_path: Path,
                                             zipmap: bool) -> None:  # fmt: skip
    """ONNX ZipMap outputs carry the class labels; a plain tensor is in sorted class order."""
    pytest.importorskip("onnxruntime")
    import skops.io as sio
    from skl2onnx import to_onnx

    x = wine["data"].drop(columns="cultivar")
    onx = to_onnx(wine["good"], x.to_numpy(np.float32)[:1], options={"zipmap": zipmap})
    path = tmp_path / "m.onnx"
    path.write_bytes(onx.SerializeToString())
    sk_path = tmp_path / "m.skops"
    sio.dump(wine["good"], sk_path)
    policy = {"task": "multiclass", "target": "cultivar", "checks": [
        "accuracy >= 0.5", "log_loss <= 1.0", "roc_auc_ovr_macro >= 0.5"]}  # fmt: skip
    want = [c.observed for c in run(policy, candidate=wine["good"], data=wine["data"]).checks]
    for candidate in (str(path), str(sk_path)):
        rep = run(policy, candidate=candidate, data=wine["data"],
                  trusted_types=sio.get_untrusted_types(file=str(sk_path)))  # fmt: skip
        assert rep.inputs["classes"] == wine["classes"]
        assert [c.observed for c in rep.checks] == pytest.approx(want, abs=1e-5)  # float32
