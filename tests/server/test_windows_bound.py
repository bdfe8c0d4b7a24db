"""Issue 11, item 5: one request could create 20,000 windows in one transaction, 34 s
inside the single writer while another project's 1-row ingest waited 33.6 s.

Now: a request reaching more than ``max_windows_per_request`` windows is refused (422),
versions register windows of at least ``min_window_seconds`` / ``min_window_rows``, and a
large request is stored in bounded transactions (at most ``max_windows`` windows and
``max_rows`` rows each) that the writer interleaves with other versions' requests. The
split must not change what the caller is told: the result equals the one-transaction
result, id for id and in row order.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from driftline.server._coalesce import CoalescingIngestor, TooManyWindowsError
from driftline.server._ingestor import DirectIngestor
from driftline.store import (
    Catalog,
    IngestResult,
    PredictionStore,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)
from driftline.store._models import PredictionBatch

from .conftest import ARROW, ServerProcess, arrow_bytes, register

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SCHEMA = VersionSchema({"x": "numeric"})


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    eng = create_engine_from_url(new_database_url(request.param))
    migrate(eng)
    yield eng
    eng.dispose()


def _version(engine: Engine, kind: str = "time", size: int = 60) -> str:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project(f"w-{secrets.token_hex(6)}").id, "m")
        return str(
            catalog.create_version(model.id, "1", SCHEMA, window_kind=kind, window_size=size).id
        )  # type: ignore[arg-type]


def _spread(n: int, minutes: int, *, seed: int, ids: list[str | None], bad: int = 5) -> pa.Table:
    """``n`` rows over ``minutes`` distinct minutes, shuffled, some bad (score 7)."""
    rng = np.random.default_rng(seed)
    minute = rng.integers(0, minutes, n)
    minute[:minutes] = np.arange(minutes)  # every minute at least once
    rng.shuffle(minute)
    score = rng.random(n)
    score[rng.integers(0, n, bad)] = 7.0
    return pa.table(
        {
            "prediction_id": pa.array(ids, pa.string()),
            "timestamp": pa.array(
                [
                    T0 + timedelta(minutes=int(m), seconds=int(s))
                    for m, s in zip(minute, rng.integers(0, 60, n), strict=True)
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "x": rng.normal(size=n),
            "score": score,
        }
    )


def _ids(n: int, seed: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    # repeats within the batch (across parts), some already stored, some generated
    ids: list[str | None] = [f"k{v}" for v in rng.integers(0, n * 3 // 4, n)]
    for i in rng.integers(0, n, n // 10):
        ids[int(i)] = None
    return ids


def _batches(engine: Engine, version_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(PredictionBatch)
                .where(PredictionBatch.model_version_id == version_id)
            ).scalar_one()
        )


def _run(ingestor: Any, version_id: str, table: pa.Table, **kw: Any) -> IngestResult:
    async def go() -> IngestResult:
        try:
            result: IngestResult = await ingestor.submit(version_id, table, **kw)
            return result
        finally:
            await ingestor.aclose()

    return asyncio.run(go())


def _comparable(result: IngestResult) -> tuple[Any, ...]:
    generated = [p for p in result.prediction_ids if not p.startswith("k")]
    return (
        result.accepted,
        [p if p.startswith("k") else "generated" for p in result.prediction_ids],
        result.duplicates,
        result.rejected,
        len(generated),
    )


@pytest.mark.parametrize("which", ["coalesce", "direct"])
def test_a_split_request_gets_the_one_transaction_result(engine: Engine, which: str) -> None:
    store = PredictionStore(engine)
    ids = _ids(3000, seed=1)
    table = _spread(3000, 300, seed=1, ids=ids)
    earlier = pa.table(
        {
            "prediction_id": ids[:40:3],
            "x": [0.0] * 14,
            "score": [0.5] * 14,
            "timestamp": table["timestamp"].slice(0, 14),
        }
    )
    one, split = _version(engine), _version(engine)
    for v in (one, split):  # some ids are stored before
        store.ingest_batch(v, earlier.filter(pa.compute.is_valid(earlier["prediction_id"])))
    expected = store.ingest_batch(one, table)
    transactions: list[tuple[int, int]] = []

    class Recording(PredictionStore):
        def store_prepared(self, batches: Any) -> list[IngestResult]:
            transactions.append(
                (sum(b.windows for b in batches), sum(b.valid_rows for b in batches))
            )
            return super().store_prepared(batches)

    maker = CoalescingIngestor if which == "coalesce" else DirectIngestor
    ingestor = maker(Recording(engine), max_windows=16, max_rows=700)
    got = _run(ingestor, split, table, all_or_nothing=False)
    assert _comparable(got) == _comparable(expected)
    assert len(transactions) >= 300 // 16
    assert all(w <= 16 and r <= 700 for w, r in transactions), transactions
    with engine.connect() as conn:
        windows = {
            v: sorted(
                conn.execute(
                    select(PredictionBatch.window_id, PredictionBatch.row_count).where(
                        PredictionBatch.model_version_id == v
                    )
                ).all()
            )
            for v in (one, split)
        }
    assert sum(n for _, n in windows[split]) == sum(n for _, n in windows[one])


def test_row_windows_split_in_order(engine: Engine) -> None:
    store = PredictionStore(engine)
    table = _spread(2500, 10, seed=3, ids=[f"k{i}" for i in range(2500)])
    one, split = _version(engine, "rows", 100), _version(engine, "rows", 100)
    expected = store.ingest_batch(one, table)
    got = _run(
        CoalescingIngestor(store, max_windows=5, max_rows=10_000),
        split,
        table,
        all_or_nothing=False,
    )
    assert _comparable(got) == _comparable(expected)
    rows = [(w.window_key, w.row_count) for w in store.windows(split)]
    assert rows == [(w.window_key, w.row_count) for w in store.windows(one)]


def test_too_many_windows_is_refused_before_anything_is_stored(engine: Engine) -> None:
    store = PredictionStore(engine)
    version = _version(engine)
    table = _spread(500, 101, seed=2, ids=[f"k{i}" for i in range(500)])
    for ingestor in (
        CoalescingIngestor(store, max_windows_per_request=100),
        DirectIngestor(store, max_windows_per_request=100),
    ):
        with pytest.raises(TooManyWindowsError) as caught:
            _run(ingestor, version, table, all_or_nothing=False)
        assert caught.value.status_code == 422
        assert "101 time windows; the limit is 100" in caught.value.message
    assert _batches(engine, version) == 0
    ok = _run(
        CoalescingIngestor(store, max_windows_per_request=101), version, table, all_or_nothing=False
    )
    assert ok.accepted + len(ok.rejected) == 500


def test_the_writer_alternates_between_versions(engine: Engine) -> None:
    store = PredictionStore(engine)
    big, small = _version(engine), _version(engine)
    order: list[str] = []

    class Recording(PredictionStore):
        def store_prepared(self, batches: Any) -> list[IngestResult]:
            order.append("big" if batches[0].version_id == big else "small")
            return super().store_prepared(batches)

    ingestor = CoalescingIngestor(Recording(engine), max_windows=10, max_wait_ms=30)
    large = _spread(2000, 100, seed=4, ids=[f"k{i}" for i in range(2000)])
    one_row = [_spread(1, 1, seed=10 + i, ids=[f"s{i}"], bad=0) for i in range(3)]

    async def go() -> list[IngestResult]:
        first = asyncio.ensure_future(ingestor.submit(big, large, all_or_nothing=False))
        await asyncio.sleep(0.05)  # the big request is queued (in ten parts) first
        rest = [ingestor.submit(small, t, all_or_nothing=False) for t in one_row]
        results = await asyncio.gather(first, *rest)
        await ingestor.aclose()
        return list(results)

    results = asyncio.run(go())
    assert [r.accepted for r in results[1:]] == [1, 1, 1]
    assert order.count("big") >= 10
    # the small version's requests went in right after the big one's first transaction
    assert order.index("small") <= 2, order
    assert store.windows(small)


# --- the two tenants, against a real server ----------------------------------------------
def test_another_tenants_ingest_is_not_stuck_behind_a_huge_request(
    new_database_url: Callable[[str], str],
) -> None:
    server = ServerProcess(new_database_url("sqlite"))
    try:
        with server.client("a") as a, server.client("b") as b:
            url_a = register(a, "big", "1", window={"kind": "time", "size_seconds": 60})
            url_b = register(b, "small", "1")
            n = 40_000  # 1,000 one-minute windows: the most one request may reach
            rng = np.random.default_rng(0)
            minutes = np.arange(n) % 1000
            big = pa.table(
                {
                    "timestamp": pa.array(
                        [T0 + timedelta(minutes=int(m)) for m in minutes],
                        pa.timestamp("us", tz="UTC"),
                    ),
                    "x": rng.normal(size=n),
                    "city": ["a"] * n,
                    "flag": [True] * n,
                    "score": rng.random(n),
                }
            )
            one = pa.table({"x": [1.0], "city": ["a"], "flag": [True], "score": [0.5]})
            too_many = big.slice(0, 1001).set_column(
                0,
                "timestamp",
                pa.array(
                    [T0 + timedelta(minutes=m) for m in range(1001)], pa.timestamp("us", tz="UTC")
                ),
            )
            r = a.post(f"{url_a}/predictions", content=arrow_bytes(too_many), headers=ARROW)
            assert r.status_code == 422, r.text
            assert r.json()["error"]["code"] == "too_many_windows"
            latencies: list[float] = []
            big_times: list[float] = []
            done = threading.Event()

            outcomes: list[str] = []

            def tenant_a() -> None:
                try:
                    with server.client("a") as client:
                        for _ in range(3):
                            batch = big.set_column(1, "x", pa.array(rng.normal(size=n)))
                            started = time.perf_counter()
                            r = client.post(
                                f"{url_a}/predictions", content=arrow_bytes(batch), headers=ARROW
                            )
                            big_times.append(time.perf_counter() - started)
                            outcomes.append(f"{r.status_code} {r.json().get('accepted')}")
                finally:
                    done.set()

            worker = threading.Thread(target=tenant_a)
            worker.start()
            time.sleep(0.3)
            deadline = time.monotonic() + 300
            while not done.is_set() and time.monotonic() < deadline:
                started = time.perf_counter()
                r = b.post(f"{url_b}/predictions", content=arrow_bytes(one), headers=ARROW)
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text
                time.sleep(0.05)
            worker.join()
            assert outcomes == [f"200 {n}"] * 3, outcomes
        print(
            f"\nbig requests (1,000 windows each): {[round(t, 2) for t in big_times]} s; "
            f"1-row requests of the other tenant meanwhile: n={len(latencies)}, median "
            f"{statistics.median(latencies):.3f} s, max {max(latencies):.3f} s"
        )
        assert len(latencies) >= 5
        # Before: the other tenant waited as long as the big request (33.6 s for 20,000
        # windows). Now it waits for at most about one bounded transaction.
        assert max(latencies) < max(2.0, 0.5 * max(big_times)), (latencies, big_times)
        assert statistics.median(latencies) < 0.5
    finally:
        assert server.stop() == 0, server.output()
