"""Benchmark: ``driftline.profiles.profile`` against whylogs 1.6, and memory when streaming.

Data: the standard monitoring data set (BENCHMARKS.md), reference frame, the 25 feature
columns ``num_00``..``num_19`` and ``cat_00``..``cat_04`` (``target``, ``proba`` and
``y_pred`` are left out). Each size is written once to Parquet; every measurement
runs in a fresh single-threaded process that reads the Parquet file into a pandas
frame and times only the profiling call (median of ``--repeats`` runs). whylogs runs
in its own venv (``.bench/venv-whylogs``) in the same run.

Memory: the worker records the RSS once the frame is loaded, then the peak RSS while
profiling (``/proc/self/clear_refs`` + ``VmHWM``); the difference is what profiling
adds, and "frame + profiling" is compared with the frame's own size
(``memory_usage(deep=True)``).
Streaming: the same frame written 1x and ``--file-scale`` x into one Parquet file and
profiled from the path; the peak RSS of both should agree within 10 %.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_profile                       # 100k and 1M rows
    .venv/bin/python -m benchmarks.bench_profile --sizes 100000 --repeats 5 --skip-whylogs

Results are printed and written to ``benchmarks/results/bench_profile.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    ROOT,
    current_rss_bytes,
    machine,
    max_rss_bytes,
    median,
    peak_rss_bytes,
    release_memory,
    reset_peak_rss,
    run_fresh,
    write_results,
)

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]
WHYLOGS_PYTHON = ROOT / ".bench" / "venv-whylogs" / "bin" / "python"
_WHYLOGS_WORKER = """
import json, os, resource, sys, time
import pandas as pd
import whylogs as why
def statm():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
frame = pd.read_parquet(sys.argv[1])
before = statm()
try:
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
t0, c0 = time.perf_counter(), time.process_time()
view = why.log(pandas=frame).view()
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = max(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "rss_before": before, "peak_rss": peak,
                  "n_columns": len(view.get_columns())}))
