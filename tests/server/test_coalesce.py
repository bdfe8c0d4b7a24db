"""The coalescing ingestor: concurrent requests share transactions, results map back."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select

from driftline.exceptions import SchemaMismatchError
from driftline.server._coalesce import CoalescingIngestor, IngestBusyError
from driftline.store import (
    Catalog,
    IngestResult,
    PredictionStore,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)
from driftline.store._models import Prediction

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SCHEMA = VersionSchema({"x": "numeric", "city": "categorical"})


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


@pytest.fixture
def version_id(engine: Engine) -> str:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project(f"c-{secrets.token_hex(6)}").id, "m")
        return catalog.create_version(model.id, "1", SCHEMA).id


def _table(ids: list[str | None], *, seed: int = 0, bad: tuple[int, ...] = ()) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = len(ids)
    scores = rng.random(n)
    scores[list(bad)] = 7.0
    return pa.table(
        {
            "prediction_id": pa.array(ids, pa.string()),
            "timestamp": pa.array(
                [T0 + timedelta(seconds=int(s)) for s in rng.integers(0, 600, n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b"], size=n).tolist(),
            "score": scores,
        }
    )


def _stored(engine: Engine, version_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(Prediction.prediction_id).where(Prediction.model_version_id == version_id)
            ).scalars()
        )


async def _gather(ingestor: CoalescingIngestor, version_id: str, jobs: list[Any]) -> list[Any]:
    async def one(table: pa.Table, aon: bool) -> Any:
        return await ingestor.submit(version_id, table, all_or_nothing=aon)

    results = await asyncio.gather(*(one(t, a) for t, a in jobs), return_exceptions=True)
    await ingestor.aclose()
    return list(results)


def test_concurrent_requests_map_back_exactly(engine: Engine, version_id: str) -> None:
    rng = np.random.default_rng(7)
    jobs = []
    for i in range(40):
        # ids overlap across requests (pool of 600), some generated, some rows bad
        ids: list[str | None] = [f"id{k}" for k in rng.integers(0, 600, 30)]
        ids += [None] * 5
        jobs.append((_table(ids, seed=i, bad=(3,) if i % 4 == 0 else ()), False))
    ingestor = CoalescingIngestor(PredictionStore(engine), max_wait_ms=20)
    results = asyncio.run(_gather(ingestor, version_id, jobs))
    assert all(isinstance(r, IngestResult) for r in results), results
    assert ingestor.groups < len(jobs)  # requests were grouped
    assert ingestor.grouped_requests == len(jobs)
    assert ingestor.queued_rows == 0
    seen: set[str] = set()
    for (table, _), result in zip(jobs, results, strict=True):
        ids = table["prediction_id"].to_pylist()
        bad = {r.row for r in result.rejected}
        assert bad == ({3} if table["score"][3].as_py() > 1 else set())
        given = [p for row, p in enumerate(ids) if p is not None and row not in bad]
        accepted_given = [p for p in result.prediction_ids if p.startswith("id")]
        # every valid given id is either accepted here or reported as a duplicate here
        assert sorted(accepted_given + list(result.duplicates)) == sorted(given)
        assert len(result.prediction_ids) - len(accepted_given) == 5  # generated ids
        assert not seen & set(result.prediction_ids)  # each id stored for one request only
        seen |= set(result.prediction_ids)
    duplicates = {p for r in results for p in r.duplicates}
    assert duplicates <= seen  # a duplicate was stored by some request
    stored = _stored(engine, version_id)
    assert len(stored) == len(set(stored)) == len(seen)
    assert set(stored) == seen


def test_refusals_and_unreadable_requests_fail_alone(engine: Engine, version_id: str) -> None:
    jobs = [
        (_table(["a1", "a2"], seed=1), False),
        (_table(["b1", "b2"], seed=2, bad=(0,)), True),  # refused: all_or_nothing
        (_table(["c1"], seed=3).drop_columns(["x"]), False),  # unreadable
        (_table(["b1", "d1"], seed=4), False),
    ]
    ingestor = CoalescingIngestor(PredictionStore(engine), max_wait_ms=20)
    ok, refused, unreadable, ok2 = asyncio.run(_gather(ingestor, version_id, jobs))
    assert isinstance(ok, IngestResult)
    assert ok.prediction_ids == ("a1", "a2")
    assert isinstance(refused, IngestResult)
    assert (refused.stored, refused.accepted, [r.row for r in refused.rejected]) == (False, 0, [0])
    assert isinstance(unreadable, SchemaMismatchError)
    assert isinstance(ok2, IngestResult)
    assert ok2.prediction_ids == ("b1", "d1")
    assert sorted(_stored(engine, version_id)) == ["a1", "a2", "b1", "d1"]


class _PoisonStore(PredictionStore):
    """A store whose database refuses any transaction holding the id ``poison``.

    Stands in for a database error caused by one request's data (e.g. a NUL byte that
    PostgreSQL text refuses); the ingestor, not the store, is under test here.
    """

    def store_prepared(self, batches: Any) -> list[IngestResult]:
        ids = {p for b in batches for p in b.table["prediction_id"].to_pylist()}
        if "poison" in ids:
            raise RuntimeError("the database refused the transaction")
        return super().store_prepared(batches)


def test_failed_group_is_retried_one_by_one(engine: Engine, version_id: str) -> None:
    store = _PoisonStore(engine)
    jobs = [(_table([f"g{i}", f"h{i}"], seed=i), False) for i in range(6)]
    jobs.insert(3, (_table(["poison", "p2"], seed=9), False))
    ingestor = CoalescingIngestor(store, max_wait_ms=50)
    results = asyncio.run(_gather(ingestor, version_id, jobs))
    failed = [r for r in results if not isinstance(r, IngestResult)]
    assert len(failed) == 1
    assert isinstance(results[3], RuntimeError)
    assert all(r.accepted == 2 for r in results if isinstance(r, IngestResult))
    assert len(_stored(engine, version_id)) == 12
    assert "poison" not in _stored(engine, version_id)


@pytest.mark.postgres
def test_a_nul_id_rejects_its_row_not_the_batch_on_postgres(
    new_database_url: Callable[[str], str],
) -> None:
    # Issue 11 item 13: PostgreSQL text cannot hold NUL, and a NUL id used to fail the
    # whole transaction (the request lost every row). It is now a per-row rejection.
    eng = create_engine_from_url(new_database_url("postgres"))
    migrate(eng)
    try:
        with session_factory(eng).begin() as session:
            catalog = Catalog(session)
            model = catalog.create_model(catalog.create_project("nul").id, "m")
            version = catalog.create_version(model.id, "1", SCHEMA).id
        jobs = [(_table([f"n{i}"], seed=i), False) for i in range(5)]
        jobs.insert(2, (_table(["bad\x00id", "good"], seed=11), False))
        ingestor = CoalescingIngestor(PredictionStore(eng), max_wait_ms=50)
        results = asyncio.run(_gather(ingestor, version, jobs))
        assert all(isinstance(r, IngestResult) for r in results), results
        assert [r.accepted for r in results] == [1, 1, 1, 1, 1, 1]
        assert [(x.row, x.reasons) for x in results[2].rejected] == [
            (0, ("prediction_id: contains a NUL byte",))
        ]
        assert sorted(_stored(eng, version)) == ["good"] + [f"n{i}" for i in range(5)]
    finally:
        eng.dispose()


def test_backpressure_refuses_instead_of_queueing(engine: Engine, version_id: str) -> None:
    jobs = [(_table([f"q{i}-{k}" for k in range(100)], seed=i), False) for i in range(30)]
    ingestor = CoalescingIngestor(PredictionStore(engine), max_queued_rows=500)
    results = asyncio.run(_gather(ingestor, version_id, jobs))
    busy = [r for r in results if isinstance(r, IngestBusyError)]
    done = [r for r in results if isinstance(r, IngestResult)]
    assert len(busy) + len(done) == len(jobs)
    assert busy
    assert done
    assert busy[0].status_code == 503
    assert busy[0].headers == {"Retry-After": "1"}
    assert len(_stored(engine, version_id)) == 100 * len(done)
    assert ingestor.queued_rows == 0


def test_groups_respect_max_rows_and_versions(engine: Engine, version_id: str) -> None:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project(f"o-{secrets.token_hex(6)}").id, "m")
        other = catalog.create_version(model.id, "1", SCHEMA).id
    sizes: list[int] = []

    class Recording(PredictionStore):
        def store_prepared(self, batches: Any) -> list[IngestResult]:
            assert len({b.version_id for b in batches}) == 1
            sizes.append(sum(b.valid_rows for b in batches))
            return super().store_prepared(batches)

    ingestor = CoalescingIngestor(Recording(engine), max_rows=120, max_wait_ms=50)

    async def run() -> list[IngestResult]:
        tasks = [
            ingestor.submit(v, _table([None] * 50, seed=i), all_or_nothing=False)
            for i, v in enumerate([version_id, other] * 5)
        ]
        out = await asyncio.gather(*tasks)
        await ingestor.aclose()
        return list(out)

    results = asyncio.run(run())
    assert [r.accepted for r in results] == [50] * 10
    assert max(sizes) <= 120
    assert sum(sizes) == 500
    assert len(sizes) < 10
    with pytest.raises(Exception, match="shutting down"):
        asyncio.run(ingestor.submit(version_id, _table(["late"]), all_or_nothing=False))
