"""Client test fixtures: a small real HTTP ingestion server whose failures we script.

``FakeIngest`` is a Starlette app served by uvicorn on a free local port, in a thread. It
speaks the prediction/label routes of the driftline API well enough to exercise the SDK's
network behaviour (batching, retries, 429, hangs, lost answers, refused rows): it reads
the Arrow IPC bodies, keeps rows by prediction id (so a retried batch is counted once,
like the real server) and answers with the real server's response shape. The end-to-end
tests against the real driftline server are in ``test_end_to_end.py``.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from driftline.store import Model, ModelVersion
from driftline.store._models import Prediction

PREFIX = "/api/v1/projects/{project}/models/{model}/versions/{version}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One request as the fake server saw it."""

    at: float
    path: str
    content_type: str
    rows: int
    status: int


@dataclass
class FakeIngest:
    """Scriptable state: ``plan`` is consumed one action per prediction/label request.

    Actions: ``"ok"``; ``("status", code)`` answer ``code`` without storing;
    ``("retry_after", seconds)`` a 429 with that header; ``("hang", seconds)`` sleep before
    answering normally; ``"lost"`` store the rows, then answer 500 (a lost acknowledgement).
    ``max_rows`` answers 413 to larger bodies; ``bad_score`` refuses rows whose score is
    outside [0, 1] (per-row reasons, like the real server).
    """

    plan: list[Any] = field(default_factory=list)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    max_rows: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self) -> Any:
        with self.lock:
            return self.plan.pop(0) if self.plan else "ok"

    def stored(self, model: str = "m", version: str = "1") -> dict[str, dict[str, Any]]:
        with self.lock:
            return {k: v for k, v in self.rows.items() if v["_key"] == (model, version)}

    def requests(self, kind: str = "predictions") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.endswith("/" + kind)]

    def _store(self, key: tuple[str, str], table: pa.Table) -> dict[str, Any]:
        ids = table["prediction_id"].to_pylist()
        scores = table["score"].to_pylist() if "score" in table.column_names else [None] * len(ids)
        records = table.to_pylist()
        accepted, duplicates, rejected = [], [], []
        with self.lock:
            for row, (pid, score, record) in enumerate(zip(ids, scores, records, strict=True)):
                if score is not None and not 0.0 <= score <= 1.0:
                    rejected.append({"row": row, "reasons": ["score: outside [0, 1]"]})
                elif pid in self.rows:
                    duplicates.append(pid)
                else:
                    self.rows[pid] = {**record, "_key": key}
                    accepted.append(pid)
        return {
            "accepted": len(accepted),
            "prediction_ids": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "stored": True,
        }

    def app(self) -> Starlette:
        async def me(request: Request) -> Response:
            return JSONResponse({"project": "p", "role": "editor", "token_id": "t"})

        async def predictions(request: Request) -> Response:
            body = await request.body()
            content_type = request.headers.get("content-type", "")
            try:
                with pa.ipc.open_stream(pa.py_buffer(body)) as reader:
                    table = reader.read_all()
            except pa.ArrowInvalid as exc:
                return _error(400, "bad_body", str(exc))
            action = self.next_action()
            status = 200
            if isinstance(action, tuple) and action[0] == "hang":
                await asyncio.sleep(action[1])
            if self.max_rows is not None and table.num_rows > self.max_rows:
                status = 413
            elif isinstance(action, tuple) and action[0] == "status":
                status = action[1]
            elif isinstance(action, tuple) and action[0] == "retry_after":
                status = 429
            self._log(request, content_type, table.num_rows, 500 if action == "lost" else status)
            if status == 413:
                return _error(413, "too_large", f"at most {self.max_rows} rows per request")
            if status == 429:
                return _error(429, "rate_limited", "slow down", {"Retry-After": str(action[1])})
            if status != 200:
                return _error(status, "scripted", f"scripted failure {status}")
            key = (request.path_params["model"], request.path_params["version"])
            result = self._store(key, table)
            if action == "lost":
                return _error(500, "lost", "stored, but the answer is lost")
            return JSONResponse(result)

        async def labels(request: Request) -> Response:
            body = await request.json()
            action = self.next_action()
            status = action[1] if isinstance(action, tuple) and action[0] == "status" else 200
            self._log(request, request.headers.get("content-type", ""), len(body["labels"]), status)
            if status != 200:
                return _error(status, "scripted", f"scripted failure {status}")
            with self.lock:
                self.labels.update(zip(body["prediction_ids"], body["labels"], strict=True))
            return JSONResponse({"joined": len(body["labels"]), "pending": 0})

        return Starlette(
            routes=[
                Route("/api/v1/me", me),
                Route(PREFIX + "/predictions", predictions, methods=["POST"]),
                Route(PREFIX + "/labels", labels, methods=["POST"]),
            ]
        )

    def _log(self, request: Request, content_type: str, rows: int, status: int) -> None:
        with self.lock:
            self.received.append(
                Received(time.monotonic(), request.url.path, content_type, rows, status)
            )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": None}}
    return JSONResponse(body, status_code=status, headers=headers)