"""


def _worker_frame(path: str) -> dict[str, Any]:
    import pandas as pd
    import pyarrow as pa

    from driftline.profiles import profile

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    rss_imports = current_rss_bytes()
    frame = pd.read_parquet(path)
    frame_bytes = int(frame.memory_usage(deep=True, index=False).sum())
    release_memory()
    rss_before = current_rss_bytes()
    reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    prof = profile(frame)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_rss_bytes()
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "n_rows": prof.n_rows,
        "frame_bytes": frame_bytes,
        "rss_imports": rss_imports,
        "rss_before": rss_before,
        "peak_rss": peak,
        "max_rss": max_rss_bytes(),
        "profile_bytes": len(prof.to_bytes()),
    }


def _worker_file(path: str) -> dict[str, Any]:
    import pyarrow as pa

    from driftline.profiles import profile

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    release_memory()
    rss_imports = current_rss_bytes()
    reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    prof = profile(path)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "n_rows": prof.n_rows,
        "rss_imports": rss_imports,
        "peak_rss": peak_rss_bytes(),
    }


def _write_data(sizes: list[int], scale: int, folder: Path) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from driftline.testing import make_monitoring_data

    paths: dict[str, Path] = {}
    for n in sizes:
        ref, _ = make_monitoring_data(n, seed=0)
        table = pa.Table.from_pandas(ref[FEATURES], preserve_index=False)
        path = folder / f"frame_{n}.parquet"
        pq.write_table(table, path)
        paths[str(n)] = path
        if n == max(sizes) and scale > 1:
            # The same row groups (131,072 rows) in both files, 1x and scale x the rows.
            for times, key in ((1, f"{n}x1"), (scale, f"{n}x{scale}")):
                streamed = folder / f"frame_{n}_x{times}.parquet"
                with pq.ParquetWriter(streamed, table.schema) as writer:
                    for _ in range(times):
                        writer.write_table(table, row_group_size=1 << 17)
                paths[key] = streamed
        del ref, table
    return paths


def _repeat(argv: list[str], repeats: int, python: str | None = None) -> list[dict[str, Any]]:
    runs = []
    for _ in range(repeats):
        if python is None:
            runs.append(run_fresh(argv))
        else:
            runs.append(run_fresh(argv, python=python))
    return runs


def _mb(x: float) -> str:
    return f"{x / 2**20:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file-scale", type=int, default=10)
    parser.add_argument("--skip-whylogs", action="store_true")
    parser.add_argument("--worker", choices=["frame", "file"])
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.worker:
        fn = _worker_frame if args.worker == "frame" else _worker_file
        print(json.dumps(fn(args.path)))
        return
    have_whylogs = WHYLOGS_PYTHON.exists() and not args.skip_whylogs
    if not have_whylogs:
        print(f"whylogs is not measured: no venv at {WHYLOGS_PYTHON} (or --skip-whylogs).")
    results: dict[str, Any] = {"machine": machine(), "features": FEATURES, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="bench_profile_") as tmp:
        paths = _write_data(args.sizes, args.file_scale, Path(tmp))
        for n in args.sizes:
            path = str(paths[str(n)])
            runs = _repeat(
                ["-m", "benchmarks.bench_profile", "--worker", "frame", "--path", path],
                args.repeats,
            )
            sec = median([r["seconds"] for r in runs])
            cpu = median([r["cpu_seconds"] for r in runs])
            frame_bytes = runs[0]["frame_bytes"]
            # Memory held while profiling = the frame + what profiling adds on top of it.
            overhead = median([max(0, r["peak_rss"] - r["rss_before"]) for r in runs])
            extra = frame_bytes + overhead
            entry: dict[str, Any] = {
                "driftline": {
                    "seconds_median": sec,
                    "seconds_all": [r["seconds"] for r in runs],
                    "cpu_seconds_median": cpu,
                    "cpu_seconds_all": [r["cpu_seconds"] for r in runs],
                    "rows_per_second_wall": n / sec,
                    "rows_per_second_cpu": n / cpu,
                    "frame_bytes": frame_bytes,
                    "rss_before_median": median([r["rss_before"] for r in runs]),
                    "peak_rss_median": median([r["peak_rss"] for r in runs]),
                    "profiling_overhead_bytes": overhead,
                    "frame_plus_profiling_bytes": extra,
                    "memory_ratio_to_frame": extra / frame_bytes,
                    "profile_bytes": runs[0]["profile_bytes"],
                }
            }
            line = (
                f"{n:>9,} rows x 25 cols | driftline wall {sec:7.3f} s ({n / sec:>9,.0f} rows/s), "
                f"cpu {cpu:7.3f} s ({n / cpu:>9,.0f} rows/s); peak RSS "
                f"{_mb(entry['driftline']['peak_rss_median'])}, frame {_mb(frame_bytes)} + "
                f"profiling {_mb(overhead)} = {extra / frame_bytes:.2f}x the frame"
            )
            if have_whylogs:
                wruns = _repeat(["-c", _WHYLOGS_WORKER, path], args.repeats, str(WHYLOGS_PYTHON))
                wsec = median([r["seconds"] for r in wruns])
                wcpu = median([r["cpu_seconds"] for r in wruns])
                entry["whylogs"] = {
                    "seconds_median": wsec,
                    "seconds_all": [r["seconds"] for r in wruns],
                    "cpu_seconds_median": wcpu,
                    "cpu_seconds_all": [r["cpu_seconds"] for r in wruns],
                    "rows_per_second_wall": n / wsec,
                    "rows_per_second_cpu": n / wcpu,
                    "peak_rss_median": median([r["peak_rss"] for r in wruns]),
                    "ratio_wall": wsec / sec,
                    "ratio_cpu": wcpu / cpu,
                }
                line += (
                    f"\n{'':>24}| whylogs   wall {wsec:7.2f} s ({n / wsec:>9,.0f} rows/s), "
                    f"cpu {wcpu:7.2f} s ({n / wcpu:>9,.0f} rows/s); peak RSS "
                    f"{_mb(entry['whylogs']['peak_rss_median'])}"
                    f"\n{'':>24}| whylogs / driftline: {wsec / sec:,.1f}x wall, {wcpu / cpu:,.1f}x cpu"
                )
            print(line, flush=True)
            results["sizes"][str(n)] = entry
        big_key = f"{max(args.sizes)}x{args.file_scale}"
        if big_key in paths:
            streamed = {}
            for key, label in ((f"{max(args.sizes)}x1", "1x"), (big_key, f"{args.file_scale}x")):
                argv = [
                    "-m",
                    "benchmarks.bench_profile",
                    "--worker",
                    "file",
                    "--path",
                    str(paths[key]),
                ]
                runs = _repeat(argv, args.repeats)
                streamed[label] = {
                    "rows": runs[0]["n_rows"],
                    "seconds_median": median([r["seconds"] for r in runs]),
                    "cpu_seconds_median": median([r["cpu_seconds"] for r in runs]),
                    "peak_rss_median": median([r["peak_rss"] for r in runs]),
                }
                s = streamed[label]
                print(
                    f"Parquet {label:>4} ({s['rows']:,} rows, streamed): wall {s['seconds_median']:.2f} s, "
                    f"cpu {s['cpu_seconds_median']:.2f} s "
                    f"({s['rows'] / s['cpu_seconds_median']:,.0f} rows/s cpu), "
                    f"peak RSS {_mb(s['peak_rss_median'])}",
                    flush=True,
                )
            growth = (
                streamed[f"{args.file_scale}x"]["peak_rss_median"]
                / streamed["1x"]["peak_rss_median"]
            )
            streamed["peak_rss_growth"] = growth
            print(f"Peak RSS {args.file_scale}x / 1x file: {growth:.3f}")
            results["streaming"] = streamed
    out = write_results("bench_profile", results)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
