"""Server fixtures: an app on a migrated database (SQLite file, and the local PostgreSQL),
driven by httpx through the ASGI transport from synchronous tests, with two projects and
tokens of every role in each.
"""

from __future__ import annotations

import functools
import importlib.util
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pyarrow as pa
import pytest

from driftline._config import Settings
from driftline.server import create_app
from driftline.store import Catalog, TokenRepository, create_engine_from_url, session_factory

# The PostgreSQL fixtures of the store tests (fresh database per session; FAIL under CI=true).
_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest", Path(__file__).resolve().parents[1] / "store" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_conftest)
postgres_databases = _store_conftest.postgres_databases
new_database_url = _store_conftest.new_database_url

ROLES = ("viewer", "editor", "admin")
SCRAPE_TOKEN = "scrape-token-0123456789"  # GET /metrics needs it (Authorization: Bearer)
SCHEMA = {"features": {"x": "numeric", "city": "categorical", "flag": "boolean"}}


class Api:
    """A synchronous face of ``httpx.AsyncClient(transport=ASGITransport(app))``."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.portal.call(
            functools.partial(self.client.request, method, url, **kwargs)
        )
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@dataclass
class World:
    """A running app, two projects ``a`` and ``b``, a token per role in each."""

    app: Any
    api: Api
    url: str
    projects: dict[str, str] = field(default_factory=dict)  # key -> project name
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, role) -> secret

    def auth(self, key: str = "a", role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(key, role)]}"}

    def base(self, key: str = "a") -> str:
        return f"/api/v1/projects/{self.projects[key]}"

    def version_url(self, key: str = "a", model: str = "m", version: str = "1") -> str:
        return f"{self.base(key)}/models/{model}/versions/{version}"

    def version_id(self, key: str = "a", model: str = "m", version: str = "1") -> str:
        from sqlalchemy import select

        from driftline.store import Model, ModelVersion, Project

        with self.app.state.driftline.sessions() as session:
            found = session.scalar(
                select(ModelVersion.id)
                .join(Model, Model.id == ModelVersion.model_id)
                .join(Project, Project.id == Model.project_id)
                .where(
                    Project.name == self.projects[key],
                    Model.name == model,
                    ModelVersion.version == version,
                )
            )
        assert found is not None
        return str(found)

    def add_version(self, key: str = "a", model: str = "m", version: str = "1", **body: Any) -> str:
        headers = self.auth(key, "editor")
        self.api.post(f"{self.base(key)}/models", json={"name": model}, headers=headers)
        payload = {"version": version, "schema": SCHEMA, **body}
        response = self.api.post(
            f"{self.base(key)}/models/{model}/versions", json=payload, headers=headers
        )
        assert response.status_code in (201, 409), response.text
        return self.version_url(key, model, version)


def start_world(url: str, settings: Settings | None = None) -> Iterator[World]:
    engine = create_engine_from_url(url)
    default = Settings(rate_limit_per_second=0, metrics_token=SCRAPE_TOKEN)
    app = create_app(settings or default, engine=engine, monitor=False)
    with ExitStack() as stack:
        portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        stack.enter_context(portal.wrap_async_context_manager(client))
        world = World(app=app, api=Api(portal, client), url=url)
        with session_factory(engine).begin() as session:
            catalog = Catalog(session)
            tokens = TokenRepository(session)
            for key in ("a", "b"):
                name = f"{key}-{secrets.token_hex(4)}"
                project = catalog.create_project(name)
                world.projects[key] = name
                for role in ROLES:
                    new = tokens.create(project.id, name=f"{key}-{role}", role=role)  # type: ignore[arg-type]
                    world.tokens[(key, role)] = new.secret
        yield world
    engine.dispose()


@pytest.fixture(scope="module")
def sqlite_world(new_database_url: Callable[[str], str]) -> Iterator[World]:
    """An app on a fresh SQLite file."""
    yield from start_world(new_database_url("sqlite"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Iterator[World]:
    """An app on SQLite and on PostgreSQL (fresh database each)."""
    yield from start_world(new_database_url(request.param))


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def parquet_bytes(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


ARROW = {"content-type": "application/vnd.apache.arrow.stream"}
PARQUET = {"content-type": "application/vnd.apache.parquet"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``driftline server`` (uvicorn, the ``create_app`` factory) as a child process on a
    fresh database with projects ``a`` and ``b`` and an admin token in each; the monitor
    is off unless asked for. ``env`` adds ``DRIFTLINE_*`` settings."""

    def __init__(self, url: str, *, env: dict[str, str] | None = None, monitor: bool = False):
        import os
        import subprocess
        import sys
        import tempfile

        from driftline.store import migrate

        engine = create_engine_from_url(url)
        migrate(engine)
        self.tokens: dict[str, str] = {}
        self.projects: dict[str, str] = {}
        with session_factory(engine).begin() as session:
            catalog = Catalog(session)
            repo = TokenRepository(session)
            for key in ("a", "b"):
                name = f"{key}-{secrets.token_hex(4)}"
                project = catalog.create_project(name)
                self.projects[key] = name
                self.tokens[key] = repo.create(project.id, name=key, role="admin").secret
        engine.dispose()
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (open while the server runs)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "driftline", "server", "--port", str(self.port)],
            env={
                **os.environ,
                "DRIFTLINE_DATABASE_URL": url,
                "DRIFTLINE_SERVER_MONITOR": "true" if monitor else "false",
                "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
                "DRIFTLINE_LOG_LEVEL": "warning",
                **(env or {}),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait()

    def _wait(self) -> None:
        import time

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the server did not start:\n{self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-5000:]

    def client(self, key: str = "a", **kwargs: Any) -> httpx.Client:
        """A keep-alive client for project ``key`` (base URL ``/api/v1/projects/<name>``)."""
        return httpx.Client(
            base_url=f"{self.base}/api/v1/projects/{self.projects[key]}",
            headers={"Authorization": f"Bearer {self.tokens[key]}"},
            timeout=kwargs.pop("timeout", 60),
            **kwargs,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def register(client: httpx.Client, model: str = "m", version: str = "1", **body: Any) -> str:
    """Create the model (if needed) and a version with :data:`SCHEMA`; its URL path."""
    client.post("/models", json={"name": model})
    payload = {"version": version, "schema": SCHEMA, **body}
    r = client.post(f"/models/{model}/versions", json=payload)
    assert r.status_code in (201, 409), r.text
    return f"/models/{model}/versions/{version}"
