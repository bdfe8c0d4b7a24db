"""Benchmark: storing and reading back a model artifact with ``ArtifactStore``.

For each backend (a local folder; S3 on a moto server started for the run, ``python -m
moto.server`` in its own process), an artifact of ``--mib`` MiB of random bytes is
written with ``ArtifactStore.put_stream`` (spooled, hashed, checked, published) and read
back with ``iter_chunks`` (hashed, verified). Each measurement runs in a fresh process:
MiB/s of the write and of the read, and the peak RSS growth of each phase above the
process's RSS before it (``/proc/self/clear_refs``).

The peer, in the same run: the obvious code, the artifact as one ``bytes`` object
hashed with ``hashlib`` and written with ``fs.pipe_file``, read back with
``fs.cat_file`` (no spooling, no verification while streaming): its memory grows with
the artifact.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_artifacts                 # 256 MiB, 3 repeats
    .venv/bin/python -m benchmarks.bench_artifacts --mib 64 --repeats 1

Results are printed and written to ``benchmarks/results/bench_artifacts.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks._common import (
    current_rss_bytes,
    machine,
    median,
    peak_rss_bytes,
    release_memory,
    reset_peak_rss,
    run_fresh,
    write_results,
)

_MiB = 1024 * 1024
_CREDENTIALS = {"key": "testing", "secret": "testing"}


def _store(backend: str, target: str, endpoint: str | None) -> Any:
    from driftline.registry import ArtifactStore

    if backend == "local":
        return ArtifactStore(target)
    options = {**_CREDENTIALS, "endpoint_url": endpoint,
               "client_kwargs": {"region_name": "us-east-1"}}  # fmt: skip
    return ArtifactStore(target, storage_options=options)


def _phase(fn: Any) -> tuple[float, int, Any]:
    release_memory()
    before = current_rss_bytes()
    reset_peak_rss()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    return elapsed, max(0, peak_rss_bytes() - before), result


def worker(mode: str, backend: str, target: str, endpoint: str | None, mib: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    store = _store(backend, target, endpoint)
    block = os.urandom(_MiB)
    total = mib * _MiB
    if mode == "driftline":
        write_s, write_rss, info = _phase(lambda: store.put_stream(block for _ in range(mib)))
        read_s, read_rss, n = _phase(lambda: sum(len(c) for c in store.iter_chunks(info.digest)))
    else:  # the peer: whole bytes
        fs, root = store._fs, store._root

        def write() -> str:
            data = block * mib
            digest = hashlib.sha256(data).hexdigest()
            fs.pipe_file(f"{root}/peer-{digest}", data)
            return digest

        write_s, write_rss, digest = _phase(write)

        def read() -> int:
            data = fs.cat_file(f"{root}/peer-{digest}")
            hashlib.sha256(data).hexdigest()
            return len(data)

        read_s, read_rss, n = _phase(read)
    assert n == total
    return {"write_mib_s": mib / write_s, "read_mib_s": mib / read_s,
            "write_peak_rss_mib": write_rss / _MiB, "read_peak_rss_mib": read_rss / _MiB}  # fmt: skip


def _moto() -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, backend, target, endpoint, mib = args.worker
        result = worker(mode, backend, target, None if endpoint == "-" else endpoint, int(mib))
        print(json.dumps(result))
        return
    results: dict[str, Any] = {"machine": machine(), "mib": args.mib, "runs": {}}
    proc = None
    try:
        for backend in args.backends.split(","):
            endpoint = "-"
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "s3":
                    import boto3

                    proc, endpoint = _moto()
                    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                                 aws_secret_access_key="testing",
                                 region_name="us-east-1").create_bucket(Bucket="bench")  # fmt: skip
                for mode in ("driftline", "peer"):
                    runs = []
                    for i in range(args.repeats):
                        target = (
                            f"{tmp}/{mode}{i}" if backend == "local" else f"s3://bench/{mode}{i}"
                        )
                        runs.append(run_fresh(["-m", "benchmarks.bench_artifacts", "--worker",
                                               mode, backend, target, endpoint, str(args.mib)]))  # fmt: skip
                    summary = {k: median([r[k] for r in runs]) for k in runs[0]}
                    results["runs"][f"{backend}/{mode}"] = summary
                    print(f"{backend:5} {mode:9} write {summary['write_mib_s']:7.1f} MiB/s "
                          f"(peak +{summary['write_peak_rss_mib']:6.1f} MiB)  read "
                          f"{summary['read_mib_s']:7.1f} MiB/s "
                          f"(peak +{summary['read_peak_rss_mib']:6.1f} MiB)")  # fmt: skip
                if proc is not None:
                    proc.terminate()
                    proc.wait()
                    proc = None
    finally:
        if proc is not None:
            proc.kill()
    path = write_results("bench_artifacts", results)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
