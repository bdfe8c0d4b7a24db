"""``PredictionStore.ingest_many`` / ``store_prepared``: several requests, one transaction,
results that map back exactly as if the requests had been ingested one after the other."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.store import Catalog, PredictionStore, VersionSchema, session_factory
from driftline.store import _ingest as ingest_module
from driftline.store._models import Prediction, PredictionBatch

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SCHEMA = VersionSchema({"x": "numeric", "city": "categorical", "flag": "boolean"})


def _new_version(engine: Engine, *, window: tuple[str, int] = ("time", 3600)) -> str:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project(f"many-{secrets.token_hex(6)}")
        model = catalog.create_model(project.id, "m")
        version = catalog.create_version(
            model.id, "1", SCHEMA, window_kind=window[0], window_size=window[1]
        )
        return version.id


def _table(
    ids: list[str | None], *, seed: int = 0, bad: tuple[int, ...] = (), hours: int = 0
) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = len(ids)
    scores = rng.random(n)
    scores[list(bad)] = 2.0  # outside [0, 1]: rejected
    stamps = [T0 + timedelta(hours=hours, seconds=int(s)) for s in rng.integers(0, 7200, n)]
    return pa.table(
        {
            "prediction_id": pa.array(ids, pa.string()),
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b", "c"], size=n).tolist(),
            "flag": (rng.random(n) < 0.5).tolist(),
            "score": scores,
        }
    )


def _count(engine: Engine, version_id: str) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(func.count()).where(Prediction.model_version_id == version_id)
        ).scalar_one()
        batches = conn.execute(
            select(func.count()).where(PredictionBatch.model_version_id == version_id)
        ).scalar_one()
    return int(rows), int(batches)


def _comparable(result: object) -> tuple[object, ...]:
    from driftline.store import IngestResult

    assert isinstance(result, IngestResult)
    given_ids = tuple(p for p in result.prediction_ids if len(p) != 36)  # generated: UUIDv7
    generated = len(result.prediction_ids) - len(given_ids)
    return (
        result.accepted,
        given_ids,
        generated,
        result.duplicates,
        result.rejected,
        result.stored,
    )


def test_results_map_back_like_sequential_ingestion(engine: Engine) -> None:
    tables = [
        _table(["a1", "a2", None, "a3"], seed=1, bad=(1,)),
        _table(["b1", "a1", None, "b1", "a2"], seed=2),  # a1 repeats table 0; b1 itself
        _table([None, None, "c1"], seed=3, bad=(0,), hours=5),
        _table([], seed=4),
        _table(["a3", "d1"], seed=5, hours=2),
    ]
    grouped_version, sequential_version = _new_version(engine), _new_version(engine)
    store = PredictionStore(engine)
    grouped = store.ingest_many(grouped_version, tables)
    sequential = [store.ingest_batch(sequential_version, t) for t in tables]
    assert [_comparable(r) for r in grouped] == [_comparable(r) for r in sequential]
    assert grouped[1].duplicates == ("a1", "b1")
    # a2 was rejected in table 0 (bad score), so table 1 stores it
    assert grouped[1].prediction_ids[-1] == "a2"
    assert grouped[4].duplicates == ("a3",)
    assert [r.row for r in grouped[2].rejected] == [0]
    assert grouped[3].accepted == 0
    assert grouped[3].stored
    all_ids = [p for r in grouped for p in r.prediction_ids]
    assert len(all_ids) == len(set(all_ids)) == _count(engine, grouped_version)[0]
    # grouped: one blob per window for the whole group; sequential: one per table and window
    assert _count(engine, grouped_version)[1] < _count(engine, sequential_version)[1]
    windows = {w.window_key: w.row_count for w in store.windows(grouped_version)}
    assert windows == {w.window_key: w.row_count for w in store.windows(sequential_version)}
    # a table's batch ids are the blobs that hold its rows: the group's blobs, one per window
    with engine.connect() as conn:
        stored = set(
            conn.execute(
                select(Prediction.batch_id, Prediction.prediction_id).where(
                    Prediction.model_version_id == grouped_version
                )
            ).all()
        )
    for result in grouped:
        held = {b for b, p in stored if p in set(result.prediction_ids)}
        assert set(result.batch_ids) == held


def test_refused_all_or_nothing_table_does_not_touch_the_others(engine: Engine) -> None:
    version = _new_version(engine)
    store = PredictionStore(engine)
    ok, refused, ok2 = store.ingest_many(
        version,
        [_table(["k1", "k2"]), _table(["k3", "k4"], bad=(1,)), _table(["k3", "k5"], seed=9)],
        all_or_nothing=[False, True, False],
    )
    assert (ok.accepted, ok.stored) == (2, True)
    assert (refused.accepted, refused.stored, [r.row for r in refused.rejected]) == (0, False, [1])
    assert (ok2.prediction_ids, ok2.duplicates) == (("k3", "k5"), ())
    assert _count(engine, version)[0] == 4
    with pytest.raises(ParameterError, match="flags"):
        store.ingest_many(version, [_table(["z"])], all_or_nothing=[True, False])


def test_tables_with_different_output_columns_are_stored_together(engine: Engine) -> None:
    version = _new_version(engine)
    store = PredictionStore(engine)
    with_prediction = _table(["p1", "p2"]).append_column("prediction", pa.array([1.0, 0.0]))
    results = store.ingest_many(version, [_table(["s1"]), with_prediction])
    assert [r.accepted for r in results] == [1, 2]
    index = pa.concat_tables([store.read_index(w.id) for w in store.windows(version)])
    index = index.sort_by("prediction_id")
    assert index["prediction"].to_pylist() == [1.0, 0.0, None]


def test_one_unreadable_table_raises_before_anything_is_written(engine: Engine) -> None:
    version = _new_version(engine)
    store = PredictionStore(engine)
    with pytest.raises(SchemaMismatchError):
        store.ingest_many(version, [_table(["u1"]), _table(["u2"]).drop_columns(["x"])])
    assert _count(engine, version) == (0, 0)


def test_group_is_one_transaction(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    version = _new_version(engine)
    store = PredictionStore(engine)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(ingest_module.PredictionStore, "_resolve_pending", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.ingest_many(version, [_table(["t1"]), _table(["t2", "t3"], hours=3)])
    monkeypatch.undo()
    assert _count(engine, version) == (0, 0)
    assert store.windows(version) == []
    assert [r.accepted for r in store.ingest_many(version, [_table(["t1"]), _table(["t2"])])] == [
        1,
        1,
    ]


def test_row_windows_fill_in_arrival_order(engine: Engine) -> None:
    version = _new_version(engine, window=("rows", 4))
    store = PredictionStore(engine)
    results = store.ingest_many(version, [_table([f"r{i}" for i in range(3)]), _table(["q"] * 6)])
    assert [r.accepted for r in results] == [3, 1]
    assert results[1].duplicates == ("q",) * 5
    assert [(w.window_key, w.row_count) for w in store.windows(version)] == [(0, 4)]


def test_store_prepared_needs_one_version(engine: Engine) -> None:
    store = PredictionStore(engine)
    a, b = _new_version(engine), _new_version(engine)
    prepared = [store.prepare_batch(a, _table(["v1"])), store.prepare_batch(b, _table(["v2"]))]
    with pytest.raises(ParameterError, match="one model version"):
        store.store_prepared(prepared)
    assert store.store_prepared([]) == []


_ID = st.sampled_from([f"h{i}" for i in range(12)] + [None])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    groups=st.lists(
        st.tuples(st.lists(_ID, max_size=8), st.lists(st.integers(0, 7), max_size=2)),
        min_size=1,
        max_size=5,
    )
)
def test_grouped_equals_sequential(engine: Engine, groups: list[tuple[list, list]]) -> None:
    tables = [
        _table(ids, seed=i, bad=tuple(b for b in bad if b < len(ids)), hours=i)
        for i, (ids, bad) in enumerate(groups)
    ]
    grouped_version, sequential_version = _new_version(engine), _new_version(engine)
    store = PredictionStore(engine)
    grouped = store.ingest_many(grouped_version, tables)
    sequential = [store.ingest_batch(sequential_version, t) for t in tables]
    assert [_comparable(r) for r in grouped] == [_comparable(r) for r in sequential]
    assert _count(engine, grouped_version)[0] == _count(engine, sequential_version)[0]
