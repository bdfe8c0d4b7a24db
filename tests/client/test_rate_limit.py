"""The real server's per-token rate limit (429 + Retry-After) is honoured by the SDK."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from driftline.client import Client
from driftline.store import Model, ModelVersion, Prediction

from .conftest import RealServer, bootstrap


def frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    score = 1.0 / (1.0 + np.exp(-x))
    return pd.DataFrame(
        {
            "x": x,
            "city": rng.choice(["oslo", "lima", "pune"], n),
            "flag": rng.random(n) < 0.3,
            "score": score,
            "label": (rng.random(n) < score).astype(int),
        }
    )


def stored(engine, model: str, version: str) -> dict[str, tuple[float | None, float | None]]:
    """prediction id -> (score, label) as stored, straight from the store's tables."""
    query = (
        select(Prediction.prediction_id, Prediction.score, Prediction.label)
        .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name == model, ModelVersion.version == version)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    result = {r[0]: (r[1], r[2]) for r in rows}
    assert len(result) == len(rows)
    return result


def count(engine, model: str, version: str) -> int:
    query = (
        select(func.count())
        .select_from(Prediction)
        .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name == model, ModelVersion.version == version)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_rate_limited_requests_wait_for_retry_after(tmp_path) -> None:
    url, engine, _, token = bootstrap(tmp_path)
    server = RealServer(url, rate=2.0).start()
    try:
        with Client(server.url, token, project="acme", retries=10) as client:
            client.create_model("limited")  # resource calls also wait out a 429
            client.register_version("limited", "1", schema={"x": "numeric"})
            start = time.monotonic()
            ids = []
            for k in range(6):
                ids += client.log_predictions(
                    "limited", "1", {"x": [float(k)] * 10, "score": [0.5] * 10}
                )
                client.flush(30)
            elapsed = time.monotonic() - start
            stats = client.stats
    finally:
        server.stop()
    assert stats.retries >= 1
    assert stats.rows_sent == 60
    assert stats.rows_failed == 0
    assert elapsed >= 1.0  # waited as Retry-After asked
    assert sorted(stored(engine, "limited", "1")) == sorted(ids)
    engine.dispose()
