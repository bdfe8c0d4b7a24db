"""Benchmark: the audit log's appends, full verification and proof sizes.

- **append**: events per second through ``AuditLog.append`` (one event, one transaction and
  one signed tree head each) and ``AuditLog.append_many`` (batches of 100: one transaction
  and one head per batch), into a fresh database (SQLite file in WAL mode; a new
  PostgreSQL database on the local server). A typical ``version.registered`` payload.
  Median of ``--repeats`` runs.
- **verify**: a log of ``--verify-size`` entries (default 1,000,000, written in batches of
  10,000) is verified with ``AuditLog.verify`` (every leaf rehashed from its record, every
  record parsed and checked against its row, every Merkle node and every signed head's
  root recomputed, every signature checked); wall time.
- **proofs**: inclusion and consistency proof sizes (hashes, bytes) and latency for trees
  of 10^3 .. 10^6 entries, read from that log.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_audit                       # everything
    .venv/bin/python -m benchmarks.bench_audit --verify-size 100000 --backends sqlite

Wall-clock rates depend on what else the machine runs; the CPU seconds of this process
(``time.process_time``: all of SQLite's work, none of the PostgreSQL server's) are printed
next to them, with the load average at the start.

Results are printed and written to ``benchmarks/results/bench_audit.json``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from benchmarks._common import machine, median, scratch_database, write_results

PAYLOAD = {
    "model": "churn",
    "version": "42",
    "version_id": "01938a6e-4c1b-7d2e-9f00-0123456789ab",
    "schema_sha256": "9f" * 32,
    "window": {"kind": "time", "size": 3600},
}


def _log(url: str, folder: str) -> Any:
    from driftline.audit import AuditLog
    from driftline.store import create_engine_from_url, migrate

    engine = create_engine_from_url(url)
    migrate(engine)
    return AuditLog(engine, key=f"{folder}/audit.pem")


def append_rate(backend: str, *, events: int, batch: int) -> tuple[float, float]:
    """(events per wall-clock second, events per CPU second of this process)."""
    from driftline.audit import Event

    with tempfile.TemporaryDirectory() as folder:
        url, drop = scratch_database(backend, folder)
        try:
            log = _log(url, folder)
            log.append("project.created", {"name": "warm-up"})  # key, connections
            started, cpu = time.perf_counter(), time.process_time()
            if batch == 1:
                for i in range(events):
                    log.append(
                        "version.registered", {**PAYLOAD, "i": i}, project="p", actor="token:t"
                    )
            else:
                for start in range(0, events, batch):
                    log.append_many(
                        [
                            Event("version.registered", {**PAYLOAD, "i": i}, "p", "token:t")
                            for i in range(start, start + batch)
                        ]
                    )
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            assert log.size() == events + 1
            log.engine.dispose()
        finally:
            if drop is not None:
                drop()
    return events / seconds, events / cpu


def verify_and_proofs(backend: str, size: int) -> dict[str, Any]:
    from driftline.audit import Event, verify_consistency, verify_inclusion

    with tempfile.TemporaryDirectory() as folder:
        url, drop = scratch_database(backend, folder)
        try:
            log = _log(url, folder)
            started = time.perf_counter()
            for start in range(0, size, 10_000):
                log.append_many(
                    [
                        Event("version.registered", {**PAYLOAD, "i": i}, "p", "token:t")
                        for i in range(start, min(size, start + 10_000))
                    ]
                )
            build = time.perf_counter() - started
            cpu = time.process_time()
            report = log.verify()
            cpu = time.process_time() - cpu
            if not report.ok or report.entries != size:
                raise RuntimeError(f"the log does not verify: {report.problems}")
            proofs = []
            head = log.tree_head()
            n = 1000
            while n <= size:
                seq = n // 3
                t0 = time.perf_counter()
                inclusion = log.inclusion_proof(seq, n)
                t1 = time.perf_counter()
                consistency = log.consistency_proof(n // 2 + 1, n)
                t2 = time.perf_counter()
                if n == size:
                    assert verify_inclusion(
                        inclusion.leaf_hash, seq, n, list(inclusion.path), head.root_hash
                    )
                proofs.append(
                    {
                        "tree_size": n,
                        "inclusion_hashes": len(inclusion.path),
                        "inclusion_bytes": 32 * len(inclusion.path),
                        "inclusion_ms": (t1 - t0) * 1000,
                        "consistency_hashes": len(consistency.path),
                        "consistency_bytes": 32 * len(consistency.path),
                        "consistency_ms": (t2 - t1) * 1000,
                    }
                )
                n *= 10
            assert verify_consistency is not None
            log.engine.dispose()
        finally:
            if drop is not None:
                drop()
    return {
        "entries": size,
        "build_seconds": build,
        "verify_seconds": report.seconds,
        "verify_cpu_seconds": cpu,
        "verify_entries_per_second": size / report.seconds,
        "proofs": proofs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000, help="events per batched run")
    parser.add_argument("--single-events", type=int, default=2_000)
    parser.add_argument("--verify-size", type=int, default=1_000_000)
    parser.add_argument("--verify-backends", default="sqlite")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "append": {}, "verify": {}}
    for backend in filter(None, args.backends.split(",")):
        for batch, events in ((100, args.events), (1, args.single_events)):
            runs = [append_rate(backend, events=events, batch=batch) for _ in range(args.repeats)]
            rates = [r[0] for r in runs]
            per_cpu = [r[1] for r in runs]
            key = f"{backend}_batch_{batch}"
            results["append"][key] = {
                "events_per_second_median": median(rates),
                "events_per_cpu_second_median": median(per_cpu),
                "runs": rates,
            }
            print(
                f"append {key}: {median(rates):,.0f} events/s, {median(per_cpu):,.0f} per CPU "
                f"second of this process (median of {len(rates)})"
            )
    for backend in filter(None, args.verify_backends.split(",")):
        out = verify_and_proofs(backend, args.verify_size)
        results["verify"][backend] = out
        print(
            f"verify {backend}: {out['entries']:,} entries in {out['verify_seconds']:.2f} s "
            f"({out['verify_cpu_seconds']:.2f} s CPU) "
            f"({out['verify_entries_per_second']:,.0f}/s; log built in {out['build_seconds']:.1f} s)"
        )
        for p in out["proofs"]:
            print(
                f"  n={p['tree_size']:>9,}: inclusion {p['inclusion_hashes']} hashes "
                f"({p['inclusion_bytes']} B, {p['inclusion_ms']:.1f} ms), consistency "
                f"{p['consistency_hashes']} hashes ({p['consistency_bytes']} B, "
                f"{p['consistency_ms']:.1f} ms)"
            )
    path = write_results("bench_audit", results)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
