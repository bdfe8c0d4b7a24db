"""Every prediction is logged with its id, off the request path: into the local store
in-process, or through the SDK to a real monitoring server, which is killed mid-load and
restarted: every prediction arrives exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from driftline.serve import PredictionLog, create_app, load_model, prediction_log_to
from driftline.serve._spill import SpillQueue
from driftline.store import Model, ModelVersion, create_engine_from_url
from driftline.store._models import Prediction

from .conftest import Models, Monitor


def _stored(url: str, model: str, version: str) -> dict[str, tuple[float | None, float | None]]:
    engine = create_engine_from_url(url)
    query = (
        select(Prediction.prediction_id, Prediction.score, Prediction.prediction)
        .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name == model, ModelVersion.version == version)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    engine.dispose()
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    return {r[0]: (r[1], r[2]) for r in rows}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_predictions_are_logged_in_process_with_their_ids(
    tmp_path: Path, models: Models, backend: str, new_database_url: Callable[[str], str]
) -> None:
    url = new_database_url(backend)
    model = load_model(models.onnx, name="fraud", version="2")
    log = prediction_log_to(model, url, project="acme", spill_dir=tmp_path / "spill")
    sent: dict[str, float] = {}
    with TestClient(create_app(model, prediction_log=log)) as http:
        for i in range(30):
            rows = models.frame.iloc[i * 3 : i * 3 + 1 + i % 3]
            headers = {"X-Request-Id": f"req-{i}"} if i % 2 else {}
            r = http.post("/invocations", json={"dataframe_records": rows.to_dict("records")},
                          headers=headers)  # fmt: skip
            assert r.status_code == 200, r.text
            rid = r.headers["x-request-id"]
            if i % 2:
                assert rid == f"req-{i}"
            proba = [p[1] for p in r.json()["probabilities"]]
            ids = [rid] if len(rows) == 1 else [f"{rid}-{k}" for k in range(len(rows))]
            sent.update(zip(ids, proba, strict=True))
    stored = _stored(url, "fraud", "2")
    assert set(stored) == set(sent)
    for pid, score in sent.items():
        assert stored[pid][0] == pytest.approx(score, abs=1e-6)
        assert stored[pid][1] == float(score >= 0.5)
    assert log.counts["sent"] == len(sent)
    assert log.counts["dropped"] == 0


def test_a_stopped_monitor_mid_load_loses_and_doubles_nothing(
    tmp_path: Path, models: Models, monitor: Monitor
) -> None:
    model = load_model(models.skops, name="fraud", version="7")
    log = prediction_log_to(model, monitor.url, token=monitor.token,
                            spill_dir=tmp_path / "spill")  # fmt: skip
    log.flush_interval = 0.05
    served: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []
    records = models.frame.head(400).to_dict("records")

    with TestClient(create_app(model, prediction_log=log, max_latency_ms=2000)) as http:

        def client(k: int) -> None:
            i = 0
            while not stop.is_set():
                rows = records[(k * 37 + i) % 390 : (k * 37 + i) % 390 + 1 + i % 4]
                r = http.post("/invocations", json={"dataframe_records": rows},
                              headers={"X-Request-Id": f"c{k}-{i}"})  # fmt: skip
                if r.status_code != 200:
                    errors.append(r.text)
                else:
                    ids = (
                        [f"c{k}-{i}"]
                        if len(rows) == 1
                        else [f"c{k}-{i}-{j}" for j in range(len(rows))]
                    )
                    with lock:
                        served.extend(ids)
                i += 1
                time.sleep(0.002)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while log.counts["sent"] < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.counts["sent"] >= 300, "logging never reached the monitor"
        monitor.kill()  # mid-load: the SDK's requests fail, rows spill to disk
        while log.counts["spilled"] < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.counts["spilled"] >= 300
        assert len(log.spill) > 0
        monitor.start()  # back on the same port and database
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        assert log.flush(60), f"not delivered: {log.pending_rows} rows pending"
    assert not errors, errors[:3]
    stored = monitor.stored_ids("fraud", "7")
    assert len(stored) == len(set(stored)), "a prediction was stored twice"
    assert sorted(stored) == sorted(served), "a prediction was lost"
    assert log.counts["dropped"] == 0
    assert log.counts["rejected"] == 0
    assert len(served) > 600


def test_rows_on_disk_at_shutdown_are_delivered_by_the_next_start(
    tmp_path: Path, models: Models, monitor: Monitor
) -> None:
    model = load_model(models.onnx, name="fraud", version="9")
    spill = tmp_path / "spill"
    monitor.kill()
    log = prediction_log_to(model, monitor.url, token=monitor.token, spill_dir=spill)
    ids = []
    with TestClient(create_app(model, prediction_log=log)) as http:
        for i in range(20):
            r = http.post("/invocations", json={"instances": [[1.0 + i, 40.0, 900.0]]},
                          headers={"X-Request-Id": f"r{i}"})  # fmt: skip
            assert r.status_code == 200
            ids.append(f"r{i}")
    assert SpillQueue(spill, max_bytes=1 << 30).rows == 20  # closed while the monitor is away
    monitor.start()
    log = prediction_log_to(model, monitor.url, token=monitor.token, spill_dir=spill)
    with TestClient(create_app(model, prediction_log=log)):
        assert log.flush(30)
    assert sorted(monitor.stored_ids("fraud", "9")) == sorted(ids)
    assert SpillQueue(spill, max_bytes=1 << 30).rows == 0


def test_a_full_log_counts_what_it_drops(tmp_path: Path, models: Models) -> None:
    class Away:
        label = "nowhere"

        def prepare(self) -> None:
            from driftline.serve._predlog import SinkUnavailableError

            raise SinkUnavailableError("away")

        def send(self, table: pa.Table) -> int:  # pragma: no cover - never prepared
            raise AssertionError

    counted: dict[str, int] = {}
    log = PredictionLog(Away(), spill_dir=tmp_path / "s", max_memory_rows=10, max_spill_bytes=3000,
                        count=lambda k, n: counted.__setitem__(k, counted.get(k, 0) + n))  # fmt: skip
    table = pa.table({"x": np.arange(10.0), "prediction_id": [str(i) for i in range(10)]})
    for _ in range(20):
        log.log(table)
    log.close(timeout=0.1)
    assert counted.get("dropped", 0) > 0
    assert counted["spilled"] + counted["dropped"] == 200 - log.counts.get("sent", 0)
    assert log.spill.bytes <= 3000


def test_spill_queue_survives_a_torn_write(tmp_path: Path) -> None:
    queue = SpillQueue(tmp_path, max_bytes=1 << 20)
    assert queue.put(pa.table({"x": [1.0]}))
    (tmp_path / "00000000000000000002.tmp").write_bytes(b"half a batch")
    (tmp_path / "00000000000000000003.arrow").write_bytes(b"corrupt")
    again = SpillQueue(tmp_path, max_bytes=1 << 20)
    assert again.rows == 1
    assert len(again) == 1
    assert (tmp_path / "00000000000000000003.bad").exists()
    assert not (tmp_path / "00000000000000000002.tmp").exists()
    assert again.put(pa.table({"x": [2.0]}))
    _path, table = again.peek()  # oldest first
    assert table.to_pydict() == {"x": [1.0]}


def test_log_to_local_reads_the_database_url_setting(
    tmp_path: Path, models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    from driftline.exceptions import ParameterError

    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("DRIFTLINE_DATABASE_URL", url)
    model = load_model(models.onnx, name="fraud", version="1")
    log = prediction_log_to(model, "local", spill_dir=tmp_path / "spill")
    assert str(log.sink.engine.url) == url  # type: ignore[attr-defined]
    with pytest.raises(ParameterError, match="--log-to"):
        prediction_log_to(model, "nowhere", spill_dir=tmp_path / "spill")
    with pytest.raises(ParameterError, match="token"):
        prediction_log_to(model, "http://127.0.0.1:9", spill_dir=tmp_path / "spill")
