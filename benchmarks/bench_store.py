"""Benchmark: sustained in-process ingestion through ``PredictionStore.ingest_batch``.

Data: the standard monitoring data set (BENCHMARKS.md), its 25 feature columns plus a
client-supplied prediction id, a timestamp (advancing, so hourly windows roll over)
and the score ``proba``. Batches of 1,000 and 10,000 rows are ingested back to back
into a fresh database (SQLite file in WAL mode; a new PostgreSQL database on the local
server), each call one committed transaction. Rows/s = rows / wall time over the whole
stream; median of ``--repeats`` fresh processes; per-batch latency p50/p99 and peak RSS.

Ids: ``uuid4`` (random hex strings, the worst case for the id index: every insert lands
on a random B-tree page) and ``uuid7`` (time-ordered, as driftline generates them and as
the SDK will send them). Client ids always go through the duplicate check.

The peer, measured in the same run, is the design the DESIGN.md rejects: one SQL row per
prediction with all 25 features as columns, written with ``executemany`` (SQLAlchemy
Core insert; insertmanyvalues on PostgreSQL) in one transaction per batch, with no
validation at all.

Also measured in the same run: ``ingest_many`` with 10 consecutive 1,000-row batches per
call (one transaction for 10 requests: what the server's coalescing ingestor does under
load), and the **floor** — the narrow index rows alone written with the raw driver from
values prepared before the clock starts (sqlite3 ``executemany`` / PostgreSQL ``COPY`` of
ready CSV), one transaction per batch: no blob, no validation, no duplicate check. The
ratio ``ingest_batch`` / floor says how much of the database's own speed is left on the
table. ``--baseline-src DIR`` adds ``ingest_batch`` imported from another source tree
(e.g. the previous commit) to the same run, for before/after ratios under the same load.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_store                  # 1k and 10k batches, both backends
    .venv/bin/python -m benchmarks.bench_store --rows 50000 --repeats 3 --backends sqlite
    git archive HEAD src/driftline | tar -x -C /tmp/before
    .venv/bin/python -m benchmarks.bench_store --baseline-src /tmp/before/src

Results are printed and written to ``benchmarks/results/bench_store.json``.
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
    ROOT,
    machine,
    max_rss_bytes,
    median,
    run_fresh,
    scratch_database,
    write_results,
)

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _batches(batch: int, total: int, ids_kind: str = "uuid4") -> list[pa.Table]:
    from driftline.store._uuid7 import uuid7_strings
    from driftline.testing import make_monitoring_data

    pool_rows = min(total, 20_000)
    _, cur = make_monitoring_data(pool_rows, seed=0, drift=True)
    pool = pa.Table.from_pandas(cur[[*FEATURES, "proba"]], preserve_index=False)
    pool = pool.rename_columns([*FEATURES, "score"])
    rng = np.random.default_rng(1)
    out = []
    for i in range(total // batch):
        start = (i * batch) % pool_rows
        part = pool.slice(start, batch) if start + batch <= pool_rows else pool.slice(0, batch)
        if ids_kind == "uuid7":
            ids = uuid7_strings(batch).tolist()
        else:
            raw = rng.bytes(16 * batch)
            ids = [raw[k * 16 : (k + 1) * 16].hex() for k in range(batch)]
        stamps = T0 + timedelta(seconds=i * batch / 50)  # 50 predictions/s: windows roll over
        ts = pa.array(np.full(batch, stamps), pa.timestamp("us", tz="UTC"))
        out.append(
            part.append_column("prediction_id", pa.array(ids)).append_column("timestamp", ts)
        )
    return out


GROUP = 10  # requests per ingest_many call in the "many" mode


def _floor(
    engine: Any, backend: str, version_id: str, batches: list[pa.Table]
) -> tuple[float, float, list[float]]:
    """The driver alone: only the narrow index rows, from values prepared before the clock
    starts (SQLite: sqlite3 executemany; PostgreSQL: COPY of ready CSV), one transaction
    per batch, no blob, no validation, no duplicate check: what the database costs."""
    import io

    import pyarrow.csv as pa_csv

    from driftline.store._uuid7 import uuid7_strings

    columns = "model_version_id, prediction_id, batch_id, window_id, ts_us, score, prediction"
    prepared: list[Any] = []
    for b in batches:
        n = b.num_rows
        batch_id, window_id = uuid7_strings(2).tolist()
        ts = b["timestamp"].cast(pa.int64())
        if backend == "sqlite":
            prepared.append(
                list(zip([version_id] * n, b["prediction_id"].to_pylist(), [batch_id] * n,
                         [window_id] * n, ts.to_pylist(), b["score"].to_pylist(), [None] * n,
                         strict=True))
            )  # fmt: skip
        else:
            table = pa.table({"v": [version_id] * n, "p": b["prediction_id"], "b": [batch_id] * n,
                              "w": [window_id] * n, "t": ts, "s": b["score"],
                              "y": pa.nulls(n, pa.float64())})  # fmt: skip
            buffer = io.BytesIO()
            pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
            prepared.append(buffer.getvalue())
    raw = engine.raw_connection()
    latencies: list[float] = []
    try:
        driver = raw.driver_connection
        start, cpu_start = time.perf_counter(), time.process_time()
        for rows in prepared:
            t = time.perf_counter()
            if backend == "sqlite":
                driver.execute("BEGIN IMMEDIATE")
                driver.executemany(
                    f"INSERT INTO predictions ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
                driver.execute("COMMIT")
            else:
                statement = f"COPY predictions ({columns}) FROM STDIN (FORMAT csv)"
                with driver.cursor() as cursor, cursor.copy(statement) as cp:
                    cp.write(rows)
                driver.commit()
            latencies.append(time.perf_counter() - t)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        raw.close()
    return seconds, cpu, latencies


def _worker(backend: str, mode: str, batch: int, total: int, ids_kind: str) -> dict[str, Any]:
    from sqlalchemy import Column, Float, MetaData, String, Table, insert

    from driftline.store import (
        Catalog,
        PredictionStore,
        VersionSchema,
        create_engine_from_url,
        migrate,
        session_factory,
    )

    batches = _batches(batch, total, ids_kind)
    with tempfile.TemporaryDirectory(prefix="bench_store_") as folder:
        url, drop = scratch_database(backend, folder)
        engine = create_engine_from_url(url)
        try:
            latencies = []
            if mode == "rowwise":
                meta = MetaData()
                cols = [Column(f, String if f.startswith("cat") else Float) for f in FEATURES]
                table = Table(
                    "rowwise",
                    meta,
                    Column("prediction_id", String(64), primary_key=True),
                    Column("ts", String(40)),
                    Column("score", Float),
                    *cols,
                )
                meta.create_all(engine)
                payloads = [b.to_pylist() for b in batches]
                for rows in payloads:
                    for row in rows:
                        row["ts"] = str(row.pop("timestamp"))
                start, cpu_start = time.perf_counter(), time.process_time()
                for rows in payloads:
                    t = time.perf_counter()
                    with engine.begin() as conn:
                        conn.execute(insert(table), rows)
                    latencies.append(time.perf_counter() - t)
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            else:
                migrate(engine)
                with session_factory(engine).begin() as session:
                    catalog = Catalog(session)
                    model = catalog.create_model(catalog.create_project("bench").id, "m")
                    schema = VersionSchema.infer(batches[0])
                    version_id = catalog.create_version(model.id, "1", schema).id
                if mode == "floor":
                    seconds, cpu, latencies = _floor(engine, backend, version_id, batches)
                else:
                    store = PredictionStore(
                        engine, pg_bulk="executemany" if mode == "values" else "copy"
                    )
                    # "many": GROUP consecutive requests per ingest_many call (one transaction)
                    group = GROUP if mode == "many" else 1
                    start, cpu_start = time.perf_counter(), time.process_time()
                    accepted = 0
                    for i in range(0, len(batches), group):
                        t = time.perf_counter()
                        if mode == "many":
                            results = store.ingest_many(version_id, batches[i : i + group])
                            accepted += sum(r.accepted for r in results)
                        else:
                            accepted += store.ingest_batch(version_id, batches[i]).accepted
                        latencies.append(time.perf_counter() - t)
                    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
                    if accepted != len(batches) * batch:
                        raise RuntimeError(f"only {accepted} rows accepted")
        finally:
            engine.dispose()
            if drop is not None:
                drop()
    rows = len(batches) * batch
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        # CPU of this process per row: robust to other jobs on the machine (the database
        # server's own CPU on PostgreSQL is not included)
        "cpu_us_per_row": cpu / rows * 1e6,
        "p50_ms": float(np.percentile(latencies, 50) * 1e3),
        "p99_ms": float(np.percentile(latencies, 99) * 1e3),
        "peak_rss": max_rss_bytes(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--ids", nargs="+", default=["uuid4", "uuid7"], choices=["uuid4", "uuid7"])
    parser.add_argument(
        "--baseline-src",
        help="also run ingest_batch from this source tree (e.g. an older checkout's src/, "
        "from `git archive HEAD src/driftline | tar -x -C DIR`): same harness, same run",
    )
    parser.add_argument("--worker", nargs=5, metavar=("BACKEND", "MODE", "BATCH", "ROWS", "IDS"))
    args = parser.parse_args()
    if args.worker:
        backend, mode, batch, rows, ids_kind = args.worker
        print(json.dumps(_worker(backend, mode, int(batch), int(rows), ids_kind)))
        return
    modes = {
        "sqlite": ["store", "many", "floor", "rowwise"],
        "postgres": ["store", "many", "values", "floor", "rowwise"],
    }
    labels = {
        "many": f"ingest_many ({GROUP} batches/commit)",
        "floor": "floor: index rows, raw driver",
        "baseline": "ingest_batch, baseline source",
        "store": "ingest_batch",
        "values": "ingest_batch (insertmanyvalues)",
        "rowwise": "peer: row per prediction",
    }
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "ids": args.ids, "runs": {}}
    for ids_kind, backend, batch in (
        (i, b, n) for i in args.ids for b in args.backends for n in args.batches
    ):
        measured: dict[str, dict[str, Any]] = {}
        for mode in modes[backend] + (["baseline"] if args.baseline_src else []):
            if mode == "many" and batch * GROUP > 20_000:
                continue  # grouping pays off for small requests
            argv = ["-m", "benchmarks.bench_store", "--worker", backend,
                    "store" if mode == "baseline" else mode, str(batch), str(args.rows),
                    ids_kind]  # fmt: skip
            if mode == "baseline":
                os.environ["PYTHONPATH"] = args.baseline_src
            try:
                runs = [run_fresh(argv) for _ in range(args.repeats)]
            finally:
                os.environ.pop("PYTHONPATH", None)
            measured[mode] = {
                "rows_per_second_median": median([r["rows_per_second"] for r in runs]),
                "rows_per_second_all": [r["rows_per_second"] for r in runs],
                "p50_ms_median": median([r["p50_ms"] for r in runs]),
                "p99_ms_median": median([r["p99_ms"] for r in runs]),
                "peak_rss_median": median([r["peak_rss"] for r in runs]),
                "cpu_us_per_row_median": median([r["cpu_us_per_row"] for r in runs]),
            }
        base = measured["store"]["rows_per_second_median"]
        for mode, m in measured.items():
            m["ratio_to_ingest_batch"] = m["rows_per_second_median"] / base
            print(
                f"{ids_kind} ids {backend:>8} {batch:>6,}-row batches | {labels[mode]:<32} "
                f"{m['rows_per_second_median']:>9,.0f} rows/s  p50 {m['p50_ms_median']:7.1f} ms"
                f"  p99 {m['p99_ms_median']:7.1f} ms  peak RSS "
                f"{m['peak_rss_median'] / 2**20:,.0f} MB  CPU {m['cpu_us_per_row_median']:5.1f} "
                f"us/row  ({m['ratio_to_ingest_batch']:.2f}x)",
                flush=True,
            )
        results["runs"][f"{ids_kind}/{backend}/{batch}"] = measured
    out = write_results("bench_store", results)
    print(f"wrote {Path(out).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