class ThreadedServer:
    """uvicorn serving an ASGI app on 127.0.0.1:``port`` in a daemon thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
            loop="asyncio", http="h11", timeout_graceful_shutdown=1,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the test server did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def fake() -> Iterator[tuple[FakeIngest, str]]:
    """A running fake ingestion server: ``(state, url)``."""
    state = FakeIngest()
    server = ThreadedServer(state.app()).start()
    yield state, server.url
    server.stop()


@pytest.fixture
def dead_url() -> str:
    """The URL of a local port nobody listens on (connections are refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


# --- the real driftline server, in a subprocess --------------------------------------------

SERVE = """
import sys, uvicorn
from driftline._config import Settings
from driftline.server import create_app
url, port, monitor, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", float(sys.argv[4])
settings = Settings(database_url=url, server_monitor=monitor, rate_limit_per_second=rate,
                    rate_limit_burst=max(1, int(rate)) if rate else 1000)
uvicorn.run(create_app(settings, monitor=monitor), host="127.0.0.1", port=port,
            log_level="warning", lifespan="on")
"""


class RealServer:
    """``driftline.server.create_app`` served by uvicorn in a child process, on a SQLite file.

    ``kill()`` ends it with SIGKILL (no graceful shutdown); ``start()`` again brings it back
    on the same port and database.
    """

    def __init__(self, database_url: str, *, monitor: bool = False, rate: float = 0.0) -> None:
        self.database_url = database_url
        self.monitor = monitor
        self.rate = rate
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> RealServer:
        args = [sys.executable, "-c", SERVE, self.database_url, str(self.port),
                "1" if self.monitor else "0", str(self.rate)]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the driftline server exited at start:\n{err}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the driftline server did not answer on {self.url} in {timeout} s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


@dataclass
class Deployment:
    """A migrated SQLite database with project ``acme`` and an editor token, and a server."""

    database_url: str
    engine: Any
    project_id: str
    token: str
    server: RealServer

    @property
    def url(self) -> str:
        return self.server.url


def bootstrap(tmp_path: Path) -> tuple[str, Any, str, str]:
    from driftline.store import (
        Catalog,
        TokenRepository,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    url = f"sqlite:///{tmp_path / 'driftline.db'}"
    engine = create_engine_from_url(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        project = Catalog(session).create_project("acme")
        token = TokenRepository(session).create(project.id, name="sdk", role="editor").secret
    return url, engine, project.id, token


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One real server (no monitor loop) for a test module."""
    url, engine, project_id, token = bootstrap(tmp_path_factory.mktemp("e2e"))
    server = RealServer(url).start()
    yield Deployment(url, engine, project_id, token, server)
    server.stop()
    engine.dispose()


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
