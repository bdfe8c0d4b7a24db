"""Benchmark: what ``driftline.Client.log_predictions`` costs the caller's thread.

The SDK's promise is that logging never slows the serving path: in non-blocking mode
(``block=False``) a call converts the rows to Arrow, gives them ids and a timestamp, and
appends them to a queue; a daemon thread does the HTTP. This measures the wall time of
each ``log_predictions`` call, in a fresh process per measurement:

* ``up``: a real driftline server (``driftline.server.create_app`` under uvicorn, SQLite
  file, monitor loop off) runs in another process on the same machine and receives the
  batches while the calls are timed. Calls are paced (``--rate-1`` calls/s of 1 row,
  ``--rate-1000`` calls/s of 1,000 rows) so that the server keeps up, as in serving.
* ``down``: nothing listens on the URL; the sender's connection attempts fail and back
  off, the 100,000-row queue fills, and later calls drop their rows. Calls are not paced.

Rows: the standard monitoring data set (25 features: 20 numeric, 5 categorical) plus the
score. Inputs: one row as a dict (the typical serving call), 1,000 rows as a pandas
DataFrame and as a pyarrow Table. For reference, ``sync-json`` posts each 1-row call
synchronously as JSON with httpx (the naive alternative the SDK replaces).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_client
    .venv/bin/python -m benchmarks.bench_client --calls-1 2000 --calls-1000 100

Results are printed and written to ``benchmarks/results/bench_client.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, machine, run_fresh, write_results

SERVE = """
import sys, uvicorn
from driftline._config import Settings
from driftline.server import create_app
settings = Settings(database_url=sys.argv[1], server_monitor=False, rate_limit_per_second=0)
uvicorn.run(create_app(settings, monitor=False), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""
MODEL, VERSION = "bench", "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _data(rows: int) -> Any:
    from driftline.testing import make_monitoring_data

    _, current = make_monitoring_data(max(rows, 1000), seed=0, drift=True)
    frame = current.drop(columns=["target", "y_pred"]).rename(columns={"proba": "score"})
    return frame.head(rows).reset_index(drop=True)


def _percentiles(values_ns: list[int]) -> dict[str, float]:
    us = np.asarray(values_ns, dtype=np.float64) / 1000.0
    return {
        "p50_us": float(np.percentile(us, 50)),
        "p90_us": float(np.percentile(us, 90)),
        "p99_us": float(np.percentile(us, 99)),
        "max_us": float(us.max()),
        "mean_us": float(us.mean()),
    }


def worker(scenario: str, kind: str, url: str, token: str, calls: int, rate: float) -> None:
    """Time ``calls`` logging calls; print one JSON line.

    A ``+freeze`` suffix on ``kind`` calls ``gc.freeze()`` after the set-up (as a serving
    process would after loading its model), so that CPython's full collections no longer
    scan the objects of pandas, pyarrow and the data.
    """
    import pyarrow as pa

    kind, _, option = kind.partition("+")
    from driftline.client import Client

    rows = 1 if kind in ("dict-1", "sync-json-1") else 1000
    frame = _data(rows)
    if kind == "dict-1" or kind == "sync-json-1":
        payloads: list[Any] = list(_data(1000).to_dict("records"))
    elif kind == "pandas-1000":
        payloads = [frame]
    else:
        payloads = [pa.Table.from_pandas(frame, preserve_index=False)]
    warmup = 20
    interval = 1.0 / rate if rate > 0 else 0.0
    timings: list[int] = []
    dropped_calls: list[bool] = []
    if kind == "sync-json-1":
        import httpx

        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        path = f"/api/v1/projects/bench/models/{MODEL}/versions/{VERSION}/predictions"
        next_at = time.perf_counter()
        for i in range(warmup + calls):
            record = payloads[i % len(payloads)]
            start = time.perf_counter_ns()
            response = http.post(path, json={"records": [record]})
            elapsed = time.perf_counter_ns() - start
            response.raise_for_status()
            if i >= warmup:
                timings.append(elapsed)
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
        http.close()
        print(json.dumps({**_percentiles(timings), "calls": calls, "rows_per_call": 1}))
        return
    client = Client(url, token, project="bench", block=False, backoff=0.5, retries=5)
    if option == "freeze":
        gc.collect()
        gc.freeze()
    next_at = time.perf_counter()
    dropped_before = 0
    for i in range(warmup + calls):
        data = payloads[i % len(payloads)]
        start = time.perf_counter_ns()
        client.log_predictions(MODEL, VERSION, data)
        elapsed = time.perf_counter_ns() - start
        if i >= warmup:
            timings.append(elapsed)
            dropped = client.stats.rows_dropped
            dropped_calls.append(dropped > dropped_before)
            dropped_before = dropped
        if interval:
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
    if scenario == "up":
        client.flush(120)
    stats = client.stats
    client.close(timeout=0.5 if scenario == "down" else 30)
    result: dict[str, Any] = {
        **_percentiles(timings),
        "calls": calls,
        "rows_per_call": rows,
        "rows_sent": stats.rows_sent,
        "rows_dropped": stats.rows_dropped,
        "requests": stats.requests,
        "retries": stats.retries,
    }
    queued = [t for t, d in zip(timings, dropped_calls, strict=True) if not d]
    dropped = [t for t, d in zip(timings, dropped_calls, strict=True) if d]
    if dropped:
        result["dropped_calls"] = {**_percentiles(dropped), "calls": len(dropped)}
        if queued:
            result["queued_calls"] = {**_percentiles(queued), "calls": len(queued)}
    print(json.dumps(result))


class Server:
    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.database_url = f"sqlite:///{Path(self.tmp.name) / 'bench.db'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def bootstrap(self) -> str:
        from driftline.store import (
            Catalog,
            TokenRepository,
            create_engine_from_url,
            migrate,
            session_factory,
        )

        engine = create_engine_from_url(self.database_url)
        migrate(engine)
        with session_factory(engine).begin() as session:
            project = Catalog(session).create_project("bench")
            token = TokenRepository(session).create(project.id, name="b", role="editor").secret
        engine.dispose()
        return token

    def start(self) -> None:
        import httpx

        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, self.database_url, str(self.port)], cwd=ROOT
        )
        for _ in range(600):
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
        self.tmp.cleanup()


