"""Benchmark: sustained ingestion over HTTP, from a separate client process (issue 7).

A real ``driftline server`` (uvicorn, ``create_app`` factory, the monitor loop off so that
ingestion alone is measured) runs as its own process on a SQLite file or a fresh
PostgreSQL database; the project, model, version and an editor token are created directly
in the database first. A separate client process then sends 1,000-row batches of the
standard monitoring data set (25 features, a client prediction id, a timestamp and the
score ``proba``; ``driftline.testing.make_monitoring_data``) over ``N`` concurrent
keep-alive connections for ``--seconds`` after a warm-up, as:

- ``arrow``: ``application/vnd.apache.arrow.stream`` bodies (uncompressed IPC stream);
- ``json-records``: ``{"records": [{...}, ...]}``;
- ``json-columns``: ``{"columns": {name: [...]}}``.

Bodies are prepared before the clock starts and only their ids change per request (a
byte substitution), so the client's cost is HTTP only, not serialization; every request
carries new, time-ordered ids (as the SDK sends UUIDv7s). Reported per configuration:
sustained rows/s (rows acknowledged by a 200 answer during the measured interval /
its length), request latency p50/p99 under that load and at concurrency 1, the server's
peak RSS, and a check that the database holds exactly the acknowledged rows.

Configurations: ``--ingestors coalesce direct`` (group commit vs one transaction per
request), ``--http httptools h11``, ``--workers 1 2``.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_ingest_http                     # defaults below
    .venv/bin/python -m benchmarks.bench_ingest_http --backends sqlite --formats arrow \\
        --ingestors coalesce direct --concurrency 8 --seconds 8

Results are printed and written to ``benchmarks/results/bench_ingest_http.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import numpy as np

from benchmarks._common import ROOT, machine, median, write_results

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]
PLACEHOLDER = b"@@driftline-id@@"  # 16 bytes, replaced per request by a 16-byte prefix
PATH = "/api/v1/projects/bench/models/m/versions/1/predictions"
CONTENT_TYPES = {
    "arrow": "application/vnd.apache.arrow.stream",
    "json-records": "application/json",
    "json-columns": "application/json",
}
SERVER = """
import os, uvicorn
uvicorn.run("driftline.server:create_app", factory=True, host="127.0.0.1",
            port=int(os.environ["BENCH_PORT"]), workers=int(os.environ["BENCH_WORKERS"]),
            loop=os.environ["BENCH_LOOP"], http=os.environ["BENCH_HTTP"],
            log_level="warning", access_log=False)
