"""``driftline serve MODEL@ALIAS`` / ``MODEL:VERSION``: the artifact comes from the registry
of a real ``driftline server`` process (digest-checked, cached), the model is served under
its registered name and resolved version; clear exit-2 errors otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from driftline.client import Client
from driftline.store import VersionSchema

from .conftest import FEATURES, Models, Monitor, free_port, wait_http

SCHEMA = VersionSchema(dict.fromkeys(FEATURES, "numeric"))


@pytest.fixture(scope="module")
def registry(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    monitor = Monitor(tmp_path_factory.mktemp("registry")).start()
    with Client(monitor.url, monitor.token) as client:
        client.create_model("fraud")
        for v in ("1", "2", "3"):
            client.register_version("fraud", v, schema=SCHEMA)
        client.upload_artifact("fraud", "1", models.skops)
        client.upload_artifact("fraud", "2", models.onnx)
        client.set_alias("fraud", "production", "2")
        client.set_alias("fraud", "empty", "3")
    yield monitor
    monitor.kill()
    monitor.engine.dispose()


def _serve(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "driftline", "serve", *args, "--port", str(port)],
        cwd=cwd, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/v2/health/ready", proc)
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.stdout.read().decode(errors="replace") if proc.stdout else ""


def test_serves_the_alias_version_from_the_registry(
    registry: Monitor, models: Models, tmp_path: Path
) -> None:
    env = {"DRIFTLINE_URL": registry.url, "DRIFTLINE_TOKEN": registry.token}
    cache = tmp_path / "cache"
    rows = models.frame.head(5)
    expected = models.classifier.predict(rows.to_numpy(np.float32)).tolist()
    proc, url = _serve(["fraud@production", "--cache-dir", str(cache), "--log-to", registry.url],
                       tmp_path, env)  # fmt: skip
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            meta = http.get("/v2/models/fraud").json()
            assert meta["name"] == "fraud"
            assert meta["versions"] == ["2"]
            assert http.get("/v2/models/fraud/versions/2").status_code == 200
            assert http.get("/v2/models/fraud/versions/1").status_code == 404
            answer = http.post("/invocations", json={"dataframe_records": rows.to_dict("records")})
            assert answer.status_code == 200, answer.text
            assert answer.json()["predictions"] == expected
            v2 = http.post("/v2/models/fraud/infer", json={"id": "r-1", "inputs": [
                {"name": c, "shape": [5], "datatype": "FP64", "data": rows[c].tolist()}
                for c in FEATURES]})  # fmt: skip
            assert v2.status_code == 200, v2.text
            assert v2.json()["model_version"] == "2"
        # The predictions are logged to the resolved version on the monitoring server.
        deadline = time.monotonic() + 30
        while len(registry.stored_ids("fraud", "2")) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(registry.stored_ids("fraud", "2")) == 10
        assert registry.stored_ids("fraud", "1") == []
    finally:
        out = _stop(proc)
    assert "serving fraud version 2 from fraud@production (downloaded" in out, out
    cached = list(cache.iterdir())
    assert [p.read_bytes() for p in cached] == [models.onnx.read_bytes()]

    # A cached file whose sha256 matches is reused; MODEL:VERSION works too (skops here).
    proc, url = _serve(["fraud@production", "--cache-dir", str(cache)], tmp_path, env)
    out = _stop(proc)
    assert "serving fraud version 2 from fraud@production (cached" in out, out
    # A corrupted cached file is not served: it is downloaded again (and verified).
    cached[0].write_bytes(b"not the model")
    proc, url = _serve(["fraud:2", "--cache-dir", str(cache)], tmp_path, env)
    try:
        answer = httpx.post(f"{url}/invocations", timeout=10,
                            json={"dataframe_records": rows.to_dict("records")})  # fmt: skip
        assert answer.json()["predictions"] == expected
    finally:
        out = _stop(proc)
    assert "serving fraud version 2 from fraud:2 (downloaded" in out, out
    assert cached[0].read_bytes() == models.onnx.read_bytes()
    proc, url = _serve(["fraud:1", "--cache-dir", str(cache)], tmp_path, env)
    try:
        meta = httpx.get(f"{url}/v2/models/fraud", timeout=10).json()
        assert (meta["versions"], meta["platform"]) == (["1"], "scikit-learn (skops)")
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fraud@canary",), "no alias 'canary'"),
        (("fraud@empty",), "fraud:3, which has no artifact"),
        (("fraud:3",), "no artifact"),
        (("fraud:9",), "'9'"),
        (("fraud@production", "--version", "7"), "--name and --version apply to a file"),
        (("fraud@production", "--token", ""), "No API token"),
        (("fraud@production", "--url", "http://127.0.0.1:{free}"), "Could not reach"),
    ],
)
def test_registry_errors_exit_2_with_one_line(
    registry: Monitor, run_cli: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    env = {"DRIFTLINE_URL": registry.url, "DRIFTLINE_TOKEN": registry.token}
    args = tuple(a.replace("{free}", str(free_port())) for a in args)
    r = run_cli("serve", *args, "--port", str(free_port()), env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0], lines[0]
