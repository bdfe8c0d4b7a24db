"""The real thing: `driftline project create`, then `driftline server` as a uvicorn process
on a free port with the monitor running in it, driven over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from driftline.exceptions import ParameterError

from .conftest import ARROW, PARQUET, arrow_bytes, parquet_bytes

# The commands as the lead registers them in cli/_app.py.
CLI = (
    "import typer\n"
    "from driftline.cli._server_cmd import project_app, server, token_app\n"
    "app = typer.Typer(pretty_exceptions_enable=False)\n"
    "app.command('server')(server)\n"
    "app.add_typer(project_app)\n"
    "app.add_typer(token_app)\n"
    "app()\n"
)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_project_and_token_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    made = _cli("project", "create", "shop", "--database-url", url, "--json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    payload = json.loads(made.stdout)
    assert payload["role"] == "admin"
    assert payload["secret"].startswith("dl_")
    assert "shown once" in payload["warning"]
    plain = _cli(
        "token",
        "create",
        "--project",
        "shop",
        "--role",
        "viewer",
        "--database-url",
        url,
        cwd=tmp_path,
    )
    assert plain.returncode == 0, plain.stderr
    assert "token: dl_" in plain.stdout
    assert "shown once" in plain.stderr
    import typer

    from driftline.cli._server_cmd import project_app, token_app

    app = typer.Typer()
    app.add_typer(project_app)
    app.add_typer(token_app)
    runner = CliRunner()
    again = runner.invoke(app, ["project", "create", "shop", "--database-url", url])
    assert isinstance(again.exception, ParameterError)
    assert "already exists" in str(again.exception)
    nowhere = runner.invoke(app, ["token", "create", "--project", "nope", "--database-url", url])
    assert isinstance(nowhere.exception, ParameterError)
    assert "nope" in str(nowhere.exception)
    bad_role = runner.invoke(
        app, ["token", "create", "--project", "shop", "--role", "root", "--database-url", url]
    )
    assert isinstance(bad_role.exception, ParameterError)


SCRAPE = "scrape-token-0123456789"  # /metrics needs the scrape token


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{home / 'server.db'}"
    made = _cli("project", "create", "live", "--database-url", url, "--json", cwd=home)
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["secret"]
    port = _free_port()
    env = {**os.environ, "DRIFTLINE_LOG_LEVEL": "warning", "DRIFTLINE_METRICS_TOKEN": SCRAPE}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "server", "--port", str(port), "--database-url", url],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.2)
    try:
        yield {"base": base, "token": token, "proc": proc}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_real_server_ingests_and_the_monitor_computes_windows(running: dict[str, Any]) -> None:
    base, headers = running["base"], {"Authorization": f"Bearer {running['token']}"}
    with httpx.Client(base_url=f"{base}/api/v1/projects/live", headers=headers, timeout=30) as api:
        assert httpx.get(f"{base}/api/v1/health").json()["monitor"] == "running"
        assert api.post("/models", json={"name": "m"}).status_code == 201
        version = {
            "version": "1",
            "schema": {"features": {"x": "numeric", "c": "categorical"}},
            "window": {"kind": "rows", "size": 200},
        }
        assert api.post("/models/m/versions", json=version).status_code == 201
        rng = np.random.default_rng(0)
        ref = pa.table(
            {
                "x": rng.normal(size=500),
                "c": rng.choice(["a", "b"], 500).tolist(),
                "score": rng.random(500),
                "y": rng.integers(0, 2, 500),
            }
        )
        r = api.put(
            "/models/m/versions/1/reference?target=y", content=parquet_bytes(ref), headers=PARQUET
        )
        assert r.status_code == 200, r.text
        # Shifted production data, over the wire as Arrow and as JSON.
        live = pa.table(
            {"x": rng.normal(3.0, 1.0, 300), "c": ["a"] * 300, "score": rng.random(300)}
        )
        r = api.post("/models/m/versions/1/predictions", content=arrow_bytes(live), headers=ARROW)
        assert r.status_code == 200
        assert r.json()["accepted"] == 300
        r = api.post(
            "/models/m/versions/1/predictions",
            json={"columns": {"x": [3.0] * 100, "c": ["a"] * 100, "score": [0.5] * 100}},
        )
        assert r.json()["accepted"] == 100
        deadline = time.monotonic() + 60
        while True:
            windows = api.get("/models/m/versions/1/windows").json()
            done = [w for w in windows if w["computed_at"] is not None and w["rows"] == 200]
            if len(done) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(done) == 2, windows
        assert done[0]["drifted"] is True
        assert done[0]["share_drifted"] > 0
    text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {SCRAPE}"}).text
    gauges = {
        (s.name, s.labels.get("project"), s.labels.get("model"), s.labels.get("version")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert gauges[("driftline_drift_share", "live", "m", "1")] > 0
    assert gauges[("driftline_stored_rows", "live", "m", "1")] == 400


def test_real_server_refuses_oversize_and_stops_cleanly(running: dict[str, Any]) -> None:
    base, headers = running["base"], {"Authorization": f"Bearer {running['token']}"}
    # Declare a 1 GB body and send none of it: the server answers 413 without reading it.
    host, port = base.removeprefix("http://").split(":")
    request = (
        "POST /api/v1/projects/live/models/m/versions/1/predictions HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: {headers['Authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request.encode())
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), reply
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    proc = running["proc"]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