"""


# --- data ---------------------------------------------------------------------------------
def _sample(rows: int) -> Any:
    import pyarrow as pa

    from driftline.testing import make_monitoring_data

    _, cur = make_monitoring_data(rows, seed=0, drift=True)
    table = pa.Table.from_pandas(cur[[*FEATURES, "proba"]], preserve_index=False)
    table = table.rename_columns([*FEATURES, "score"])
    ids = [PLACEHOLDER.decode() + f"-{k:06d}" for k in range(rows)]
    stamp = pa.array(np.full(rows, np.datetime64("2026-11-27T03:00:00", "us")))
    return table.append_column("prediction_id", pa.array(ids)).append_column(
        "timestamp", stamp.cast(pa.timestamp("us", tz="UTC"))
    )


def _template(fmt: str, rows: int) -> bytes:
    import orjson
    import pyarrow as pa

    table = _sample(rows)
    if fmt == "arrow":
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return bytes(sink.getvalue().to_pybytes())
    columns = table.to_pydict()
    columns["timestamp"] = [t.isoformat() for t in columns["timestamp"]]
    if fmt == "json-columns":
        return orjson.dumps({"columns": columns})
    names = list(columns)
    records = [
        dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    return orjson.dumps({"records": records})


# --- client (its own process) -----------------------------------------------------------------
async def _client(
    url: str, token: str, fmt: str, seconds: float, concurrency: int, rows: int, warmup: float
) -> dict[str, Any]:
    import httpx
    import orjson

    template = _template(fmt, rows)
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    if template.count(PLACEHOLDER) != rows:
        raise RuntimeError("the id placeholder must occur once per row in the body")
    tag = secrets.token_hex(3)
    counter = iter(range(10**9))
    headers = {"authorization": f"Bearer {token}", "content-type": CONTENT_TYPES[fmt]}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    acknowledged = 0  # rows acknowledged during the measured interval
    total_acknowledged = 0
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120.0) as client:

        async def worker() -> None:
            nonlocal acknowledged, total_acknowledged
            while time.perf_counter() < deadline:
                prefix = f"{tag}{next(counter):010d}".encode()
                body = template.replace(PLACEHOLDER, prefix)
                sent = time.perf_counter()
                response = await client.post(PATH, content=body, headers=headers)
                done = time.perf_counter()
                statuses[response.status_code] += 1
                if response.status_code != 200:
                    if response.status_code in (429, 503):
                        await asyncio.sleep(0.05)
                    continue
                accepted = int(orjson.loads(response.content)["accepted"])
                total_acknowledged += accepted
                if sent >= measure_from and done <= deadline:
                    latencies.append(done - sent)
                if measure_from <= done <= deadline:
                    acknowledged += accepted

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "client_cpu_fraction": (usage.ru_utime + usage.ru_stime - cpu_before) / wall,
        "client_cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
        "rows_per_second": acknowledged / seconds,
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in statuses.items()},
        "acknowledged_rows": total_acknowledged,
        "p50_ms": float(np.percentile(latencies, 50) * 1e3) if latencies else None,
        "p99_ms": float(np.percentile(latencies, 99) * 1e3) if latencies else None,
        "latency_samples": len(latencies),
        "body_bytes": len(template),
    }


# --- orchestration ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    try:
        schema = VersionSchema.infer(_sample(100).drop_columns(["prediction_id", "timestamp"]))
        with session_factory(engine).begin() as session:
            catalog = Catalog(session)
            project = catalog.create_project("bench")
            model = catalog.create_model(project.id, "m")
            catalog.create_version(model.id, "1", schema)
            return TokenRepository(session).create(project.id, name="bench", role="editor").secret
    finally:
        engine.dispose()


def _stored_rows(url: str) -> int:
    from sqlalchemy import func, select

    from driftline.store import create_engine_from_url
    from driftline.store._models import Prediction

    engine = create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Prediction)).scalar_one())
    finally:
        engine.dispose()


class Server:
    """``driftline server`` (the create_app factory under uvicorn) as a child process."""

    def __init__(self, url: str, *, ingestor: str, http: str, workers: int, loop: str) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "DRIFTLINE_DATABASE_URL": url,
            "DRIFTLINE_SERVER_MONITOR": "false",
            "DRIFTLINE_INGEST_COALESCE": "true" if ingestor == "coalesce" else "false",
            "DRIFTLINE_RATE_LIMIT_PER_SECOND": "0",
            "DRIFTLINE_LOG_LEVEL": "warning",
            "BENCH_PORT": str(self.port),
            "BENCH_WORKERS": str(workers),
            "BENCH_LOOP": loop,
            "BENCH_HTTP": http,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start within 60 s")

    def peak_rss(self) -> int:
        """Peak RSS of the server process tree (uvicorn master + workers)."""
        import psutil

        total = 0
        try:
            root = psutil.Process(self.proc.pid)
            for proc in [root, *root.children(recursive=True)]:
                with open(f"/proc/{proc.pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            total += int(line.split()[1]) * 1024
        except (psutil.Error, OSError):
            pass
        return total

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each process and its children, by pid."""
    import psutil

    out: dict[int, float] = {}
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                out[p.pid] = times.user + times.system
        except psutil.Error:
            pass
    return out


def _cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used meanwhile by the processes alive at the end (one started meanwhile, e.g. a
    new PostgreSQL backend, counts whole; one that exited took its counter with it)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _postgres_pids() -> list[int]:
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["name"])
        if (p.info["name"] or "").startswith("postgres")
    ]


def _run_client(server: Server, token: str, fmt: str, args: argparse.Namespace, n: int) -> Any:
    """One client process; adds the CPU the server and PostgreSQL used meanwhile."""
    pg = _postgres_pids()
    server_before, pg_before = _cpu_seconds([server.proc.pid]), _cpu_seconds(pg)
    wall_before = time.perf_counter()
    result = _client_process(server, token, fmt, args, n)
    wall = time.perf_counter() - wall_before
    server_after, pg_after = _cpu_seconds([server.proc.pid]), _cpu_seconds(_postgres_pids())
    result["server_cpu_seconds"] = _cpu_delta(server_before, server_after)
    result["postgres_cpu_seconds"] = _cpu_delta(pg_before, pg_after)
    result["server_cpu_fraction"] = result["server_cpu_seconds"] / wall
    result["postgres_cpu_fraction"] = result["postgres_cpu_seconds"] / wall
    result["load_average_after"] = os.getloadavg()[0]
    return result


