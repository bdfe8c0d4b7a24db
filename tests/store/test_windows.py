"""The window side of the store: the key rule, the two index forms, the one results writer,
failure records and profile merges (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from driftline.exceptions import ParameterError
from driftline.profiles import profile
from driftline.store import PredictionStore, WindowStore
from driftline.store._models import PredictionBatch
from driftline.store._window_keys import time_window_keys

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _batch(n: int, *, ids: list[str], start: datetime = T0, seconds: int = 1) -> pa.Table:
    rng = np.random.default_rng(n)
    return pa.table(
        {
            "prediction_id": ids,
            "timestamp": pa.array(
                [start + timedelta(seconds=seconds * i) for i in range(n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b"], size=n).tolist(),
            "flag": (rng.random(n) < 0.5).tolist(),
            "score": rng.random(n),
        }
    )


def _unmerged(engine: Engine, window_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(PredictionBatch)
                .where(
                    PredictionBatch.window_id == window_id, PredictionBatch.profiled_at.is_(None)
                )
            ).scalar_one()
        )


def test_window_results_follow_one_rule(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    store.ingest_batch(version_id, _batch(5, ids=[f"w{i}" for i in range(5)]))
    (window,) = store.windows(version_id)
    assert (window.version, window.dirty) == (0, True)
    store.ingest_labels(version_id, ["w0"], [1])  # lands while "computing"
    # The results of the rows read are saved, but the window stays dirty: the new label is
    # folded in by the next computation (the monitor's rule, now the only one).
    assert store.save_window_results(window, {"drift": False})
    (stale,) = store.windows(version_id)
    assert (stale.version, stale.dirty, stale.results) == (1, True, {"drift": False})
    assert not store.save_window_results(window, {"drift": True})  # stale version: no write
    assert store.save_window_results(stale, {"drift": True}, profile=b"merged", status="closed")
    (done,) = store.windows(version_id)
    assert (done.version, done.dirty, done.results, done.profile, done.status) == (
        2,
        False,
        {"drift": True},
        b"merged",
        "closed",
    )
    assert done.computed_at is not None


def test_batches_are_marked_once_and_a_conflict_writes_nothing(
    engine: Engine, version_id: str
) -> None:
    store = PredictionStore(engine)
    result = store.ingest_batch(version_id, _batch(4, ids=[f"m{i}" for i in range(4)]))
    found = store.read_pending(store.windows(version_id)[0].id)
    assert found is not None
    window, pending = found
    assert pending == [(result.batch_ids[0], 4)]
    assert store.save_window_profile(window, b"p1", batches=[result.batch_ids[0]])
    assert _unmerged(engine, window.id) == 0
    # a second writer that read the same version and merges the same batch: a conflict
    assert not store.save_window_results(
        window, {"r": 1}, batches=[result.batch_ids[0]], version=window.version + 1
    )
    (after,) = store.windows(version_id)
    assert (after.version, after.profile, after.results) == (1, b"p1", None)


def test_failures_back_off_quarantine_and_clear_on_success(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    store.ingest_batch(version_id, _batch(3, ids=["f0", "f1", "f2"]))
    (window,) = store.windows(version_id)
    assert (window.failures, window.error, window.retry_at, window.quarantined) == (
        0,
        None,
        None,
        False,
    )
    delays = {1: 0.0, 2: 30.0, 3: 60.0}
    for n in (1, 2, 3):
        failures = store.record_window_failure(
            window.id,
            f"SchemaMismatchError: bad {n}\nsecond line",
            retry_after=delays.__getitem__,
            quarantine_after=3,
            now=T0,
        )
        assert failures == n
        (failed,) = store.windows(version_id)
        assert failed.failures == n
        assert failed.error == f"SchemaMismatchError: bad {n}"  # the first line only
        assert failed.retry_at == T0 + timedelta(seconds=delays[n])
        assert failed.quarantined is (n >= 3)
    assert (
        store.record_window_failure(
            "no-such-window", "x", retry_after=lambda n: 0.0, quarantine_after=3
        )
        == 0
    )
    assert store.save_window_results(failed, {"ok": True})
    (healed,) = store.windows(version_id)
    assert (healed.failures, healed.error, healed.retry_at, healed.quarantined) == (
        0,
        None,
        None,
        False,
    )


def test_the_index_in_both_forms(engine: Engine, version_id: str) -> None:
    store = PredictionStore(engine)
    ids = [f"i{i}" for i in range(6)]
    table = _batch(6, ids=ids)
    store.ingest_batch(version_id, table)
    store.ingest_labels(version_id, ids[:4], [1, 0, 1, 1])
    (window,) = store.windows(version_id)
    as_table = store.read_index(window.id)
    arrays = store.read_index(window.id, form="arrays")
    assert arrays.n_rows == as_table.num_rows == 6
    order = np.argsort(arrays.score)
    np.testing.assert_array_equal(arrays.score[order], np.sort(as_table["score"].to_numpy()))
    labels = as_table["label"].to_numpy(zero_copy_only=False)
    assert int((~np.isnan(arrays.label)).sum()) == int((~np.isnan(labels)).sum()) == 4
    # label delay = label arrival - prediction time, computed by the database
    labelled = as_table.filter(pa.compute.is_valid(as_table["label"]))
    delays = [
        (at - ts).total_seconds()
        for at, ts in zip(
            labelled["label_at"].to_pylist(), labelled["timestamp"].to_pylist(), strict=True
        )
    ]
    np.testing.assert_allclose(np.sort(arrays.label_delay_seconds), np.sort(delays), atol=1e-3)
    with pytest.raises(ParameterError, match="'form'"):
        store.read_index(window.id, form="rows")  # type: ignore[call-overload]


def test_one_key_rule_for_rows_and_profiles(engine: Engine, version_id: str) -> None:
    # a row at 12:59:59.999999 and a profile whose start is that same moment share a window
    moment = datetime(2024, 5, 1, 12, 59, 59, 999_999, tzinfo=UTC)
    store = PredictionStore(engine)
    store.ingest_batch(version_id, _batch(1, ids=["k0"], start=moment))
    (window,) = store.windows(version_id)
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert window.window_key == int(time_window_keys([micros], 3600)[0])
    assert window.start_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    prof = profile(
        pa.table({"x": [1.0], "city": ["a"], "flag": [True]}),
        schema={"x": "numeric", "city": "categorical", "flag": "boolean"},
    )
    merged = WindowStore(engine).merge_profile(version_id, prof, start=moment)
    assert (merged.id, merged.row_count) == (window.id, 2)


def test_time_windows_outside_the_datetime_range_are_refused(
    engine: Engine, version_id: str
) -> None:
    prof = profile(
        pa.table({"x": [1.0], "city": ["a"], "flag": [True]}),
        schema={"x": "numeric", "city": "categorical", "flag": "boolean"},
    )
    store = WindowStore(engine)
    width = 3_600_000_000
    for key in ((2**62 // width) * width, -(2**62 // width) * width):
        with pytest.raises(ParameterError, match="years 1 to 9999"):
            store.merge_profile(version_id, prof, window_key=key)
    with pytest.raises(ParameterError, match="years 1 to 9999"):
        store.merge_profile(version_id, prof, start=datetime(9999, 12, 31, 23, 30, tzinfo=UTC))
    assert store.windows(version_id) == []
