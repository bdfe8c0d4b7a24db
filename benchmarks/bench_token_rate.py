"""Benchmark: how many requests per second one server process answers for one API token.

The default per-token rate limit (``rate_limit_per_second``) must be below what one
process sustains, so that one token alone cannot saturate the server without getting 429s.
This measures it: a real ``driftline server`` (uvicorn, uvloop + httptools, one worker,
the monitor off, rate limiting off) on a SQLite file, and a separate client process that
sends, over ``--concurrency`` keep-alive connections with one token, for ``--seconds``
after a warm-up, one of:

- ``me``: ``GET /api/v1/me`` (authentication and one small read);
- ``windows``: ``GET .../windows?limit=10`` (a read route, project and version resolved);
- ``ingest``: ``POST .../predictions`` with a one-row JSON body (the write path).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_token_rate --seconds 8 --concurrency 16

Results are printed and written to ``benchmarks/results/bench_token_rate.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks._common import ROOT, machine, write_results

VERSION = "/api/v1/projects/bench/models/m/versions/1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bootstrap(url: str) -> str:
    from driftline.store import (
        Catalog,
        TokenRepository,
        VersionSchema,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    engine = create_engine_from_url(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project("bench")
        model = catalog.create_model(project.id, "m")
        schema = VersionSchema({"x": "numeric"})
        catalog.create_version(model.id, "1", schema, window_kind="time", window_size=3600)
        token = TokenRepository(session).create(project.id, name="bench", role="editor").secret
    engine.dispose()
    return token


async def _load(base: str, token: str, route: str, concurrency: int, seconds: float) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    counts = {"ok": 0, "other": 0}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def one() -> int:
            if route == "me":
                r = await client.get("/api/v1/me")
            elif route == "windows":
                r = await client.get(f"{VERSION}/windows", params={"limit": 10})
            else:
                r = await client.post(
                    f"{VERSION}/predictions", json={"records": [{"x": 1.0, "score": 0.5}]}
                )
            return r.status_code

        async def worker(deadline: float, record: bool) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await one()
                if record:
                    latencies.append(time.perf_counter() - started)
                    counts["ok" if status == 200 else "other"] += 1

        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "route": route,
        "requests_per_second": counts["ok"] / elapsed,
        "non_200": counts["other"],
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", nargs="+", default=["me", "windows", "ingest"])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="dl-token-rate-")
    url = f"sqlite:///{folder}/bench.db"
    token = _bootstrap(url)
    port = _free_port()
    env = {**os.environ, "DRIFTLINE_DATABASE_URL": url, "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
           "DRIFTLINE_LOG_LEVEL": "warning"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-c", "from driftline.cli import main; main()", "server",
         "--port", str(port), "--no-monitor"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        runs = []
        for route in args.routes:
            run = asyncio.run(_load(base, token, route, args.concurrency, args.seconds))
            runs.append(run)
            print(
                f"{route:8s} {run['requests_per_second']:8.1f} req/s  p50 {run['p50_ms']:.1f} ms"
                f"  p99 {run['p99_ms']:.1f} ms  non-200 {run['non_200']}"
            )
    finally:
        server.terminate()
        server.wait(20)
    payload = {"machine": machine(), "args": vars(args), "runs": runs}
    print(json.dumps(payload))
    write_results("bench_token_rate", payload)


if __name__ == "__main__":
    main()
