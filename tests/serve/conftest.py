"""Serving fixtures: small scikit-learn models trained on generated data, saved as ONNX
(skl2onnx) and skops files; a real driftline monitoring server in a child process."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

# The PostgreSQL fixtures of the store tests (fresh database per session; FAIL under CI=true).
_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest_serve", Path(__file__).resolve().parents[1] / "store" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_conftest)
postgres_databases = _store_conftest.postgres_databases
new_database_url = _store_conftest.new_database_url

FEATURES = ["amount", "age", "balance"]


def make_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "amount": rng.lognormal(3.0, 1.0, n),
            "age": rng.integers(18, 90, n).astype(np.float64),
            "balance": rng.normal(1000.0, 300.0, n),
        }
    )
    logit = 0.02 * (x["amount"] - 30) - 0.03 * (x["age"] - 50) + 0.002 * (x["balance"] - 1000)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y.to_numpy() if hasattr(y, "to_numpy") else y


@dataclass
class Models:
    frame: pd.DataFrame
    labels: np.ndarray
    classifier: Any  # the fitted scikit-learn LogisticRegression
    regressor: Any
    multiclass: Any
    onnx: Path  # classifier, one float tensor, feature_names metadata, no ZipMap
    onnx_zipmap: Path  # classifier with ZipMap output, one [rows, 1] input per column
    onnx_regression: Path
    skops: Path  # classifier
    skops_hgb: Path  # HistGradientBoostingClassifier (reviewed allowlist types)
    skops_regression: Path
    skops_multiclass: Path


def _onnx(model: Any, path: Path, *, zipmap: bool = False, per_column: bool = False) -> Path:
    import onnx
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    if per_column:
        types = [(name, FloatTensorType([None, 1])) for name in FEATURES]
    else:
        types = [("X", FloatTensorType([None, len(FEATURES)]))]
    options = (
        None if zipmap or not hasattr(model, "predict_proba") else {id(model): {"zipmap": False}}
    )
    proto = convert_sklearn(model, initial_types=types, options=options, target_opset=17)
    if not per_column:
        entry = proto.metadata_props.add()
        entry.key, entry.value = "feature_names", json.dumps(FEATURES)
    onnx.save(proto, str(path))
    return path


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    import skops.io
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d = tmp_path_factory.mktemp("models")
    x, y = make_frame(2000, seed=0)
    clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    reg = LinearRegression().fit(x, x["amount"] * 2 + x["age"])
    multi_y = np.digitize(x["amount"], [15.0, 40.0])
    multi = LogisticRegression(max_iter=500).fit(x, multi_y)
    hgb = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    paths = {}
    for name, obj in (("clf", clf), ("hgb", hgb), ("reg", reg), ("multi", multi)):
        paths[name] = d / f"{name}.skops"
        skops.io.dump(obj, paths[name])
    # ONNX converters want float32 numpy input; fit copies without feature names
    clf_np = make_pipeline(StandardScaler(), LogisticRegression()).fit(x.to_numpy(), y)
    reg_np = LinearRegression().fit(x.to_numpy(), x["amount"] * 2 + x["age"])
    return Models(
        frame=x, labels=y, classifier=clf, regressor=reg, multiclass=multi,
        onnx=_onnx(clf_np, d / "clf.onnx"),
        onnx_zipmap=_onnx(clf_np, d / "clf_zipmap.onnx", zipmap=True, per_column=True),
        onnx_regression=_onnx(reg_np, d / "reg.onnx"),
        skops=paths["clf"], skops_hgb=paths["hgb"], skops_regression=paths["reg"],
        skops_multiclass=paths["multi"],
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"the process exited at start:\n{out[-4000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"nothing answered on {url} in {timeout} s")


class Monitor:
    """``driftline server`` (the monitoring API) on a SQLite file, in a child process that a
    test can kill and start again on the same port and database."""

    def __init__(self, tmp: Path) -> None:
        from driftline.store import (
            Catalog,
            TokenRepository,
            create_engine_from_url,
            migrate,
            session_factory,
        )

        self.database_url = f"sqlite:///{tmp / 'monitor.db'}"
        self.engine = create_engine_from_url(self.database_url)
        migrate(self.engine)
        with session_factory(self.engine).begin() as session:
            project = Catalog(session).create_project("acme")
            self.token = (
                TokenRepository(session).create(project.id, name="serve", role="editor").secret
            )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Monitor:
        import os

        env = {**os.environ, "DRIFTLINE_DATABASE_URL": self.database_url,
               "DRIFTLINE_SERVER_MONITOR": "false", "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
               "DRIFTLINE_LOG_LEVEL": "warning"}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "driftline", "server", "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_http(f"{self.url}/api/v1/health", self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stored_ids(self, model: str, version: str) -> list[str]:
        from sqlalchemy import select

        from driftline.store._models import Model, ModelVersion, Prediction

        query = (
            select(Prediction.prediction_id)
            .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
            .join(Model, Model.id == ModelVersion.model_id)
            .where(Model.name == model, ModelVersion.version == version)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[Monitor]:
    server = Monitor(tmp_path).start()
    yield server
    server.kill()
    server.engine.dispose()
