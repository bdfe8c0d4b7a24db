"""Microbenchmark: driftline's KS test vs per-column ``scipy.stats.ks_2samp``.

On the 20 numeric columns of the standard monitoring data set (BENCHMARKS.md), each
measurement runs in a fresh single-threaded process (``benchmarks._common.run_fresh``;
median of ``--repeats`` runs, tools interleaved so machine load hits all alike), and the
peers are measured in the same run:

- ``numpy_sort``: ``np.sort`` of both sides of every column (the practical floor);
- ``driftline_ks``: ``driftline.stats.ks_2samp`` per column (sorts both sides);
- ``driftline_ks_sorted_ref``: the detector's ``compare`` path, reference sorted once
  beforehand (not timed), so only the current side is sorted (``ks_from_sorted``);
- ``scipy_ks``: ``scipy.stats.ks_2samp`` per column.

Peak RSS is the kernel's high-water mark of the timed phase alone (reset after the data
is loaded), so it shows the extra memory each tool needs on top of the input arrays.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_stats            # 1M rows, 3 repeats
    .venv/bin/python -m benchmarks.bench_stats --sizes 10000 100000 1000000 --repeats 3

Results are printed and written to ``benchmarks/results/bench_stats.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from typing import cast

import numpy as np

from benchmarks._common import (
    current_rss_bytes,
    machine,
    median,
    peak_rss_bytes,
    reset_peak_rss,
    run_fresh,
    write_results,
)

TOOLS = ("numpy_sort", "driftline_ks", "driftline_ks_sorted_ref", "scipy_ks")
MB = 1024.0 * 1024.0


def _worker(tool: str, data_path: str) -> dict[str, object]:
    data = np.load(data_path)
    names = sorted({k[4:] for k in data.files if k.startswith("ref_")})
    ref = {n: np.ascontiguousarray(data[f"ref_{n}"]) for n in names}
    cur = {n: np.ascontiguousarray(data[f"cur_{n}"]) for n in names}
    stats_out: list[float] = []
    p_out: list[float] = []
    if tool == "driftline_ks_sorted_ref":
        from driftline.stats import ks_from_sorted

        ref = {n: np.sort(ref[n]) for n in names}  # done once at fit time, not timed
    elif tool == "driftline_ks":
        from driftline.stats import ks_2samp
    elif tool == "scipy_ks":
        from scipy.stats import ks_2samp as scipy_ks
    baseline = current_rss_bytes()
    reset_peak_rss()
    t0 = time.perf_counter()
    for n in names:
        if tool == "numpy_sort":
            np.sort(ref[n])
            np.sort(cur[n])
        elif tool == "driftline_ks":
            r = ks_2samp(ref[n], cur[n])
            stats_out.append(r.statistic)
            p_out.append(r.p_value)
        elif tool == "driftline_ks_sorted_ref":
            r = ks_from_sorted(ref[n], np.sort(cur[n]))
            stats_out.append(r.statistic)
            p_out.append(r.p_value)
        else:
            res = scipy_ks(ref[n], cur[n])
            stats_out.append(float(res.statistic))
            p_out.append(float(res.pvalue))
    elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "extra_peak_rss_mb": (peak_rss_bytes() - baseline) / MB,
        "statistics": stats_out,
        "p_values": p_out,
    }


def _write_data(n: int, directory: str) -> str:
    from driftline.testing import make_monitoring_data

    ref, cur = make_monitoring_data(n, seed=0, drift=True)
    cols = [c for c in ref.columns if c.startswith("num_")]
    arrays = {f"ref_{c}": ref[c].to_numpy(np.float64) for c in cols}
    arrays.update({f"cur_{c}": cur[c].to_numpy(np.float64) for c in cols})
    path = os.path.join(directory, f"numeric_{n}.npz")
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _measure(n: int, repeats: int, directory: str) -> dict[str, object]:
    data_path = _write_data(n, directory)
    runs: dict[str, list[dict[str, object]]] = {t: [] for t in TOOLS}
    for _ in range(repeats):  # interleave tools so load noise hits all alike
        for tool in TOOLS:
            argv = ["-m", "benchmarks.bench_stats", "--worker", tool, "--data", data_path]
            runs[tool].append(run_fresh(argv))
    med = {t: median([float(str(r["seconds"])) for r in runs[t]]) for t in TOOLS}
    rss = {t: max(float(str(r["extra_peak_rss_mb"])) for r in runs[t]) for t in TOOLS}
    ours = np.array(runs["driftline_ks"][0]["statistics"])
    theirs = np.array(runs["scipy_ks"][0]["statistics"])
    p_ours = np.array(runs["driftline_ks"][0]["p_values"])
    p_theirs = np.array(runs["scipy_ks"][0]["p_values"])
    return {
        "n_rows": n,
        "median_seconds": med,
        "extra_peak_rss_mb": rss,
        "ratio_scipy_over_driftline": med["scipy_ks"] / med["driftline_ks"],
        "ratio_scipy_over_driftline_sorted_ref": med["scipy_ks"] / med["driftline_ks_sorted_ref"],
        "ratio_driftline_over_numpy_sort": med["driftline_ks"] / med["numpy_sort"],
        "max_abs_statistic_diff_vs_scipy": float(np.max(np.abs(ours - theirs))),
        "max_abs_p_value_diff_vs_scipy": float(np.max(np.abs(p_ours - p_theirs))),
        "max_rel_p_value_diff_vs_scipy": float(
            np.max(np.abs(p_ours - p_theirs) / np.maximum(p_theirs, 1e-300))
        ),
    }


def _print(row: dict[str, object], repeats: int) -> None:
    n = int(str(row["n_rows"]))
    med = cast(dict[str, float], row["median_seconds"])
    rss = cast(dict[str, float], row["extra_peak_rss_mb"])
    print(
        f"\n== KS on 20 numeric columns, {n:,} vs {n:,} rows "
        f"(median of {repeats} fresh processes) =="
    )
    print(f"{'tool':<26}{'median s':>10}{'extra peak RSS MB':>20}")
    for t in TOOLS:
        print(f"{t:<26}{med[t]:>10.3f}{rss[t]:>20.0f}")
    print(f"scipy / driftline_ks            : {row['ratio_scipy_over_driftline']:.2f}x")
    print(f"scipy / driftline_ks_sorted_ref : {row['ratio_scipy_over_driftline_sorted_ref']:.2f}x")
    print(f"driftline_ks / numpy_sort       : {row['ratio_driftline_over_numpy_sort']:.2f}x")
    print(
        f"max |D - D_scipy| = {row['max_abs_statistic_diff_vs_scipy']:.2e}, "
        f"max |p - p_scipy| = {row['max_abs_p_value_diff_vs_scipy']:.2e} "
        f"(relative {row['max_rel_p_value_diff_vs_scipy']:.2e})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="KS: driftline vs per-column scipy")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=TOOLS)
    parser.add_argument("--data")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.data)))
        return
    report: dict[str, object] = {
        "benchmark": "ks_20_numeric_columns",
        "machine": machine(),
        "numpy": np.__version__,
        "repeats": args.repeats,
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            row = _measure(n, args.repeats, tmp)
            _print(row, args.repeats)
            rows.append(row)
    report["results"] = rows
    print(f"\nwrote {write_results('bench_stats', report)}")


if __name__ == "__main__":
    main()
