"""Alerts fixtures: the store's database fixtures (reused), a recording HTTP receiver, and
helpers that build a project, model, version and windows with results through the store."""

from __future__ import annotations

import importlib.util
import json
import secrets
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, update

from driftline.store import (
    Catalog,
    PredictionStore,
    VersionSchema,
    Window,
    session_factory,
)

# The store's fixtures (a migrated SQLite file and a fresh PostgreSQL database, with the
# CI=true "fail, don't skip" rule) are reused as they are: load tests/store/conftest.py
# under a private name and expose its fixtures here.
_STORE_CONFTEST = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest_for_alerts", _STORE_CONFTEST
)
assert _spec is not None
assert _spec.loader is not None
_store_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _store_fixtures
_spec.loader.exec_module(_store_fixtures)
postgres_databases = _store_fixtures.postgres_databases
new_database_url = _store_fixtures.new_database_url
engine = _store_fixtures.engine

SCHEMA = VersionSchema({"x": "numeric", "city": "categorical", "flag": "boolean"})
HOUR = 3600


# --- a real HTTP receiver --------------------------------------------------------------------
@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A threading HTTP server on 127.0.0.1 that records requests and answers from a script.

    ``script`` is a list of ``(status, headers, body)`` answers used in order; when it is
    empty the answer is ``default``. ``delay`` seconds are slept before answering.
    """

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    default: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")
    delay: float = 0.0
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def answer(self, *answers: int | tuple[int, dict[str, str]]) -> None:
        for a in answers:
            status, headers = (a, {}) if isinstance(a, int) else a
            self.script.append((status, headers, b"answer"))

    def next_answer(self, path: str = "/") -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            if path in self.routes:
                return self.routes[path]
            return self.script.pop(0) if self.script else self.default


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received("POST", self.path, dict(self.headers.items()), body, time.time())
                )
            if receiver.delay:
                time.sleep(receiver.delay)
            status, headers, payload = receiver.next_answer(self.path)
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    return Handler


def start_receiver(tls: ssl.SSLContext | None = None) -> Receiver:
    """Start a receiver (HTTPS when ``tls`` is a server context); stop it with ``stop``."""
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    rec = Receiver(server)
    ref.append(rec)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return rec


def stop_receiver(rec: Receiver) -> None:
    rec.server.shutdown()
    rec.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = start_receiver()
    yield rec
    stop_receiver(rec)


# --- store helpers ---------------------------------------------------------------------------
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@dataclass
class Setup:
    engine: Engine
    project_id: str
    project: str
    model_id: str
    model: str
    version_id: str
    store: PredictionStore

    def add_window(
        self,
        hour: int,
        rows: int,
        *,
        results: dict[str, Any] | None = None,
        closed: bool = True,
    ) -> Window:
        """Ingest ``rows`` predictions in hour ``hour`` after T0, then store ``results``."""
        start = T0 + timedelta(hours=hour)
        rng = np.random.default_rng(hour)
        table = pa.table(
            {
                "timestamp": pa.array(
                    [
                        start + timedelta(seconds=int(s))
                        for s in np.sort(rng.integers(0, 3000, rows))
                    ],
                    pa.timestamp("us", tz="UTC"),
                ),
                "x": rng.normal(size=rows),
                "city": rng.choice(["a", "b"], size=rows).tolist(),
                "flag": (rng.random(rows) < 0.5).tolist(),
                "score": rng.random(rows),
            }
        )
        result = self.store.ingest_batch(self.version_id, table)
        assert result.accepted == rows
        window = next(w for w in self.store.windows(self.version_id) if w.start_at == start)
        if closed:
            with session_factory(self.engine).begin() as session:
                session.execute(
                    update(Window).where(Window.id == window.id).values(status="closed")
                )
            window = next(w for w in self.store.windows(self.version_id) if w.id == window.id)
        full = make_results(window, rows, **(results or {}))
        assert self.store.save_window_results(window, full)
        return next(w for w in self.store.windows(self.version_id) if w.id == window.id)

    def set_results(self, window_id: str, **parts: Any) -> Window:
        window = next(w for w in self.store.windows(self.version_id) if w.id == window_id)
        assert self.store.save_window_results(
            window, make_results(window, window.row_count, **parts)
        )
        return next(w for w in self.store.windows(self.version_id) if w.id == window_id)


def make_results(window: Window, rows: int, **parts: Any) -> dict[str, Any]:
    """A full window-results document (contract schema 1) with ``parts`` filled in."""
    doc: dict[str, Any] = {
        "schema": 1,
        "window": {
            "key": window.window_key,
            "start": None if window.start_at is None else window.start_at.isoformat(),
            "end": None if window.end_at is None else window.end_at.isoformat(),
            "status": window.status,
        },
        "volume": {"rows": rows, "labels": 0, "label_coverage": 0.0, "label_delay_seconds": None},
        "drift": None,
        "quality": None,
        "estimated": None,
        "realized": None,
        "skipped": {},
    }
    for name in ("drift", "quality", "estimated", "realized"):
        if name not in parts:
            doc["skipped"][name] = "not computed in this test"
    doc.update(parts)
    return doc


def estimated(
    metric: str, value: float, band: tuple[float, float] = (0.74, 0.80)
) -> dict[str, Any]:
    return {
        "method": "CBPE",
        "metrics": {
            metric: {
                "value": value,
                "lower": value - 0.02,
                "upper": value + 0.02,
                "band_lower": band[0],
                "band_upper": band[1],
                "alert": not band[0] <= value <= band[1],
            }
        },
    }


@pytest.fixture
def setup(engine: Engine) -> Setup:
    """A new project with a model ``churn`` and an hourly version ``3``."""
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        name = f"project-{secrets.token_hex(4)}"
        project = catalog.create_project(name)
        model = catalog.create_model(project.id, "churn")
        version = catalog.create_version(
            model.id, "3", SCHEMA, window_kind="time", window_size=HOUR
        )
        ids = (project.id, model.id, version.id)
    return Setup(engine, ids[0], name, ids[1], "churn", ids[2], PredictionStore(engine))


class FakeClock:
    """A settable aware-UTC clock."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 27, 0, 0, tzinfo=UTC))


Sleeps = list[float]


@pytest.fixture
def sleeps() -> Sleeps:
    return []


@pytest.fixture
def record_sleep(sleeps: Sleeps) -> Callable[[float], None]:
    return sleeps.append
