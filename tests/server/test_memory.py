"""The server's memory stays flat over a long stream.

A real ``driftline server`` process on SQLite with the monitor running inside it receives a
long stream of prediction batches (time windows of one minute, so windows keep opening,
closing and being computed) and labels for half of them. Its resident memory after the
first third of the stream and at the end must not differ by more than a small allowance,
while the second part of the stream carries twice as many rows as the first.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from driftline.store import (
    Catalog,
    TokenRepository,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)

BATCHES = 450
ROWS = 400  # 180,000 rows in all
ALLOWANCE_MB = 40.0
T0 = datetime(2026, 11, 1, tzinfo=UTC)
VERSION = "/api/v1/projects/mem/models/m/versions/1"
ARROW = {"Content-Type": "application/vnd.apache.arrow.stream"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _arrow(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _batch(i: int, rng: np.random.Generator) -> pa.Table:
    start = T0 + timedelta(seconds=20 * i)  # three batches per one-minute window
    return pa.table(
        {
            "prediction_id": [f"b{i}-{j}" for j in range(ROWS)],
            "timestamp": pa.array([start] * ROWS, pa.timestamp("us", tz="UTC")),
            "x": rng.normal(size=ROWS),
            "city": rng.choice(["oslo", "lima", "pune", "kobe"], size=ROWS).tolist(),
            "score": rng.random(ROWS),
        }
    )


def _bootstrap(url: str) -> tuple[str, bytes]:
    """Migrate, create the project and an editor token; return the token and a reference."""
    engine = create_engine_from_url(url)
    migrate(engine)
    rng = np.random.default_rng(0)
    reference = pa.table(
        {
            "x": rng.normal(size=5000),
            "city": rng.choice(["oslo", "lima", "pune", "kobe"], size=5000).tolist(),
            "score": rng.random(5000),
            "label": (rng.random(5000) < 0.3).astype(float),
        }
    )
    with session_factory(engine).begin() as session:
        project = Catalog(session).create_project("mem")
        token = TokenRepository(session).create(project.id, name="mem", role="editor")
    engine.dispose()
    sink = io.BytesIO()
    pq.write_table(reference, sink)
    return token.secret, sink.getvalue()


def _wait_for_the_monitor(client: httpx.Client, timeout: float = 120.0) -> None:
    """Wait until the in-process monitor has computed every window that holds data."""
    deadline = time.monotonic() + timeout
    while True:
        windows = client.get(f"{VERSION}/windows?limit=10000").json()
        if windows and not any(w["dirty"] or w["computed_at"] is None for w in windows):
            return
        assert time.monotonic() < deadline, "the monitor did not catch up"
        time.sleep(0.5)


def test_server_memory_is_flat_over_a_long_stream(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mem.db'}"
    token, reference = _bootstrap(url)
    port = _free_port()
    env = {
        **os.environ,
        "DRIFTLINE_DATABASE_URL": url,
        "DRIFTLINE_SERVER_MONITOR": "true",
        "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "driftline", "server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        server = psutil.Process(proc.pid)
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            assert client.post("/api/v1/projects/mem/models", json={"name": "m"}).is_success
            created = client.post(
                "/api/v1/projects/mem/models/m/versions",
                json={
                    "version": "1",
                    "schema": VersionSchema({"x": "numeric", "city": "categorical"}).to_dict(),
                    "window": {"kind": "time", "size_seconds": 60},
                },
            )
            assert created.is_success, created.text
            uploaded = client.put(
                f"{VERSION}/reference?target=label",
                content=reference,
                headers={"Content-Type": "application/vnd.apache.parquet"},
            )
            assert uploaded.is_success, uploaded.text
            rng = np.random.default_rng(1)
            samples: dict[int, float] = {}
            for i in range(BATCHES):
                table = _batch(i, rng)
                r = client.post(f"{VERSION}/predictions", content=_arrow(table), headers=ARROW)
                assert r.status_code == 200, r.text
                if i % 2 == 0:
                    labels = (rng.random(ROWS) < 0.3).astype(float).tolist()
                    r = client.post(
                        f"{VERSION}/labels",
                        json={
                            "prediction_ids": table["prediction_id"].to_pylist(),
                            "labels": labels,
                        },
                    )
                    assert r.status_code == 200, r.text
                if i + 1 in (BATCHES // 3, BATCHES):
                    _wait_for_the_monitor(client)
                    samples[i + 1] = server.memory_info().rss / 2**20
            windows = client.get(f"{VERSION}/windows?limit=10000").json()
        assert sum(w["rows"] for w in windows) == BATCHES * ROWS
        early, late = samples[BATCHES // 3], samples[BATCHES]
        assert late - early <= ALLOWANCE_MB, (
            f"server RSS grew {late - early:.1f} MB (from {early:.1f} to {late:.1f} MB) while "
            f"{(BATCHES - BATCHES // 3) * ROWS:,} more rows streamed"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
