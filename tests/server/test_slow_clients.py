"""Slow clients are cut off: real sockets against a real uvicorn server in a subprocess.

400 connections that trickle their headers (slowloris) and 100 that trickle a body are all
closed within the header and body timeouts (1.5 s here), while a normal client is served
throughout, and a kept-alive client that pauses between requests is not cut off. Run for
``driftline server`` (httptools) and for the h11 protocol.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5
SLACK = 2.5  # scheduling on a loaded 2-core machine

H11_SERVE = """
import sys, uvicorn
uvicorn.run("driftline.server:create_app", factory=True, host="127.0.0.1",
            port=int(sys.argv[1]), http="driftline.server._timeouts:H11TimeoutProtocol",
            log_level="warning", timeout_keep_alive=5)
"""
CLI = "from driftline.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    home: Path = tmp_path_factory.mktemp("slow")
    port = _free_port()
    env = {
        **os.environ,
        "DRIFTLINE_DATABASE_URL": f"sqlite:///{home / 'slow.db'}",
        "DRIFTLINE_SERVER_MONITOR": "false",
        "DRIFTLINE_SERVER_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "DRIFTLINE_SERVER_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "DRIFTLINE_LOG_LEVEL": "warning",
    }
    if request.param == "httptools":  # the real command
        args = [sys.executable, "-c", CLI, "server", "--port", str(port), "--no-monitor"]
    else:
        args = [sys.executable, "-c", H11_SERVE, str(port)]
    proc = subprocess.Popen(args, cwd=home, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"the server did not start:\n{err}")
        time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(20)


def _open(port: int, first: bytes, count: int) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(first)
        sock.setblocking(False)
        socks.append(sock)
    return socks


def _trickle_until_closed(
    socks: list[socket.socket], drip: bytes, limit: float, port: int
) -> tuple[dict[int, float], list[int]]:
    """Send ``drip`` on every open socket every 0.25 s; return when each was closed by the
    server (seconds after the start) and the status codes a normal client got meanwhile."""
    started = time.monotonic()
    closed: dict[int, float] = {}
    served: list[int] = []
    selector = selectors.DefaultSelector()
    for i, sock in enumerate(socks):
        selector.register(sock, selectors.EVENT_READ, i)
    next_drip = started
    next_probe = started + 0.2
    while len(closed) < len(socks) and time.monotonic() - started < limit:
        now = time.monotonic()
        if now >= next_drip:
            for i, sock in enumerate(socks):
                if i not in closed:
                    with contextlib.suppress(
                        BlockingIOError, BrokenPipeError, ConnectionResetError
                    ):
                        sock.send(drip)
            next_drip = now + 0.25
        if now >= next_probe:  # a normal client is served meanwhile
            served.append(
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code
            )
            next_probe = now + 0.5
        for key, _ in selector.select(timeout=0.05):
            i = key.data
            try:
                data = key.fileobj.recv(4096)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            except (ConnectionResetError, OSError):
                data = b""
            if not data or b"408" in data:
                closed[i] = time.monotonic() - started
                selector.unregister(key.fileobj)
    for sock in socks:
        sock.close()
    return closed, served


def test_slowloris_headers_are_cut_off_while_others_are_served(server: int) -> None:
    socks = _open(server, b"GET /api/v1/health HTTP/1.1\r\nHost: slow\r\n", 400)
    closed, served = _trickle_until_closed(socks, b"X-Pad: y\r\n", HEADER_TIMEOUT + 15, server)
    assert len(closed) == 400, f"{400 - len(closed)} slow connections are still open"
    assert max(closed.values()) <= HEADER_TIMEOUT + SLACK, max(closed.values())
    assert served
    assert set(served) == {200}


def test_a_trickled_body_is_cut_off(server: int) -> None:
    head = (
        b"POST /api/v1/projects/p/alert-rules HTTP/1.1\r\nHost: slow\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )
    socks = _open(server, head, 100)
    closed, served = _trickle_until_closed(socks, b" ", BODY_TIMEOUT + 15, server)
    assert len(closed) == 100, f"{100 - len(closed)} slow bodies are still being read"
    assert max(closed.values()) <= BODY_TIMEOUT + SLACK, max(closed.values())
    assert served
    assert set(served) == {200}


def test_normal_clients_are_not_cut_off(server: int) -> None:
    # a keep-alive client pausing between requests (less than the keep-alive timeout) ...
    with httpx.Client(base_url=f"http://127.0.0.1:{server}") as client:
        for _ in range(3):
            assert client.get("/api/v1/health").status_code == 200
            time.sleep(HEADER_TIMEOUT + 0.5)
        assert client.get("/api/v1/health").status_code == 200
    # ... and a body sent in pieces within the body timeout
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        body = b'{"name": "r", "kind": "drift"}'
        sock.sendall(
            b"POST /api/v1/projects/p/alert-rules HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        for piece in (body[:10], body[10:20], body[20:]):
            time.sleep(0.3)
            sock.sendall(piece)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:100]  # read whole, then no token
