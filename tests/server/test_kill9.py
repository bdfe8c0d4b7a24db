"""kill -9 the server during sustained ingestion, restart it, retry what was not
acknowledged: every acknowledged row is stored exactly once, retried rows are not doubled.

A real uvicorn process (the ``create_app`` factory, coalescing ingestor on) on SQLite and
on PostgreSQL; four client threads stream 100-row batches with client-generated ids.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from driftline.store import (
    Catalog,
    PredictionStore,
    TokenRepository,
    VersionSchema,
    Window,
    create_engine_from_url,
    migrate,
    session_factory,
)
from driftline.store._models import Prediction, PredictionBatch

SERVER = (
    "import os, uvicorn\n"
    "uvicorn.run('driftline.server:create_app', factory=True, host='127.0.0.1',\n"
    "            port=int(os.environ['KILL9_PORT']), log_level='warning', access_log=False)\n"
)
PATH = "/api/v1/projects/kill9/models/m/versions/1/predictions"
ARROW = "application/vnd.apache.arrow.stream"
ROWS = 100
SENDERS = 4
SCHEMA = VersionSchema({"x": "numeric", "city": "categorical"})
T0 = datetime(2026, 11, 27, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, url: str) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "DRIFTLINE_DATABASE_URL": url,
            "DRIFTLINE_SERVER_MONITOR": "false",
            "DRIFTLINE_INGEST_COALESCE": "true",
            "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
            "KILL9_PORT": str(self.port),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                assert self.proc.stderr is not None
                pytest.fail(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail("the server did not answer /api/v1/health within 30 s")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the whole uvicorn process group
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _body(batch: int) -> bytes:
    rng = np.random.default_rng(batch)
    table = pa.table(
        {
            "prediction_id": [f"b{batch:05d}-{k:03d}" for k in range(ROWS)],
            "timestamp": pa.array(
                [T0 + timedelta(seconds=batch)] * ROWS, pa.timestamp("us", tz="UTC")
            ),
            "x": rng.normal(size=ROWS),
            "city": rng.choice(["a", "b", "c"], size=ROWS).tolist(),
            "score": rng.random(ROWS),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


@dataclass
class _Ledger:
    """What the clients know: acknowledged batches and their answers."""

    acked: dict[int, dict[str, object]] = field(default_factory=dict)
    unacked: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _stream(
    url: str, token: str, batches: list[int], ledger: _Ledger, stop: threading.Event
) -> None:
    headers = {"authorization": f"Bearer {token}", "content-type": ARROW}
    with httpx.Client(base_url=url, timeout=30) as client:
        for batch in batches:
            if stop.is_set():
                with ledger.lock:
                    ledger.unacked.add(batch)
                continue
            try:
                response = client.post(PATH, content=_body(batch), headers=headers)
            except httpx.HTTPError:
                response = None
            with ledger.lock:
                if response is not None and response.status_code == 200:
                    ledger.acked[batch] = response.json()
                else:  # no answer (the server died), or an error: not acknowledged
                    ledger.unacked.add(batch)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill9_mid_stream_keeps_every_acknowledged_row_once(
    backend: str, new_database_url: Callable[[str], str]
) -> None:
    url = new_database_url(backend)
    engine = create_engine_from_url(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project("kill9")
        model = catalog.create_model(project.id, "m")
        version_id = catalog.create_version(model.id, "1", SCHEMA).id
        token = TokenRepository(session).create(project.id, name="k", role="editor").secret

    ledger = _Ledger()
    stop = threading.Event()
    plan = list(range(80))  # more than can be sent before the kill
    server = _Server(url)
    try:
        senders = [
            threading.Thread(
                target=_stream, args=(server.url, token, plan[i::SENDERS], ledger, stop)
            )
            for i in range(SENDERS)
        ]
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + 20
        while len(ledger.acked) < 12 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(ledger.acked) >= 12, "the stream never got going"
        server.kill()  # kill -9, mid-stream: requests are in flight
        stop.set()
        for sender in senders:
            sender.join(timeout=60)
    finally:
        server.kill()
    acked_before = dict(ledger.acked)
    assert ledger.unacked, "the kill should leave unacknowledged batches"
    assert set(acked_before) | ledger.unacked == set(plan)

    # Restart on the same database; retry every unacknowledged batch, and a few
    # acknowledged ones too (a client that lost an answer would).
    server = _Server(url)
    retried = _Ledger()
    try:
        todo = sorted(ledger.unacked) + sorted(acked_before)[:3]
        again = [
            threading.Thread(
                target=_stream,
                args=(server.url, token, todo[i::SENDERS], retried, threading.Event()),
            )
            for i in range(SENDERS)
        ]
        for sender in again:
            sender.start()
        for sender in again:
            sender.join(timeout=60)
    finally:
        server.stop()
    assert not retried.unacked, "a retried batch was not acknowledged after the restart"

    expected = {f"b{b:05d}-{k:03d}" for b in plan for k in range(ROWS)}
    with engine.connect() as conn:
        stored = list(
            conn.execute(
                select(Prediction.prediction_id).where(Prediction.model_version_id == version_id)
            ).scalars()
        )
        blob_rows = conn.execute(
            select(func.sum(PredictionBatch.row_count)).where(
                PredictionBatch.model_version_id == version_id
            )
        ).scalar_one()
        window_rows = conn.execute(
            select(func.sum(Window.row_count)).where(Window.model_version_id == version_id)
        ).scalar_one()
    # every acknowledged row is stored, exactly once, in the index, the blobs and the counts
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    assert blob_rows == window_rows == len(expected)
    store = PredictionStore(engine)
    in_blobs = pa.concat_tables(
        [store.read_window(w.id).select(["prediction_id"]) for w in store.windows(version_id)]
    )["prediction_id"].to_pylist()
    assert sorted(in_blobs) == sorted(expected)
    # No row was accepted twice. An acknowledged batch was accepted whole; a retried batch
    # is accepted or reported duplicate row by row (duplicate: its first attempt committed
    # but died before answering); an acknowledged batch sent again is all duplicates.
    answers = list(acked_before.values()) + [
        a for b, a in retried.acked.items() if b not in acked_before
    ]
    accepted = [p for a in answers for p in a["prediction_ids"]]  # type: ignore[attr-defined]
    assert len(accepted) == len(set(accepted))
    assert all(a["accepted"] == ROWS for a in acked_before.values())
    for batch, answer in retried.acked.items():
        if batch in acked_before:
            assert (answer["accepted"], len(answer["duplicates"])) == (0, ROWS)  # type: ignore[arg-type]
        else:
            assert answer["accepted"] + len(answer["duplicates"]) == ROWS  # type: ignore[operator, arg-type]
    engine.dispose()
