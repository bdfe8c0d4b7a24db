"""Benchmark: serving throughput and latency, adaptive micro-batching vs no batching vs a
fixed-wait batcher (issue 15).

One ``driftline.serve`` process (uvicorn, one worker) per configuration serves a
HistGradientBoosting classifier (skops; 20 numeric features, trained on seeded data) and,
with ``--models onnx``, a logistic regression exported to ONNX. A separate client process
sends one-row ``/invocations`` requests (``dataframe_split``) over keep-alive connections
(a minimal asyncio HTTP/1.1 client, so that the client costs little CPU) at concurrency 1
and 16 for ``--seconds`` after a warm-up. Configurations:

- ``adaptive``: driftline's batcher (never waits; batches what queued while the model ran);
- ``none``: ``max_batch_size=1`` (one request per model call);
- ``fixed``: waits up to ``--fixed-wait-ms`` (default 5 ms) for a batch to fill.

Each (model, configuration, concurrency) is measured ``--repeats`` times, interleaved;
medians are printed with the ratios adaptive / none and adaptive / fixed of throughput
(higher is better) and of p50/p99 latency (lower is better), and the mean batch size from
the server's own histogram. Run from the repository root::

    .venv/bin/python -m benchmarks.bench_serve                       # defaults
    .venv/bin/python -m benchmarks.bench_serve --seconds 3 --repeats 1   # smoke run

Results go to ``benchmarks/results/bench_serve.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, machine, median, write_results

CONFIGS = ("adaptive", "none", "fixed")
SERVER = """
import sys
from driftline.serve import load_model, run
path, port, config, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
options = {"adaptive": {}, "none": {"max_batch_size": 1}, "fixed": {"batch_wait_ms": wait}}
run(load_model(path, name="m", version="1"), port=port, log_level="warning",
    max_latency_ms=1000.0, **options[config])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _models(folder: Path, which: list[str]) -> dict[str, Path]:
    import skops.io
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 20))
    y = (x[:, :5].sum(axis=1) + rng.normal(0, 1, len(x)) > 0).astype(int)
    out: dict[str, Path] = {}
    if "hgb" in which:
        import pandas as pd

        frame = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(20)])
        hgb = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(frame, y)
        out["hgb"] = folder / "hgb.skops"
        skops.io.dump(hgb, out["hgb"])
    if "onnx" in which:
        import onnx
        from skl2onnx import to_onnx

        clf = LogisticRegression().fit(x.astype(np.float32), y)
        proto = to_onnx(clf, x[:1].astype(np.float32), options={"zipmap": False})
        entry = proto.metadata_props.add()
        entry.key, entry.value = "feature_names", json.dumps([f"f{i:02d}" for i in range(20)])
        out["onnx"] = folder / "logistic.onnx"
        onnx.save(proto, str(out["onnx"]))
    return out


# --- client (its own process) -----------------------------------------------------------------
async def _client(port: int, body: bytes, seconds: float, warmup: float, concurrency: int) -> Any:
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    done_in_window = 0
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + seconds

    async def worker() -> None:
        nonlocal done_in_window
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done = time.perf_counter()
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200 and measure_from <= sent and done <= deadline:
                latencies.append(done - sent)
                done_in_window += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "requests_per_second": done_in_window / seconds,
        "p50_ms": float(np.percentile(latencies, 50) * 1e3) if latencies else None,
        "p99_ms": float(np.percentile(latencies, 99) * 1e3) if latencies else None,
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def _client_process(port: int, body: bytes, args: argparse.Namespace, n: int) -> Any:
    cmd = [sys.executable, "-m", "benchmarks.bench_serve", "--client", str(port), str(n),
           "--seconds", str(args.seconds), "--warmup", str(args.warmup)]  # fmt: skip
    proc = subprocess.run(cmd, input=body, capture_output=True, cwd=ROOT, check=False,
                          timeout=args.seconds + args.warmup + 120)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode()[-2000:])
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _batch_stats(port: int) -> tuple[float, float]:
    import httpx

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    total = float(re.search(r"driftline_serve_batch_size_rows_sum\{[^}]*\} (\S+)", text).group(1))  # type: ignore[union-attr]
    count = float(re.search(r"driftline_serve_batch_size_rows_count\{[^}]*\} (\S+)", text).group(1))  # type: ignore[union-attr]
    return total, count


