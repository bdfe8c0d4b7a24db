from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from driftline.exceptions import ParameterError, SchemaMismatchError, UnsupportedInputError
from driftline.store import (
    Catalog,
    IngestResult,
    PredictionStore,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)
from driftline.store import _ingest as ingest_module
from driftline.store._models import PendingLabel, Prediction, PredictionBatch

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SCHEMA = VersionSchema({"x": "numeric", "city": "categorical", "flag": "boolean"})


def _batch(
    n: int, *, seed: int = 0, ids: list[str] | None = None, start: datetime = T0
) -> pa.Table:
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "timestamp": pa.array(
            [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 600, n))],
            pa.timestamp("us", tz="UTC"),
        ),
        "x": rng.normal(size=n),
        "city": rng.choice(["a", "b", "c"], size=n).tolist(),
        "flag": (rng.random(n) < 0.5).tolist(),
        "score": rng.random(n),
    }
    if ids is not None:
        columns["prediction_id"] = ids
    return pa.table(columns)


def _count(engine: Engine, version_id: str, entity: type[Prediction | PredictionBatch]) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(entity)
                .where(entity.model_version_id == version_id)
            ).scalar_one()
        )


def test_retried_batch_is_not_double_counted(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    ids = [f"r-{i}" for i in range(50)]
    first = store.ingest_batch(version_id, _batch(50, ids=ids))
    again = store.ingest_batch(version_id, _batch(50, ids=ids))
    assert (first.accepted, first.duplicates) == (50, ())
    assert first.prediction_ids == tuple(ids)
    assert (again.accepted, again.duplicates, again.batch_ids) == (0, tuple(ids), ())
    assert _count(engine, version_id, Prediction) == 50
    assert _count(engine, version_id, PredictionBatch) == 1
    windows = store.windows(version_id)
    assert sum(w.row_count for w in windows) == 50
    # half new, half known: only the new half is stored
    mixed = store.ingest_batch(version_id, _batch(50, ids=ids[25:] + [f"n-{i}" for i in range(25)]))
    assert mixed.accepted == 25
    assert set(mixed.duplicates) == set(ids[25:])
    assert _count(engine, version_id, Prediction) == 75


def test_duplicates_within_one_batch_keep_the_first(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    table = _batch(4, ids=["a", "b", "a", "c"])
    result = store.ingest_batch(version_id, table)
    assert result.prediction_ids == ("a", "b", "c")
    assert result.duplicates == ("a",)
    stored = store.read_window(store.windows(version_id)[0].id)
    x = table["x"].to_numpy()
    first_a = stored.filter(pa.compute.equal(stored["prediction_id"], "a"))["x"].to_numpy()
    np.testing.assert_array_equal(first_a, x[:1])


def test_generated_ids_are_uuid7_and_returned(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    result = store.ingest_batch(version_id, _batch(20))
    assert len(result.prediction_ids) == 20
    assert all(p[14] == "7" for p in result.prediction_ids)
    assert list(result.prediction_ids) == sorted(result.prediction_ids)
    index = store.read_index(store.windows(version_id)[0].id)
    assert set(index["prediction_id"].to_pylist()) == set(result.prediction_ids)


def test_partial_rejection_keeps_valid_rows(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    table = pa.table({
        "prediction_id": ["ok1", "bad-x", "bad-score", "ok2", "", "bad-ts"],
        "timestamp": ["2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z", "2024-05-01T12:00:02Z",
                      "2024-05-01 12:00:03", "2024-05-01T12:00:04Z", "yesterday"],
        "x": ["1.5", "abc", "2", "-3e2", "1", "1"],
        "city": ["a", "b", None, "d", "e", "f"],
        "flag": [True, False, None, True, True, False],
        "score": [0.1, 0.2, 1.5, None, 0.3, 0.4],
    })  # fmt: skip
    result = store.ingest_batch(version_id, table)
    assert result.stored
    assert result.accepted == 1
    assert result.prediction_ids == ("ok1",)
    reasons = {r.row: (r.prediction_id, r.reasons) for r in result.rejected}
    assert reasons == {
        1: ("bad-x", ("x: not a number",)),
        2: ("bad-score", ("score: outside [0, 1]",)),
        3: ("ok2", ("no score and no prediction",)),
        4: ("", ("prediction_id: empty",)),
        5: ("bad-ts", ("timestamp: not an ISO 8601 timestamp",)),
    }
    assert result.to_dict()["rejected"][0] == {
        "row": 1,
        "prediction_id": "bad-x",
        "reasons": ["x: not a number"],
    }
    assert _count(engine, version_id, Prediction) == 1


def test_all_or_nothing_refuses_the_whole_batch(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    table = _batch(10, ids=[f"id-{i}" for i in range(10)])
    scores = table["score"].to_numpy().copy()
    scores[7] = np.inf
    table = table.set_column(table.column_names.index("score"), "score", pa.array(scores))
    refused = store.ingest_batch(version_id, table, all_or_nothing=True)
    assert (refused.stored, refused.accepted) == (False, 0)
    assert [(r.row, r.reasons) for r in refused.rejected] == [(7, ("score: not finite",))]
    assert _count(engine, version_id, Prediction) == 0
    assert store.windows(version_id) == []
    kept = store.ingest_batch(version_id, table)
    assert kept.accepted == 9


def test_labels_after_predictions(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    ids = [f"p{i}" for i in range(6)]
    store.ingest_batch(version_id, _batch(6, ids=ids))
    result = store.ingest_labels(version_id, ids[:4], [1, 0, 1, 1])
    assert (result.joined, result.pending) == (4, 0)
    relabel = store.ingest_labels(version_id, ["p0"], np.array([0.0]))
    assert relabel.joined == 1
    (window,) = store.windows(version_id)
    assert window.label_count == 4
    assert window.dirty
    index = store.read_index(window.id).to_pydict()
    labels = dict(zip(index["prediction_id"], index["label"], strict=True))
    assert labels == {"p0": 0.0, "p1": 0.0, "p2": 1.0, "p3": 1.0, "p4": None, "p5": None}
    labelled_at = [t for t in index["label_at"] if t is not None]
    assert len(labelled_at) == 4
    assert all(t.tzinfo is not None for t in labelled_at)


def test_labels_before_predictions_are_joined_on_arrival(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    early = store.ingest_labels(version_id, ["e1", "e2", "e3"], [1, 0, 1])
    assert (early.joined, early.pending) == (0, 3)
    store.ingest_labels(version_id, ["e3"], [0])  # a corrected early label replaces the first
    with engine.connect() as conn:
        pending = conn.execute(
            select(func.count())
            .select_from(PendingLabel)
            .where(PendingLabel.model_version_id == version_id)
        ).scalar_one()
    assert pending == 3
    store.ingest_batch(version_id, _batch(3, ids=["e1", "x", "e3"]))
    (window,) = store.windows(version_id)
    index = store.read_index(window.id).to_pydict()
    assert dict(zip(index["prediction_id"], index["label"], strict=True)) == {
        "e1": 1.0,
        "x": None,
        "e3": 0.0,
    }
    assert window.label_count == 2
    label_times = dict(zip(index["prediction_id"], index["label_at"], strict=True))
    assert label_times["e1"] is not None
    assert label_times["e3"] is not None
    assert label_times["e1"] < label_times["e3"]  # when each label arrived, not the prediction
    with engine.connect() as conn:
        left = (
            conn.execute(
                select(PendingLabel.prediction_id).where(
                    PendingLabel.model_version_id == version_id
                )
            )
            .scalars()
            .all()
        )
    assert left == ["e2"]


def test_label_input_is_validated(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    with pytest.raises(ParameterError, match="equal length"):
        store.ingest_labels(version_id, ["a", "b"], [1.0])
    # A bad label rejects its row, with the reason; the good rows are kept.
    result = store.ingest_labels(version_id, ["a", "b", "c"], ["yes", float("nan"), 1])
    assert result.pending == 1
    assert [(r.row, r.prediction_id, r.reasons) for r in result.rejected] == [
        (0, "a", ("label: not a number",)),
        (1, "b", ("label: not finite",)),
    ]


def test_failure_mid_ingest_leaves_nothing_behind(
    engine: Engine, version_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PredictionStore(engine)
    store.ingest_batch(version_id, _batch(5, ids=[f"k{i}" for i in range(5)]))
    before = [(w.id, w.row_count) for w in store.windows(version_id)]

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut")

    # The last step, after the blob, index rows and window counters were written.
    monkeypatch.setattr(ingest_module.PredictionStore, "_resolve_pending", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.ingest_batch(version_id, _batch(8, seed=1, start=T0 + timedelta(days=1)))
    monkeypatch.undo()
    assert _count(engine, version_id, Prediction) == 5
    assert _count(engine, version_id, PredictionBatch) == 1
    assert [(w.id, w.row_count) for w in store.windows(version_id)] == before
    assert store.ingest_batch(version_id, _batch(8, seed=1)).accepted == 8


def test_batches_split_by_time_window_and_read_back(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    first = _batch(30, seed=3, start=T0 - timedelta(minutes=5))  # spans 11:55 to 12:05
    result = store.ingest_batch(version_id, first)
    windows = store.windows(version_id)
    assert len(result.batch_ids) == len(windows) == 2
    assert [w.start_at for w in windows] == [T0 - timedelta(hours=1), T0]
    assert all(w.end_at == w.start_at + timedelta(hours=1) for w in windows if w.start_at)
    assert sum(w.row_count for w in windows) == 30
    back = pa.concat_tables([store.read_window(w.id) for w in windows])
    assert back["prediction_id"].to_pylist() == list(result.prediction_ids)
    np.testing.assert_array_equal(back["x"].to_numpy(), first["x"].to_numpy())
    assert back["city"].to_pylist() == first["city"].to_pylist()
    assert back["timestamp"].to_pylist() == first["timestamp"].to_pylist()


def test_row_count_windows(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project(f"p-{secrets.token_hex(6)}").id, "m")
        version_id = catalog.create_version(
            model.id, "1", VersionSchema({"x": "numeric"}), window_kind="rows", window_size=4
        ).id
    store = PredictionStore(engine)
    for n in (3, 6):
        store.ingest_batch(
            version_id, pa.table({"x": np.arange(n, dtype=float), "score": [0.5] * n})
        )
    windows = store.windows(version_id)
    assert [(w.window_key, w.row_count, w.start_at) for w in windows] == [
        (0, 4, None),
        (1, 4, None),
        (2, 1, None),
    ]


def test_schema_problems_raise(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    with pytest.raises(SchemaMismatchError, match=r"lacks the feature column\(s\) \['flag'\]"):
        store.ingest_batch(version_id, _batch(3).drop_columns(["flag"]))
    with pytest.raises(SchemaMismatchError, match="score or prediction"):
        store.ingest_batch(version_id, _batch(3).drop_columns(["score"]))
    with pytest.raises(UnsupportedInputError, match=r"pyarrow\.Table"):
        store.ingest_batch(version_id, {"x": [1]})
    with pytest.raises(ParameterError, match="No model version"):
        store.ingest_batch("missing", _batch(3))
    assert _count(engine, version_id, Prediction) == 0


def test_missing_timestamp_column_uses_ingestion_time(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    before = datetime.now(UTC)
    store.ingest_batch(version_id, _batch(3).drop_columns(["timestamp"]))
    (window,) = store.windows(version_id)
    stamps = store.read_window(window.id)["timestamp"].to_pylist()
    assert all(before - timedelta(seconds=1) <= s <= datetime.now(UTC) for s in stamps)


@pytest.mark.postgres
def test_postgres_executemany_path_matches_copy(postgres_databases: Any) -> None:
    engine = create_engine_from_url(postgres_databases.new())
    migrate(engine)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project("p").id, "m")
        version_id = catalog.create_version(model.id, "1", SCHEMA).id
    table = _batch(40, ids=[f"m{i}" for i in range(40)])
    copy_store = PredictionStore(engine)
    values_store = PredictionStore(engine, pg_bulk="executemany", compression="lz4")
    assert copy_store.ingest_batch(version_id, table.slice(0, 20)).accepted == 20
    assert values_store.ingest_batch(version_id, table.slice(20)).accepted == 20
    (window,) = copy_store.windows(version_id)
    index = copy_store.read_index(window.id)
    assert index["prediction_id"].to_pylist() == table["prediction_id"].to_pylist()
    # COPY (CSV text) and executemany both round-trip float64 scores exactly
    np.testing.assert_array_equal(index["score"].to_numpy(), table["score"].to_numpy())
    ts = table["timestamp"].cast(pa.int64()).to_numpy()
    np.testing.assert_array_equal(index["timestamp"].cast(pa.int64()).to_numpy(), ts)
    engine.dispose()


def test_empty_and_fully_rejected_batches_store_nothing(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    empty = store.ingest_batch(version_id, _batch(0))
    assert (empty.accepted, empty.rejected, empty.batch_ids, empty.stored) == (0, (), (), True)
    bad = _batch(3)
    bad = bad.set_column(bad.column_names.index("score"), "score", pa.array([2.0, -1.0, 9.0]))
    result = store.ingest_batch(version_id, bad)
    assert result.accepted == 0
    assert [r.row for r in result.rejected] == [0, 1, 2]
    assert _count(engine, version_id, PredictionBatch) == 0
    assert store.windows(version_id) == []


def test_concurrent_retries_store_each_row_once(engine: Engine, version_id: str) -> None:
    import threading

    store_a, store_b = PredictionStore(engine), PredictionStore(engine)
    table = _batch(300, ids=[f"c{i}" for i in range(300)])
    barrier = threading.Barrier(2)
    results: list[IngestResult | Exception] = []

    def send(store: PredictionStore) -> None:
        barrier.wait()
        try:
            results.append(store.ingest_batch(version_id, table))
        except Exception as exc:  # recorded and asserted on below
            results.append(exc)

    threads = [threading.Thread(target=send, args=(s,)) for s in (store_a, store_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if isinstance(r, IngestResult)]
    assert len(done) == 2, results
    assert sorted(r.accepted for r in done) == [0, 300]
    assert sorted(len(r.duplicates) for r in done) == [0, 300]
    assert _count(engine, version_id, Prediction) == 300
    assert sum(w.row_count for w in store_a.windows(version_id)) == 300
