"""Benchmark: profiles of Parquet data on Dask and Spark vs in one process (issue 18).

Data: the standard monitoring data set (BENCHMARKS.md), the 25 feature columns
(``num_00``..``num_19``, ``cat_00``..``cat_04``), ``--rows`` rows written once to
``--data`` as ``--files`` Parquet files of 4 row groups each.

Measured, each once (a run takes minutes; ratios from one run are what count):

* ``local``: :func:`driftline.profile` of each file in this process, merged (one core);
* ``dask``: :func:`driftline.integrations.dask.profile_bytes` on a ``LocalCluster`` of
  ``--workers`` processes (1 thread each), one partition per file and one per row group,
  then :func:`driftline.integrations.merge_profiles` on the driver;
* ``spark``: the same with :mod:`driftline.integrations.spark` on ``local[W]``, with
  Spark's default 128 MB input partitions and with 32 MB ones;
* ``whylogs``: whylogs' own Spark integration (``collect_dataset_profile_view``) on
  ``local[2]``, run in its own venv (``--whylogs-venv``) when it is installed there.

Reported per run: wall seconds (kinds on the driver + partition profiles + merge), rows/s,
partitions, profile bytes shipped (total and per partition), driver merge seconds, and
the cost per partition (worker-seconds per partition); then the extrapolation to 100M
and 10B rows from the measured per-row, per-merge and per-profile costs. The cluster
profiles are checked equal to the in-process one (``assert_profiles_equivalent``).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_scale --rows 10000000 --files 10
    .venv/bin/python -m benchmarks.bench_scale --rows 1000000 --files 4 --engines local dask

Results are printed and written to ``benchmarks/results/bench_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._common import machine, max_rss_bytes, median, write_results

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]


def make_data(folder: Path, rows: int, files: int) -> list[Path]:
    """Write (once) ``files`` Parquet files holding ``rows`` rows in all."""
    from driftline.testing import make_monitoring_data

    marker = folder / f".complete-{rows}-{files}"
    paths = [folder / f"part-{i:04d}.parquet" for i in range(files)]
    if marker.exists():
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        old.unlink()
    per_file = rows // files
    for i, path in enumerate(paths):
        frame = make_monitoring_data(per_file, seed=1000 + i)[0][FEATURES]
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, row_group_size=max(1, per_file // 4))
        print(f"  wrote {path.name} ({per_file:,} rows)", flush=True)
    marker.write_text("ok")
    return paths


def _summary(name: str, seconds: float, rows: int, parts: list[bytes], merge_s: float,
             workers: int) -> dict[str, Any]:  # fmt: skip
    shipped = sum(len(p) for p in parts)
    out = {
        "run": name,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "partitions": len(parts),
        "workers": workers,
        "bytes_shipped": shipped,
        "bytes_per_partition": shipped / max(1, len(parts)),
        "merge_seconds": merge_s,
        "worker_seconds_per_partition": (seconds - merge_s) * workers / max(1, len(parts)),
    }
    print(
        f"{name:34s} {seconds:8.2f} s  {rows / seconds / 1e6:6.2f} M rows/s  "
        f"{len(parts):4d} partitions  shipped {shipped / 2**20:7.2f} MiB "
        f"({out['bytes_per_partition'] / 1024:6.1f} KiB each)  merge {merge_s:6.3f} s",
        flush=True,
    )
    return out


def run_local(paths: list[Path], rows: int) -> tuple[dict[str, Any], Any]:
    from driftline.integrations import merge_profiles
    from driftline.profiles import profile

    profile(paths[0])  # warm up (imports, Arrow kernels), as a running service would be
    start, cpu = time.perf_counter(), time.process_time()
    parts = [profile(p).to_bytes() for p in paths]
    t_merge = time.perf_counter()
    merged = merge_profiles(parts)
    end, cpu_end = time.perf_counter(), time.process_time()
    out = _summary("local (1 process)", end - start, rows, parts, end - t_merge, 1)
    out["cpu_seconds"] = cpu_end - cpu
    print(
        f"{'':34s} CPU {out['cpu_seconds']:.2f} s = {rows / out['cpu_seconds'] / 1e6:.2f} "
        "M rows/s per core (the machine is shared: wall time includes waiting)",
        flush=True,
    )
    return out, merged


def run_dask(folder: Path, rows: int, workers: list[int], want: Any) -> list[dict[str, Any]]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from driftline.integrations import merge_profiles
    from driftline.integrations.dask import profile_bytes
    from driftline.testing import assert_profiles_equivalent

    out = []
    for w in workers:
        with (
            LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster,
            Client(cluster),
        ):  # fmt: skip
            import pandas as pd

            profile_bytes(dd.from_pandas(pd.DataFrame({"x": [1.0] * 8}), npartitions=w))  # warm
            for split in (False, True):
                ddf = dd.read_parquet(str(folder), split_row_groups=split)
                start = time.perf_counter()
                parts = profile_bytes(ddf)
                t_merge = time.perf_counter()
                merged = merge_profiles(parts)
                end = time.perf_counter()
                label = f"dask {w} worker(s), {'row group' if split else 'file'}/partition"
                out.append(_summary(label, end - start, rows, parts, end - t_merge, w))
                assert_profiles_equivalent(merged, want)
    return out


def run_spark(folder: Path, rows: int, workers: list[int], want: Any) -> list[dict[str, Any]]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from driftline.integrations import merge_profiles
    from driftline.integrations.spark import profile_bytes
    from driftline.testing import assert_profiles_equivalent

    out = []
    for w in workers:
        spark = (
            SparkSession.builder.master(f"local[{w}]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "4g")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        profile_bytes(spark.createDataFrame([(1.0,)] * 8, "x double"))  # warm up the workers
        try:
            for mb in (128, 32):
                spark.conf.set("spark.sql.files.maxPartitionBytes", str(mb * 2**20))
                sdf = spark.read.parquet(str(folder))
                start = time.perf_counter()
                parts = profile_bytes(sdf)
                t_merge = time.perf_counter()
                merged = merge_profiles(parts)
                end = time.perf_counter()
                label = f"spark local[{w}], {mb} MB partitions"
                out.append(_summary(label, end - start, rows, parts, end - t_merge, w))
                assert_profiles_equivalent(merged, want)
        finally:
            spark.stop()
    return out


_WHYLOGS = """
import sys, time, os
from pyspark.sql import SparkSession
from whylogs.api.pyspark.experimental import collect_dataset_profile_view
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", "4g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sdf = spark.read.parquet(sys.argv[1])
start = time.perf_counter()
view = collect_dataset_profile_view(sdf)
seconds = time.perf_counter() - start
print("RESULT", seconds, len(view.serialize()))
spark.stop()
"""


def run_whylogs(folder: Path, rows: int, venv: Path) -> dict[str, Any] | None:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"whylogs: no venv at {venv}; skipped", flush=True)
        return None
    env = {**os.environ, "PYSPARK_PYTHON": str(python), "WHYLOGS_NO_ANALYTICS": "True",
           "DO_NOT_TRACK": "1", "PYTHONPATH": ""}  # fmt: skip
    done = subprocess.run(
        [str(python), "-c", _WHYLOGS, str(folder)], capture_output=True, text=True, env=env
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT")]
    if done.returncode or not lines:
        print(f"whylogs: failed ({done.stderr.strip().splitlines()[-1:]}); skipped", flush=True)
        return None
    _, seconds, size = lines[-1].split()
    print(f"{'whylogs Spark local[2]':34s} {float(seconds):8.2f} s  "
          f"{rows / float(seconds) / 1e6:6.2f} M rows/s  profile {int(size) / 2**20:.2f} MiB",
          flush=True)  # fmt: skip
    return {"run": "whylogs spark local[2]", "seconds": float(seconds), "profile_bytes": int(size)}


def merge_cost(parts: list[bytes], repeats: int = 7) -> float:
    """Median seconds of one driver merge of two partition profiles (decode included)."""
    from driftline.profiles import DatasetProfile

    times = []
    for i in range(repeats):
        a, b = parts[i % len(parts)], parts[(i + 1) % len(parts)]
        start = time.perf_counter()
        DatasetProfile.from_bytes(a).merge(DatasetProfile.from_bytes(b))
        times.append(time.perf_counter() - start)
    return median(times)


def extrapolate(local: dict[str, Any], runs: list[dict[str, Any]], one_merge: float,
                profile_bytes: float) -> dict[str, Any]:  # fmt: skip
    """Linear extrapolation (labelled as such) from the measured per-row and per-merge costs."""
    per_row = local["cpu_seconds"] / local["rows"]  # CPU of one core, in-process profiling
    best = max(runs, key=lambda r: r["rows_per_s"]) if runs else None
    out: dict[str, Any] = {"seconds_per_row_one_core": per_row, "one_merge_seconds": one_merge,
                           "profile_bytes": profile_bytes}  # fmt: skip
    for rows in (100_000_000, 10_000_000_000):
        partitions = rows // 1_000_000  # 1M rows (~200 MB of 25 columns) per partition
        est = {
            "partitions_of_1M_rows": partitions,
            "core_hours": rows * per_row / 3600,
            "driver_merge_seconds": (partitions - 1) * one_merge,
            "bytes_shipped": partitions * profile_bytes,
        }
        if best is not None:
            est["wall_hours_at_measured_rate"] = rows / best["rows_per_s"] / 3600
        out[str(rows)] = est
        print(
            f"EXTRAPOLATION {rows:>14,} rows: {est['core_hours']:8.2f} core-hours of "
            f"partition profiling, {partitions:,} partitions -> driver merge "
            f"{est['driver_merge_seconds']:7.1f} s, {est['bytes_shipped'] / 2**30:6.2f} GiB shipped",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--data", type=Path, default=Path("/tmp/driftline-scale-data"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", default=["local", "dask", "spark", "whylogs"])
    parser.add_argument("--whylogs-venv", type=Path, default=Path("/tmp/whylogs-venv"))
    args = parser.parse_args()
    rows = (args.rows // args.files) * args.files
    paths = make_data(args.data, rows, args.files)
    results: dict[str, Any] = {"machine": machine(), "rows": rows, "files": args.files}
    local, want = run_local(paths, rows)
    results["local"] = local
    parts = [want.to_bytes()]
    runs: list[dict[str, Any]] = []
    if "dask" in args.engines:
        runs += run_dask(args.data, rows, args.workers, want)
    if "spark" in args.engines:
        runs += run_spark(args.data, rows, args.workers, want)
    results["runs"] = runs
    if "whylogs" in args.engines:
        results["whylogs"] = run_whylogs(args.data, rows, args.whylogs_venv)
    from driftline.profiles import profile

    parts = [profile(p).to_bytes() for p in paths[:2]]
    one_merge = merge_cost(parts)
    print(f"one driver merge of two partition profiles: {one_merge * 1e3:.1f} ms; "
          f"profile of 1 file: {len(parts[0]) / 1024:.1f} KiB", flush=True)  # fmt: skip
    results["extrapolation"] = extrapolate(local | {"rows": rows}, runs, one_merge,
                                           float(len(parts[0])))  # fmt: skip
    results["driver_peak_rss"] = max_rss_bytes()
    path = write_results("bench_scale", results)
    print(json.dumps({"wrote": str(path)}))


if __name__ == "__main__":
    main()