def _measure(path: Path, config: str, args: argparse.Namespace, body: bytes) -> dict[str, Any]:
    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(path), str(port), config, str(args.fixed_wait_ms)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.1)
    try:
        result = {}
        for n in args.concurrency:
            before = _batch_stats(port)
            result[n] = _client_process(port, body, args, n)
            after = _batch_stats(port)
            batches = after[1] - before[1]
            result[n]["mean_batch_rows"] = (after[0] - before[0]) / batches if batches else None
        return result
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--models", nargs="+", default=["hgb"], choices=["hgb", "onnx"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fixed-wait-ms", type=float, default=5.0)
    args = parser.parse_args()
    if args.client:
        body = sys.stdin.buffer.read()
        port, n = args.client
        print(json.dumps(asyncio.run(_client(port, body, args.seconds, args.warmup, n))))
        return
    runs: dict[str, dict[str, dict[int, list[dict[str, Any]]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = _models(Path(tmp), args.models)
        for name, path in paths.items():
            rng = np.random.default_rng(1)
            columns = [f"f{i:02d}" for i in range(20)]
            body = json.dumps({"dataframe_split": {"columns": columns,
                               "data": [rng.normal(size=20).round(4).tolist()]}}).encode()  # fmt: skip
            runs[name] = {c: {n: [] for n in args.concurrency} for c in CONFIGS}
            for repeat in range(args.repeats):
                for config in CONFIGS:
                    measured = _measure(path, config, args, body)
                    for n, result in measured.items():
                        runs[name][config][n].append(result)
                    print(f"{name} {config} repeat {repeat + 1}: "
                          + ", ".join(f"c={n} {r['requests_per_second']:.0f} req/s"
                                      for n, r in measured.items()), flush=True)  # fmt: skip
    summary: dict[str, Any] = {}
    print("\nmedians (requests/s, p50 ms, p99 ms, mean rows per model call)")
    for name, by_config in runs.items():
        summary[name] = {}
        for n in args.concurrency:
            row: dict[str, dict[str, float | None]] = {}
            for config in CONFIGS:
                results = by_config[config][n]
                row[config] = {
                    key: median([r[key] for r in results if r[key] is not None])
                    if any(r[key] is not None for r in results) else None
                    for key in ("requests_per_second", "p50_ms", "p99_ms", "mean_batch_rows")
                }  # fmt: skip
                m = row[config]
                print(f"{name:5s} c={n:<3d} {config:9s} {_fmt(m['requests_per_second'], 0):>7s} req/s"
                      f"  p50 {_fmt(m['p50_ms'], 2):>7s}  p99 {_fmt(m['p99_ms'], 2):>7s}"
                      f"  batch {_fmt(m['mean_batch_rows'], 2)}")  # fmt: skip
            a = row["adaptive"]
            ratios = {}
            for other in ("none", "fixed"):
                o = row[other]
                ratios[f"throughput_adaptive_over_{other}"] = (
                    a["requests_per_second"] / o["requests_per_second"]  # type: ignore[operator]
                )
                ratios[f"p50_{other}_over_adaptive"] = o["p50_ms"] / a["p50_ms"]  # type: ignore[operator]
                ratios[f"p99_{other}_over_adaptive"] = o["p99_ms"] / a["p99_ms"]  # type: ignore[operator]
            print("      ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
            summary[name][str(n)] = {"medians": row, "ratios": ratios}
    payload = {"machine": machine(), "args": {k: v for k, v in vars(args).items() if k != "client"},
               "summary": summary,
               "runs": {m: {c: {str(n): r for n, r in v.items()} for c, v in by_c.items()}
                        for m, by_c in runs.items()}}  # fmt: skip
    print(f"\nwritten to {write_results('bench_serve', payload)}")


if __name__ == "__main__":
    main()
