"""Issue 11, item 15: after a 500 the keep-alive connection was reset, so a pooled
client's next request failed too.

Starlette's outermost error middleware answers an unexpected error and then re-raises it,
and uvicorn closes the connection of any request whose app raised. The app now answers
the error itself (``CatchAll``): a 500 JSON body with a correlation id, on a connection
that stays open. Tested against a real uvicorn server (in a thread) with an httpx client
that reuses its connection: the server sees the same client port before and after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request

from driftline._config import Settings
from driftline.server import create_app
from driftline.store import create_engine_from_url

from .conftest import free_port


@pytest.fixture(scope="module")
def served(new_database_url: Callable[[str], str]) -> Iterator[str]:
    engine = create_engine_from_url(new_database_url("sqlite"))
    app = create_app(Settings(rate_limit_per_second=0), engine=engine, monitor=False)

    @app.get("/test/port")
    async def port(request: Request) -> dict[str, Any]:
        assert request.client is not None
        return {"port": request.client.port}

    @app.get("/test/boom")
    async def boom() -> None:
        raise RuntimeError("an unexpected bug")

    @app.get("/test/boom-in-thread")
    def boom_in_thread() -> None:
        raise KeyError("a bug in a worker thread")

    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=20)
    engine.dispose()


@pytest.mark.parametrize("route", ["/test/boom", "/test/boom-in-thread"])
def test_a_500_leaves_the_connection_usable(served: str, route: str) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=served, limits=limits, timeout=10) as client:
        before = client.get("/test/port").json()["port"]
        r = client.get(route)
        assert r.status_code == 500
        error = r.json()["error"]
        assert error["code"] == "internal_error"
        assert error["details"]["correlation_id"] in error["message"]
        assert r.headers.get("connection", "").lower() != "close"
        after = client.get("/test/port")
        assert after.status_code == 200
        assert after.json()["port"] == before  # the same TCP connection, not a new one
        for _ in range(3):  # and it keeps working
            assert client.get("/api/v1/health").status_code == 200
            assert client.get(route).status_code == 500
        assert client.get("/test/port").json()["port"] == before
