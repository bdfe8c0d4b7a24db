"""Loading candidates: ONNX, skops (reviewed types), pickle only on request, predictions files."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from driftline.exceptions import SchemaMismatchError, SerializationError, UnsupportedInputError
from driftline.gate import load_model, run

pytest.importorskip("onnxruntime")
pytest.importorskip("skops")


class Doubler(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """A custom transformer: a type no allowlist knows."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, X: Any) -> Any:
        return np.asarray(X) * 2


@pytest.fixture(scope="module")
def numeric() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = pd.Series((X["a"] + 0.5 * X["b"] + rng.normal(0, 1, 600) > 0).astype(int), name="y")
    return X, y


def test_onnx_scores_match_sklearn(tmp_path: Path, numeric: Any) -> None:
    from skl2onnx import to_onnx

    X, y = numeric
    model = LogisticRegression().fit(X.to_numpy(np.float32), y)
    onx = to_onnx(model, X.to_numpy(np.float32)[:1], options={"zipmap": False})
    path = tmp_path / "m.onnx"
    path.write_bytes(onx.SerializeToString())
    loaded = load_model(path)
    assert loaded.kind == "onnx"
    assert loaded.size_bytes == path.stat().st_size
    expected = model.predict_proba(X.to_numpy(np.float32))[:, 1]
    np.testing.assert_allclose(loaded.score(X), expected, atol=1e-5)


def test_onnx_zipmap_output_is_supported(tmp_path: Path, numeric: Any) -> None:
    from skl2onnx import to_onnx

    X, y = numeric
    model = LogisticRegression().fit(X.to_numpy(np.float32), y)
    path = tmp_path / "z.onnx"
    path.write_bytes(to_onnx(model, X.to_numpy(np.float32)[:1]).SerializeToString())
    expected = model.predict_proba(X.to_numpy(np.float32))[:, 1]
    np.testing.assert_allclose(load_model(path).score(X), expected, atol=1e-5)


def test_skops_with_reviewed_types_loads(tmp_path: Path, numeric: Any) -> None:
    import skops.io as sio

    X, y = numeric
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    loaded = load_model(path)
    assert loaded.kind == "skops"
    np.testing.assert_allclose(loaded.score(X), model.predict_proba(X)[:, 1], rtol=1e-12)


def test_skops_with_unknown_type_is_refused(tmp_path: Path, numeric: Any) -> None:
    import skops.io as sio

    X, y = numeric
    model = make_pipeline(Doubler(), LogisticRegression()).fit(X, y)
    path = tmp_path / "custom.skops"
    sio.dump(model, path)
    with pytest.raises(SerializationError, match="Doubler") as info:
        load_model(path)
    assert "allowlist" in str(info.value)
    trusted = list(sio.get_untrusted_types(file=str(path)))
    loaded = load_model(path, trusted_types=trusted)
    np.testing.assert_allclose(loaded.score(X), model.predict_proba(X)[:, 1])


def test_pickle_refused_without_opt_in(tmp_path: Path, numeric: Any) -> None:
    X, y = numeric
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(UnsupportedInputError, match="allow_pickle=True"):
        load_model(path)
    with pytest.raises(UnsupportedInputError, match="--allow-pickle"):
        load_model(tmp_path / "other.joblib")
    policy = {"target": "y", "checks": [{"kind": "metric", "metric": "roc_auc", "min": 0.5}]}
    data = X.assign(y=y)
    with pytest.raises(UnsupportedInputError):
        run(policy, candidate=path, data=data)
    report = run(policy, candidate=path, data=data, allow_pickle=True)
    assert report.inputs["allow_pickle"] is True
    assert report.inputs["candidate"].startswith("pickle:")
    assert any("Pickle loaded" in n for n in report.notes)


def test_predictions_file(tmp_path: Path, numeric: Any) -> None:
    X, y = numeric
    rng = np.random.default_rng(1)
    s = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.2, len(y)), 0, 1)
    cand = tmp_path / "cand.csv"
    pd.DataFrame({"p": s}).to_csv(cand, index=False)
    champ = tmp_path / "champ.parquet"
    pd.DataFrame({"q": s}).to_parquet(champ)
    data = tmp_path / "eval.parquet"
    X.assign(y=y).to_parquet(data)
    policy = {
        "target": "y",
        "candidate_column": "p",
        "champion_column": "q",
        "checks": [{"kind": "champion", "metric": "roc_auc", "margin": 0.0}],
    }
    report = run(policy, candidate=cand, champion=champ, data=data)
    assert report.checks[0].observed == 0.0
    assert report.inputs["candidate"].startswith("predictions:")
    with pytest.raises(SchemaMismatchError, match="no column 'score'"):
        run({**policy, "candidate_column": "score"}, candidate=cand, data=data)
    short = tmp_path / "short.csv"
    pd.DataFrame({"p": s[:10]}).to_csv(short, index=False)
    with pytest.raises(SchemaMismatchError, match="aligned row by row"):
        run(policy, candidate=short, champion=champ, data=data)


def test_unknown_inputs_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedInputError, match="estimator"):
        load_model(42)
    odd = tmp_path / "m.bin"
    odd.write_bytes(b"x")
    with pytest.raises(UnsupportedInputError, match=r"\.onnx, \.skops"):
        load_model(odd)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(SerializationError, match="onnxruntime cannot load"):
        load_model(bad)


def test_onnx_one_input_per_column_in_a_gate_run(tmp_path: Path) -> None:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from .conftest import FEATURES, fit_model, make_churn

    train, ev = make_churn(1500, 1), make_churn(1000, 2)
    model = fit_model(train, FEATURES)
    types = [("age", FloatTensorType([None, 1])), ("tenure", FloatTensorType([None, 1])),
             ("plan", StringTensorType([None, 1])), ("gender", StringTensorType([None, 1]))]  # fmt: skip
    path = tmp_path / "pipe.onnx"
    path.write_bytes(
        to_onnx(model, initial_types=types, options={"zipmap": False}).SerializeToString()
    )
    np.testing.assert_allclose(
        load_model(path).score(ev[FEATURES]), model.predict_proba(ev[FEATURES])[:, 1], atol=1e-5
    )
    policy = {
        "target": "churned",
        "checks": [
            {"kind": "metric", "metric": "roc_auc", "min": 0.7},
            {"kind": "latency", "p95_ms": 1000, "n_calls": 20},
            {"kind": "throughput", "min_rows_per_second": 10, "batch_size": 1000},
            {"kind": "memory", "max_mb": 1000, "batch_size": 1000},
            {"kind": "artifact_size", "max_mb": 10},
        ],
    }
    report = run(policy, candidate=path, data=ev)
    assert report.verdict == "pass", report.summary()
    assert report.checks[4].observed == pytest.approx(path.stat().st_size / 1e6)
    assert report.digests["candidate"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_onnx_single_tensor_with_text_columns_is_a_clear_error(tmp_path: Path,
                                                               numeric: Any) -> None:  # fmt: skip
    from skl2onnx import to_onnx

    X, y = numeric
    model = LogisticRegression().fit(X.to_numpy(np.float32), y)
    path = tmp_path / "m.onnx"
    path.write_bytes(to_onnx(model, X.to_numpy(np.float32)[:1]).SerializeToString())
    with pytest.raises(SchemaMismatchError, match="one numeric tensor"):
        load_model(path).score(X.assign(c=["t"] * len(X)))