def _register(url: str, token: str) -> None:
    from driftline.client import Client

    reference = _data(2000)
    with Client(url, token) as client:
        client.create_model(MODEL)
        client.register_version(MODEL, VERSION, reference=reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls-1", type=int, default=5000, help="1-row calls per run")
    parser.add_argument("--calls-1000", type=int, default=500, help="1,000-row calls per run")
    parser.add_argument("--calls-sync", type=int, default=1000, help="sync-json calls per run")
    parser.add_argument("--rate-1", type=float, default=1000.0, help="1-row calls/s (up)")
    parser.add_argument("--rate-1000", type=float, default=20.0, help="1,000-row calls/s (up)")
    parser.add_argument("--scenarios", default="up,down")
    parser.add_argument(
        "--worker", nargs=6, metavar=("SCENARIO", "KIND", "URL", "TOKEN", "CALLS", "RATE")
    )
    args = parser.parse_args()
    if args.worker:
        scenario, kind, url, token, calls, rate = args.worker
        worker(scenario, kind, url, token, int(calls), float(rate))
        return
    results: dict[str, Any] = {"machine": machine(), "runs": {}}
    for scenario in args.scenarios.split(","):
        server = Server()
        token = server.bootstrap()
        if scenario == "up":
            server.start()
            _register(server.url, token)
            kinds = ["dict-1", "pandas-1000", "arrow-1000", "sync-json-1"]
        else:
            kinds = ["dict-1", "pandas-1000", "arrow-1000"]
        try:
            for kind in kinds:
                ones = kind.partition("+")[0].endswith("-1")
                calls = args.calls_1 if ones else args.calls_1000
                if kind == "sync-json-1":
                    calls = args.calls_sync
                rate = (args.rate_1 if ones else args.rate_1000) if scenario == "up" else 0.0
                gc.collect()
                argv = ["-m", "benchmarks.bench_client", "--worker", scenario, kind, server.url,
                        token, str(calls), str(rate)]  # fmt: skip
                out = run_fresh(argv, timeout=1800)
                results["runs"][f"{scenario}/{kind}"] = out
                line = (
                    f"{scenario:>4} {kind:<18} calls {calls:>6,}  p50 {out['p50_us']:>8.1f} us  "
                    f"p90 {out['p90_us']:>8.1f} us  p99 {out['p99_us']:>9.1f} us  "
                    f"max {out['max_us']:>9.1f} us"
                )
                if "rows_dropped" in out:
                    line += f"  sent {out['rows_sent']:,} dropped {out['rows_dropped']:,}"
                print(line, flush=True)
                for part in ("queued_calls", "dropped_calls"):
                    if part in out:
                        p = out[part]
                        print(f"{'':>23}{part:<14} {p['calls']:>6,}  p50 {p['p50_us']:>8.1f} us  "
                              f"p99 {p['p99_us']:>9.1f} us", flush=True)  # fmt: skip
        finally:
            server.stop()
    results["load_average_at_end"] = list(os.getloadavg())
    path = write_results("bench_client", results)
    print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
