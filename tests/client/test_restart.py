"""A SIGKILLed and restarted driftline server loses no acknowledged row and counts none twice."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
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


def test_a_server_restart_does_not_lose_or_double_count_rows(tmp_path) -> None:
    url, engine, _, token = bootstrap(tmp_path)
    server = RealServer(url).start()
    logged: list[str] = []
    stop = threading.Event()
    try:
        client = Client(server.url, token, batch_size=200, flush_interval=0.05,
                        retries=40, backoff=0.05)  # fmt: skip
        client.create_model("restart")
        client.register_version("restart", "1", reference=frame(200, seed=8), target="label")

        batch = pa.Table.from_pandas(frame(50, seed=100).drop(columns="label"))

        def produce() -> None:
            while not stop.is_set():
                logged.extend(client.log_predictions("restart", "1", batch))
                time.sleep(0.01)

        producer = threading.Thread(target=produce)
        producer.start()
        deadline = time.monotonic() + 30
        while client.stats.rows_sent < 600 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()  # SIGKILL, mid-stream
        time.sleep(0.5)  # the client keeps logging and retrying while it is down
        server.start()
        time.sleep(0.5)
        stop.set()
        producer.join()
        client.flush(60)
        stats = client.stats
        client.close()
    finally:
        stop.set()
        server.stop()
    assert stats.retries > 0
    assert len(logged) == len(set(logged)) > 600
    assert count(engine, "restart", "1") == len(logged)
    assert sorted(stored(engine, "restart", "1")) == sorted(logged)
    assert stats.rows_sent == len(logged)
    assert stats.rows_failed == stats.rows_dropped == 0
    engine.dispose()
