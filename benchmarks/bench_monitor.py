"""Benchmark: the monitor folding a prediction stream into windows and computing results.

Data: the standard monitoring data set (BENCHMARKS.md): 100,000 current rows with the 25
feature columns (20 numeric, 5 categorical), the score ``proba`` and the prediction
``y_pred``, arriving as 1,000-row batches through ``PredictionStore.ingest_batch`` (client
UUIDv7 ids, timestamps at 1,000 rows per 6 minutes, so hourly windows of 10,000 rows).
The version's reference is 20,000 rows (profile + scores and labels for CBPE).

Measured phases (ingestion itself is not timed: ``bench_store`` measures it):

* ``stream``: after every batch, one ``Monitor.run_once()`` — the monitor keeping up in
  real time: it merges the new batch into its window's profile and recomputes that
  window's results (drift, quality, CBPE estimate, volume), and closes the previous
  window once its end + grace has passed. Total monitor time over the 100 batches.
* ``backlog``: the whole stream is ingested first, then ``run_once()`` folds the 100
  batches into the 10 windows and computes their results (a monitor catching up).
* ``labels``: labels for every row arrive after the windows closed; ``run_once()``
  recomputes the 10 closed windows (volume, realized metrics with intervals, estimate;
  drift and quality are kept since no rows arrived).

Reported per phase: seconds, per 1,000 rows, per window; the monitor's CPU seconds (on a
shared machine the wall time includes waiting for a core); peak RSS. Median of
``--repeats`` fresh single-threaded processes. The library modules are imported before
the clock starts (a running monitor has them loaded); the estimator fits are timed.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_monitor                       # both backends
    .venv/bin/python -m benchmarks.bench_monitor --backends sqlite --repeats 1

Before/after a change, in one run: export the other revision's sources and pass them as
``--baseline-src``; each repeat then runs the baseline and this checkout back to back
(same data, same machine load) and the ratio this / baseline is printed::

    mkdir -p /tmp/base && git archive <rev> src | tar -x -C /tmp/base
    .venv/bin/python -m benchmarks.bench_monitor --baseline-src /tmp/base/src

Results are printed and written to ``benchmarks/results/bench_monitor.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from benchmarks._common import (
    machine,
    max_rss_bytes,
    median,
    run_fresh,
    scratch_database,
    write_results,
)

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]
T0 = datetime(2024, 5, 1, tzinfo=UTC)
BATCH = 1_000
ROWS_PER_HOUR = 10_000


def _stream(total: int) -> tuple[Any, list[pa.Table], np.ndarray]:
    from driftline.store._uuid7 import uuid7_strings
    from driftline.testing import make_monitoring_data

    reference, current = make_monitoring_data(max(total, 20_000), seed=0, drift=True)
    reference = reference.iloc[:20_000]
    current = current.iloc[:total]
    table = pa.Table.from_pandas(current[[*FEATURES, "proba", "y_pred"]], preserve_index=False)
    table = table.rename_columns([*FEATURES, "score", "prediction"])
    table = table.set_column(26, "prediction", table["prediction"].cast(pa.float64()))
    batches = []
    seconds_per_batch = 3600 * BATCH / ROWS_PER_HOUR
    for i in range(total // BATCH):
        part = table.slice(i * BATCH, BATCH)
        ts = T0 + timedelta(seconds=i * seconds_per_batch)
        stamps = [ts + timedelta(seconds=k * seconds_per_batch / BATCH) for k in range(BATCH)]
        part = part.append_column("timestamp", pa.array(stamps, pa.timestamp("us", tz="UTC")))
        batches.append(part.append_column("prediction_id", pa.array(uuid7_strings(BATCH))))
    return reference, batches, current["target"].to_numpy()


def _worker(backend: str, phase: str, total: int) -> dict[str, Any]:
    import driftline
    import driftline.drift
    import driftline.estimate
    import driftline.metrics
    import driftline.profiles  # a running monitor has these modules loaded already
    from driftline.monitor import Monitor, profile_rows
    from driftline.store import (
        Catalog,
        PredictionStore,
        VersionSchema,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    reference, batches, labels = _stream(total)
    schema = VersionSchema(
        {f: ("numeric" if f.startswith("num") else "categorical") for f in FEATURES}
    )
    ref_rows = pa.Table.from_pandas(reference[[*FEATURES, "proba"]], preserve_index=False)
    ref_rows = ref_rows.rename_columns([*FEATURES, "score"])
    ref_data = pa.table(
        {"score": reference["proba"].to_numpy(), "label": reference["target"].to_numpy(float)}
    )
    with tempfile.TemporaryDirectory(prefix="bench_monitor_") as folder:
        url, drop = scratch_database(backend, folder)
        engine = create_engine_from_url(url)
        try:
            migrate(engine)
            with session_factory(engine).begin() as session:
                catalog = Catalog(session)
                model = catalog.create_model(catalog.create_project("bench").id, "m")
                version_id = catalog.create_version(
                    model.id,
                    "1",
                    schema,
                    reference_profile=profile_rows(schema, ref_rows),
                    reference_data=ref_data,
                    window_kind="time",
                    window_size=3600,
                ).id
            store = PredictionStore(engine)
            clock = [T0]
            monitor = Monitor(engine, alerts=False, grace_seconds=60, clock=lambda: clock[0])
            n_windows = total // ROWS_PER_HOUR
            monitor_seconds = 0.0
            cpu_seconds = 0.0
            passes = []
            ids: list[str] = []
            for i, batch in enumerate(batches):
                ids += store.ingest_batch(version_id, batch).prediction_ids
                clock[0] = T0 + timedelta(seconds=(i + 1) * 3600 * BATCH / ROWS_PER_HOUR)
                if phase == "stream":
                    t, c = time.perf_counter(), time.process_time()
                    stats = monitor.run_once()
                    passes.append(time.perf_counter() - t)
                    cpu_seconds += time.process_time() - c
                    if stats.errors:
                        raise RuntimeError(f"monitor errors: {stats}")
            clock[0] += timedelta(hours=1)  # every window is past end + grace
            if phase == "stream":
                t, c = time.perf_counter(), time.process_time()
                monitor.run_once()  # closes the last window
                passes.append(time.perf_counter() - t)
                cpu_seconds += time.process_time() - c
                monitor_seconds = sum(passes)
            else:
                if phase == "labels":
                    monitor.run_once()
                    store.ingest_labels(version_id, ids, labels[: len(ids)])
                t, c = time.perf_counter(), time.process_time()
                stats = monitor.run_once()
                monitor_seconds = time.perf_counter() - t
                cpu_seconds = time.process_time() - c
                if stats.errors or stats.windows_computed != n_windows:
                    raise RuntimeError(f"unexpected pass: {stats}")
            windows = store.windows(version_id)
            if len(windows) != n_windows or any(w.status != "closed" for w in windows):
                raise RuntimeError("windows not all closed")
            if any(w.row_count != ROWS_PER_HOUR for w in windows):
                raise RuntimeError("unexpected window sizes")
            drifted = sorted(windows[0].results["drift"]["drifted_columns"])
        finally:
            engine.dispose()
            if drop is not None:
                drop()
    return {
        "rows": total,
        "windows": n_windows,
        "seconds": monitor_seconds,
        "cpu_seconds": cpu_seconds,
        "ms_per_1k_rows": monitor_seconds / (total / 1_000) * 1e3,
        "ms_per_window": monitor_seconds / n_windows * 1e3,
        "pass_p50_ms": float(np.percentile(passes, 50) * 1e3) if passes else None,
        "pass_p99_ms": float(np.percentile(passes, 99) * 1e3) if passes else None,
        "peak_rss": max_rss_bytes(),
        "drifted_columns_window_0": drifted,
        "driftline": str(Path(driftline.__file__).parent),
    }


def _run(argv: list[str], src: str | None) -> dict[str, Any]:
    """One fresh worker on this checkout (``src`` None) or on the sources in ``src``."""
    if src is None:
        return run_fresh(argv)
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src if before is None else f"{src}{os.pathsep}{before}"
    try:
        result = run_fresh(argv)
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    if not Path(result["driftline"]).resolve().is_relative_to(Path(src).resolve()):
        raise RuntimeError(f"the baseline run imported {result['driftline']}, not {src}")
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("seconds", "cpu_seconds", "ms_per_1k_rows", "ms_per_window", "peak_rss")
    summary: dict[str, Any] = {k: median([r[k] for r in runs]) for k in keys}
    if runs[0]["pass_p50_ms"] is not None:
        summary["pass_p50_ms"] = median([r["pass_p50_ms"] for r in runs])
        summary["pass_p99_ms"] = median([r["pass_p99_ms"] for r in runs])
    summary["per_run_seconds"] = [r["seconds"] for r in runs]
    return summary


def _line(label: str, phase: str, rows: int, summary: dict[str, Any]) -> str:
    passes = (
        f"  pass p50 {summary['pass_p50_ms']:7.1f} ms  p99 {summary['pass_p99_ms']:7.1f} ms"
        if "pass_p50_ms" in summary
        else ""
    )
    return (
        f"{label:17s} {phase:7s} | {summary['seconds']:6.2f} s for {rows:,} rows"
        f" = {summary['ms_per_1k_rows']:6.1f} ms per 1k rows,"
        f" {summary['ms_per_window']:7.1f} ms per window{passes};"
        f" CPU {summary['cpu_seconds']:.2f} s ({rows / summary['cpu_seconds']:,.0f} rows/s);"
        f" peak RSS {summary['peak_rss'] / 2**20:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--phases", nargs="+", default=["stream", "backlog", "labels"])
    parser.add_argument(
        "--baseline-src",
        help="the src/ folder of another revision, measured interleaved in the same run",
    )
    parser.add_argument("--worker", nargs=3, metavar=("BACKEND", "PHASE", "ROWS"))
    args = parser.parse_args()
    if args.worker:
        backend, phase, rows = args.worker
        print(json.dumps(_worker(backend, phase, int(rows))))
        return
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "runs": {}}
    if args.baseline_src:
        results["baseline_src"] = args.baseline_src
        results["baseline"] = {}
    for backend in args.backends:
        for phase in args.phases:
            argv = ["-m", "benchmarks.bench_monitor", "--worker", backend, phase, str(args.rows)]
            runs, base_runs = [], []
            for _ in range(args.repeats):
                if args.baseline_src:
                    base_runs.append(_run(argv, args.baseline_src))
                runs.append(_run(argv, None))
            name = f"{backend}/{phase}"
            summary = _summary(runs)
            results["runs"][name] = summary
            label = "this checkout" if args.baseline_src else backend
            if args.baseline_src:
                base = _summary(base_runs)
                results["baseline"][name] = base
                summary["ratio_to_baseline"] = summary["seconds"] / base["seconds"]
                print(_line(f"{backend} baseline", phase, args.rows, base), flush=True)
                label = f"{backend} this"
            print(_line(label, phase, args.rows, summary), flush=True)
            if args.baseline_src:
                print(
                    f"{'':17s} {phase:7s} | this / baseline = "
                    f"{summary['ratio_to_baseline']:.3f} (median seconds)",
                    flush=True,
                )
    path = write_results("bench_monitor", results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