def _client_process(server: Server, token: str, fmt: str, args: argparse.Namespace, n: int) -> Any:
    argv = [sys.executable, "-m", "benchmarks.bench_ingest_http", "--client", server.url, token,
            fmt, str(args.seconds), str(n), str(args.rows), str(args.warmup)]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"client failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _per_row(run: dict[str, Any], who: str) -> str:
    """CPU microseconds per acknowledged row spent by ``who`` while the client ran (robust
    to other jobs on the machine, unlike rows/s)."""
    rows = run["acknowledged_rows"]
    return f"{run[who + '_cpu_seconds'] * 1e6 / rows:4.1f}" if rows else "  - "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--formats", nargs="+", default=["arrow", "json-records", "json-columns"])
    parser.add_argument("--ingestors", nargs="+", default=["coalesce", "direct"])
    parser.add_argument("--http", nargs="+", default=["httptools"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1])
    parser.add_argument("--loop", default="uvloop")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000, help="rows per request")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-single", action="store_true", help="skip concurrency-1 latency")
    parser.add_argument("--client", nargs=7, metavar="ARG")
    args = parser.parse_args()
    if args.client:
        url, token, fmt, seconds, n, rows, warmup = args.client
        result = asyncio.run(
            _client(url, token, fmt, float(seconds), int(n), int(rows), float(warmup))
        )
        print(json.dumps(result))
        return

    from benchmarks._common import scratch_database

    results: dict[str, Any] = {"machine": machine(), "config": vars(args), "runs": {}}
    for backend in args.backends:
        for ingestor in args.ingestors:
            for http in args.http:
                for workers in args.workers:
                    with tempfile.TemporaryDirectory(prefix="bench_http_") as folder:
                        url, drop = scratch_database(backend, folder)
                        try:
                            token = _bootstrap(url)
                            server = Server(
                                url, ingestor=ingestor, http=http, workers=workers, loop=args.loop
                            )
                            try:
                                acknowledged = 0
                                for fmt in args.formats:
                                    runs = [
                                        _run_client(server, token, fmt, args, args.concurrency)
                                        for _ in range(args.repeats)
                                    ]
                                    acknowledged += sum(r["acknowledged_rows"] for r in runs)
                                    single = None
                                    if not args.no_single:
                                        single = _run_client(server, token, fmt, args, 1)
                                        acknowledged += single["acknowledged_rows"]
                                    entry = {
                                        "rows_per_second_median": median(
                                            [r["rows_per_second"] for r in runs]
                                        ),
                                        "p50_ms_median": median([r["p50_ms"] for r in runs]),
                                        "p99_ms_median": median([r["p99_ms"] for r in runs]),
                                        "runs": runs,
                                        "single": single,
                                    }
                                    key = f"{backend}/{ingestor}/{http}/w{workers}/{fmt}"
                                    results["runs"][key] = entry
                                    solo = (
                                        f"  | 1 conn: {single['rows_per_second']:>8,.0f} rows/s "
                                        f"p50 {single['p50_ms']:6.1f} p99 {single['p99_ms']:6.1f} ms"
                                        if single
                                        else ""
                                    )
                                    cpu = runs[len(runs) // 2]
                                    print(
                                        f"{backend:>8} {ingestor:>8} {http:>9} w{workers} "
                                        f"{fmt:>12} | {args.concurrency} conns: "
                                        f"{entry['rows_per_second_median']:>9,.0f} rows/s  p50 "
                                        f"{entry['p50_ms_median']:6.1f} p99 "
                                        f"{entry['p99_ms_median']:6.1f} ms{solo} | CPU us/row "
                                        f"server {_per_row(cpu, 'server')} client "
                                        f"{_per_row(cpu, 'client')} pg "
                                        f"{_per_row(cpu, 'postgres')} | load "
                                        f"{cpu['load_average_after']:.1f}",
                                        flush=True,
                                    )
                                rss = server.peak_rss()
                            finally:
                                server.stop()
                            stored = _stored_rows(url)
                            key = f"{backend}/{ingestor}/{http}/w{workers}"
                            results["runs"][key + "/server"] = {
                                "peak_rss": rss,
                                "acknowledged_rows": acknowledged,
                                "stored_rows": stored,
                            }
                            print(
                                f"{'':>8} server peak RSS {rss / 2**20:,.0f} MB; acknowledged "
                                f"{acknowledged:,} rows, stored {stored:,}",
                                flush=True,
                            )
                            if stored < acknowledged:
                                raise RuntimeError("acknowledged rows are missing from the store")
                        finally:
                            if drop is not None:
                                drop()
    out = write_results("bench_ingest_http", results)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
