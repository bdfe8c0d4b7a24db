"""Benchmark: 1 and 2 monitor processes sharing one PostgreSQL database (issue 18).

Data: the stream of ``bench_monitor`` (the standard monitoring data set, 25 features,
1,000-row batches, hourly windows of 10,000 rows), ``--rows`` rows ingested first (not
timed). Then ``W`` fresh monitor processes start together and each runs one
``Monitor.run_once()`` (the backlog: fold every batch into its window, compute every
window's results, close it). Measured: wall seconds from the common start to the last
monitor's end, rows/s, and per monitor the windows it computed and skipped (held or
just computed by the other). Every window must be computed exactly once in all
(no double work) and no write may conflict. Median of ``--repeats`` runs, each on a
fresh database.

Run from the repository root (needs the local PostgreSQL)::

    .venv/bin/python -m benchmarks.bench_monitor_workers --rows 100000 --workers 1 2

Results are printed and written to ``benchmarks/results/bench_monitor_workers.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

import pyarrow as pa

from benchmarks._common import machine, median, scratch_database, write_results
from benchmarks.bench_monitor import BATCH, FEATURES, ROWS_PER_HOUR, T0, _stream


def _prepare(url: str, rows: int) -> None:
    from driftline.monitor import profile_rows
    from driftline.store import (
        Catalog,
        PredictionStore,
        VersionSchema,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    reference, batches, _ = _stream(rows)
    schema = VersionSchema(
        {f: ("numeric" if f.startswith("num") else "categorical") for f in FEATURES}
    )
    ref_rows = pa.Table.from_pandas(reference[[*FEATURES, "proba"]], preserve_index=False)
    ref_rows = ref_rows.rename_columns([*FEATURES, "score"])
    ref_data = pa.table(
        {"score": reference["proba"].to_numpy(), "label": reference["target"].to_numpy(float)}
    )
    engine = create_engine_from_url(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project("bench").id, "m")
        version_id = catalog.create_version(
            model.id, "1", schema, reference_profile=profile_rows(schema, ref_rows),
            reference_data=ref_data, window_kind="time", window_size=3600,
        ).id  # fmt: skip
    store = PredictionStore(engine)
    for batch in batches:
        store.ingest_batch(version_id, batch)
    engine.dispose()


def _monitor(url: str, start_at: float, rows: int) -> dict[str, Any]:
    import driftline.drift
    import driftline.estimate
    import driftline.profiles  # noqa: F401  (a running monitor has these loaded)
    from driftline.monitor import Monitor
    from driftline.store import create_engine_from_url

    engine = create_engine_from_url(url)
    end_of_stream = T0 + timedelta(seconds=rows / BATCH * 3600 * BATCH / ROWS_PER_HOUR)
    monitor = Monitor(engine, alerts=False, grace_seconds=60,
                      clock=lambda: end_of_stream + timedelta(hours=1))  # fmt: skip
    with engine.connect() as conn:  # connect before the start, as a running monitor has
        conn.exec_driver_sql("SELECT 1")
    time.sleep(max(0.0, start_at - time.time()))
    started = time.time()
    stats = monitor.run_once()
    ended = time.time()
    engine.dispose()
    return {"started": started, "ended": ended, **stats.to_dict()}


def _run(rows: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url, drop = scratch_database("postgres", folder)
        try:
            _prepare(url, rows)
            start_at = time.time() + 8.0  # time for the processes to import and connect
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.bench_monitor_workers",
                        "--worker",
                        url,
                        str(start_at),
                        str(rows),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(workers)
            ]
            outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        finally:
            if drop is not None:
                drop()
    windows = rows // ROWS_PER_HOUR
    computed = sum(o["windows_computed"] for o in outs)
    if computed != windows or any(o["conflicts"] or o["errors"] for o in outs):
        raise RuntimeError(f"double work or errors: {outs}")
    seconds = max(o["ended"] for o in outs) - min(o["started"] for o in outs)
    return {
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "per_monitor": [
            {k: o[k] for k in ("windows_computed", "windows_skipped", "conflicts", "seconds")}
            for o in outs
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "START_AT", "ROWS"))
    args = parser.parse_args()
    if args.worker:
        url, start_at, rows = args.worker
        print(json.dumps(_monitor(url, float(start_at), int(rows))))
        return
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "runs": {}}
    for workers in args.workers:
        runs = [_run(args.rows, workers) for _ in range(args.repeats)]
        seconds = median([r["seconds"] for r in runs])
        results["runs"][str(workers)] = {"seconds": seconds, "rows_per_s": args.rows / seconds,
                                         "runs": runs}  # fmt: skip
        split = [[m["windows_computed"] for m in r["per_monitor"]] for r in runs]
        print(f"postgres {workers} monitor(s): {seconds:6.2f} s for {args.rows:,} rows = "
              f"{args.rows / seconds:8,.0f} rows/s (median of {len(runs)}); windows computed "
              f"per monitor {split}", flush=True)  # fmt: skip
    path = write_results("bench_monitor_workers", results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
