"""The server-facing attack: a real ``driftline serve`` process under hostile clients.

Mutated and oversized JSON, NUL bytes, NaN/inf, wrong shapes, a slow client, many clients
over the latency objective: every answer is a 4xx or a 200 (429 with ``Retry-After`` when
over the objective), never a 5xx, and the process survives all of it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from .conftest import FEATURES, Models, free_port, wait_http

SCRIPT = """
import sys
from driftline.serve import load_model, run
model = load_model(sys.argv[1], name="fraud", version="1")
run(model, port=int(sys.argv[2]), log_level="warning", max_latency_ms=float(sys.argv[3]),
    max_batch_size=256, max_request_rows=5000, max_body_bytes=1 << 20, body_timeout=1.0)
"""


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"


def _start(args: list[str], port: int) -> Served:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/v2/health/ready", proc)
    return Served(proc, port)


def _stop(served: Served) -> int:
    served.proc.send_signal(signal.SIGINT)
    try:
        return served.proc.wait(20)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait()
        raise


@pytest.fixture(scope="module")
def server(models: Models) -> Iterator[Served]:
    port = free_port()
    served = _start([sys.executable, "-c", SCRIPT, str(models.skops_hgb), str(port), "30"], port)
    yield served
    assert served.proc.poll() is None, "the server died during the attack"
    _stop(served)


def _valid(models: Models, n: int = 3) -> dict[str, object]:
    return {"dataframe_records": models.frame.head(n).to_dict("records")}


def test_mutated_json_bodies_never_get_a_5xx(server: Served, models: Models) -> None:
    rng = np.random.default_rng(0)
    base = json.dumps(_valid(models)).encode()
    v2 = json.dumps({"inputs": [{"name": c, "shape": [2], "datatype": "FP64",
                                 "data": models.frame[c].head(2).tolist()} for c in FEATURES]}).encode()  # fmt: skip
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for i in range(400):
            body = bytearray(base if i % 2 else v2)
            for _ in range(int(rng.integers(1, 6))):
                pos = int(rng.integers(0, len(body)))
                action = rng.integers(0, 4)
                if action == 0:
                    body[pos] = int(rng.integers(0, 256))
                elif action == 1:
                    del body[pos]
                elif action == 2:
                    body.insert(pos, int(rng.choice([0, 34, 44, 91, 93, 123, 125, 58, 45])))
                else:
                    body[pos:pos] = rng.choice([b"null", b"1e308", b"-0", b'"\\u0000"', b"[]", b"{}",
                                                b"true", b"99999999999999999999999"])  # fmt: skip
            path = "/invocations" if i % 2 else "/v2/models/fraud/infer"
            r = http.post(path, content=bytes(body), headers={"content-type": "application/json"})
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            assert r.status_code < 500, (bytes(body), r.text)
            if r.status_code >= 400:
                assert r.json()["error"]["message"]
    assert statuses.get(200, 0) > 0
    assert sum(v for k, v in statuses.items() if k >= 400) > 200


HOSTILE: list[tuple[str, bytes, int]] = [
    ("NUL in a key", b'{"dataframe_records": [{"amo\\u0000unt": 1, "age": 2, "balance": 3}]}', 422),
    ("NUL in a value", b'{"dataframe_records": [{"amount": "\\u0000", "age": 2, "balance": 3}]}', 422),
    ("raw NUL byte", b'{"instances": [[1, 2,\x00 3]]}', 400),
    ("NaN", b'{"instances": [[NaN, 2, 3]]}', 400),
    ("Infinity", b'{"instances": [[Infinity, 2, 3]]}', 400),
    ("inf by overflow", b'{"instances": [[1e999, 2, 3]]}', 400),
    ("deep nesting", b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
    ("wrong width", b'{"instances": [[1, 2]]}', 422),
    ("3-D", b'{"instances": [[[1, 2, 3]]]}', 422),
    ("scalar rows", b'{"instances": [1, 2, 3]}', 422),
    ("huge integer", b'{"instances": [[1' + b"0" * 400 + b', 2, 3]]}', 400),
    ("invalid UTF-8", b'{"instances": [["\xff\xfe", 2, 3]]}', 400),
    ("too many rows", json.dumps({"instances": [[1.0, 2.0, 3.0]] * 5001}).encode(), 413),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_a_4xx(server: Served, case: str, body: bytes, status: int) -> None:
    r = httpx.post(f"{server.url}/invocations", content=body,
                   headers={"content-type": "application/json"}, timeout=10)  # fmt: skip
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]


def test_oversized_bodies_are_cut_off(server: Served) -> None:
    big = b'{"instances": [' + b"[1.0, 2.0, 3.0]," * 100_000 + b"[1, 2, 3]]}"
    r = httpx.post(f"{server.url}/invocations", content=big,
                   headers={"content-type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"instances": ['
        for _ in range(200):
            yield b"[1.0, 2.0, 3.0]," * 1000
        yield b"[1, 2, 3]]}"

    r = httpx.post(f"{server.url}/invocations", content=chunks(),
                   headers={"content-type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code == 413


def test_a_slow_client_is_cut_off_and_blocks_no_one(server: Served, models: Models) -> None:
    body = json.dumps(_valid(models)).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])  # fmt: skip
    started = time.monotonic()
    with httpx.Client(base_url=server.url, timeout=5) as http:  # others are served meanwhile
        for _ in range(5):
            assert http.post("/invocations", content=body,
                             headers={"content-type": "application/json"}).status_code == 200  # fmt: skip
    assert time.monotonic() - started < 3.0  # not held up by the slow connection
    sock.settimeout(10)
    for byte in body[5:12]:  # trickle
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.3)
    answer = b""
    try:
        while chunk := sock.recv(4096):
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
    except OSError:
        pass
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_many_clients_over_the_objective_get_429_with_retry_after(
    server: Served, models: Models
) -> None:
    big = json.dumps({"instances": models.frame.head(2000).to_numpy().tolist()}).encode()
    small = json.dumps(_valid(models, 1)).encode()
    results: list[tuple[int, float, str | None]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for i in range(15):
                t0 = time.perf_counter()
                r = http.post("/invocations", content=big if (k + i) % 2 else small,
                              headers={"content-type": "application/json"})  # fmt: skip
                with lock:
                    results.append((r.status_code, time.perf_counter() - t0,
                                    r.headers.get("retry-after")))  # fmt: skip

    with ThreadPoolExecutor(24) as pool:
        list(pool.map(client, range(24)))
    codes = [c for c, _, _ in results]
    assert set(codes) <= {200, 429}, sorted(set(codes))
    assert codes.count(429) > 0
    assert codes.count(200) > 0
    assert all(ra is not None and int(ra) >= 1 for c, _, ra in results if c == 429)
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'status="429"' in metrics
    assert httpx.get(f"{server.url}/v2/health/live").json() == {"live": True}


def test_cli_serves_a_model_and_stops_cleanly(models: Models, tmp_path: Path) -> None:
    port = free_port()
    env_db = f"sqlite:///{tmp_path / 'cli.db'}"
    args = [sys.executable, "-m", "driftline", "serve", str(models.onnx), "--name", "fraud",
            "--version", "4", "--port", str(port), "--max-latency-ms", "50", "--log-to", env_db,
            "--spill-dir", str(tmp_path / "spill")]  # fmt: skip
    os.environ.setdefault("DRIFTLINE_LOG_LEVEL", "warning")
    served = _start(args, port)
    try:
        r = httpx.post(f"{served.url}/v2/models/fraud/infer", timeout=10, json={
            "inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [[10, 40, 900]]}]
        })  # fmt: skip
        assert r.status_code == 200, r.text
        rid = r.headers["x-request-id"]
    finally:
        assert _stop(served) == 0
    from .test_predlog import _stored

    assert list(_stored(env_db, "fraud", "4")) == [rid]
