from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, update

from driftline.exceptions import DataError, ParameterError, SchemaMismatchError
from driftline.monitor import Monitor, ingest_profile, profile_rows
from driftline.profiles import CategoricalProfile, DatasetProfile, profile
from driftline.store import ModelVersion, PredictionStore
from driftline.testing import DRIFTED_COLUMNS, make_monitoring_data

REFERENCE, DRIFTED = make_monitoring_data(20_000, seed=31)
T0 = datetime(2026, 4, 6, 0, 0, tzinfo=UTC)


def test_a_precomputed_profile_becomes_a_window(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_kind="time", window_size=86_400)
    part_a = profile_rows(h.schema, h.as_rows(DRIFTED.iloc[:4_000]))
    part_b = profile_rows(h.schema, h.as_rows(DRIFTED.iloc[4_000:7_000]))
    w = ingest_profile(engine, setup.version_id, part_a, start=T0 + timedelta(hours=5))
    assert (w.window_key, w.row_count, w.dirty, w.status) == (
        int(T0.timestamp()) * 1_000_000, 4_000, True, "open"
    )  # fmt: skip
    assert w.start_at == T0
    assert w.end_at == T0 + timedelta(days=1)
    again = ingest_profile(engine, setup.version_id, part_b, window_key=w.window_key)
    assert again.id == w.id
    assert again.row_count == 7_000
    assert again.version == w.version + 1
    # raw rows of the same day land in the same window and merge with the profiles
    rows = h.as_rows(DRIFTED.iloc[7_000:8_000])
    stamps = pa.array([T0 + timedelta(hours=7)] * rows.num_rows, pa.timestamp("us", tz="UTC"))
    setup.store.ingest_batch(setup.version_id, rows.append_column("timestamp", stamps))
    now = T0 + timedelta(days=2)
    stats = Monitor(engine, alerts=False, clock=lambda: now).run_once()
    assert (stats.windows_computed, stats.batches_merged, stats.windows_closed) == (1, 1, 1)
    (window,) = PredictionStore(engine).windows(setup.version_id)
    merged = DatasetProfile.from_bytes(window.profile)
    one_shot = profile_rows(h.schema, h.as_rows(DRIFTED.iloc[:8_000]))
    assert merged.n_rows == window.row_count == 8_000
    for name in ("num_00", "num_10"):
        assert merged[name].count == one_shot[name].count
        assert merged[name].mean == pytest.approx(one_shot[name].mean, rel=1e-9)
        assert merged[name].min == one_shot[name].min
        assert merged[name].max == one_shot[name].max
    assert merged["cat_02"].frequencies() == one_shot["cat_02"].frequencies()
    results = window.results
    assert results["volume"]["rows"] == 8_000
    assert set(results["drift"]["drifted_columns"]) & set(h.features) == set(DRIFTED_COLUMNS)
    assert results["window"]["status"] == "closed"


def test_row_windows_take_a_key_or_the_newest_window(sqlite_engine: Engine, h: Any) -> None:
    setup = h.make_version(sqlite_engine, REFERENCE, window_size=5_000)
    part = profile_rows(h.schema, h.as_rows(DRIFTED.iloc[:1_000]))
    first = ingest_profile(sqlite_engine, setup.version_id, part)
    assert (first.window_key, first.row_count, first.start_at) == (0, 1_000, None)
    later = ingest_profile(sqlite_engine, setup.version_id, part, window_key=3)
    assert (later.window_key, later.row_count) == (3, 1_000)
    newest = ingest_profile(sqlite_engine, setup.version_id, part)
    assert (newest.window_key, newest.row_count) == (3, 2_000)
    with pytest.raises(ParameterError, match="Row windows"):
        ingest_profile(sqlite_engine, setup.version_id, part, start=T0)


def test_bad_profiles_and_addresses_are_refused(sqlite_engine: Engine, h: Any) -> None:
    setup = h.make_version(sqlite_engine, REFERENCE, window_kind="time", window_size=3_600)
    part = profile_rows(h.schema, h.as_rows(DRIFTED.iloc[:100]))
    version = setup.version_id
    with pytest.raises(SchemaMismatchError, match="num_00"):
        ingest_profile(sqlite_engine, version, profile({"x": np.arange(5.0)}), start=T0)
    with pytest.raises(ParameterError, match="not both"):
        ingest_profile(sqlite_engine, version, part, start=T0, window_key=0)
    with pytest.raises(ParameterError, match="need 'start'"):
        ingest_profile(sqlite_engine, version, part)
    with pytest.raises(ParameterError, match="not the start"):
        ingest_profile(sqlite_engine, version, part, window_key=17)
    with pytest.raises(ParameterError, match="DatasetProfile"):
        ingest_profile(sqlite_engine, version, {"x": 1}, start=T0)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="No model version"):
        ingest_profile(sqlite_engine, "nope", part, start=T0)
    assert PredictionStore(sqlite_engine).windows(version) == []  # nothing half-written
    naive = ingest_profile(sqlite_engine, version, part, start=datetime(2026, 4, 6, 0, 30))
    assert naive.start_at == T0  # naive times are UTC


def _with_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


def test_profiles_that_would_poison_their_window_are_refused(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_kind="time", window_size=3_600)
    version = setup.version_id
    rows = h.as_rows(DRIFTED.iloc[:200])
    kinds = {**h.features, "score": "numeric", "prediction": "numeric"}
    # numeric num_00 sent as categorical: every later merge into the window would fail
    as_text = _with_column(rows, "num_00", rows["num_00"].cast(pa.string()))
    wrong_kind = profile(as_text.select(list(kinds)), schema={**kinds, "num_00": "categorical"})
    with pytest.raises(SchemaMismatchError, match="'num_00' is 'categorical' in the profile"):
        ingest_profile(engine, version, wrong_kind, start=T0)
    score_as_text = profile(
        _with_column(rows, "score", rows["score"].cast(pa.string())).select(list(kinds)),
        schema={**kinds, "score": "categorical"},
    )
    with pytest.raises(SchemaMismatchError, match="'score' is 'categorical'"):
        ingest_profile(engine, version, score_as_text, start=T0)
    region = pa.array(["eu"] * rows.num_rows)
    extra = profile(rows.select(list(kinds)).append_column("region", region), schema=kinds)
    with pytest.raises(SchemaMismatchError, match=r"\['region'\].*profile_rows"):
        ingest_profile(engine, version, extra, start=T0)
    good = profile_rows(h.schema, rows)
    cat = good["cat_00"]
    other_sketch = DatasetProfile(
        good.n_rows,
        tuple(
            dataclasses.replace(c, registers=b"\x00" * 16) if c.name == "cat_00" else c
            for c in good.columns
        ),
    )
    assert isinstance(cat, CategoricalProfile)
    with pytest.raises(SchemaMismatchError, match="cannot be merged"):
        ingest_profile(engine, version, other_sketch, start=T0)
    lying = DatasetProfile(
        good.n_rows,
        tuple(dataclasses.replace(c, n_rows=5) if c.name == "num_01" else c for c in good.columns),
    )
    with pytest.raises(DataError, match="'num_01' counts 5 rows"):
        ingest_profile(engine, version, lying, start=T0)
    assert PredictionStore(engine).windows(version) == []  # nothing stored
    # the window stays computable: rows and a good profile merge, the monitor computes it
    stamps = pa.array([T0] * rows.num_rows, pa.timestamp("us", tz="UTC"))
    setup.store.ingest_batch(version, rows.append_column("timestamp", stamps))
    ingest_profile(engine, version, good, start=T0)
    stats = Monitor(engine, alerts=False).run_once()
    assert (stats.windows_computed, stats.errors) == (1, 0)
    (window,) = PredictionStore(engine).windows(version)
    assert (window.row_count, window.failures) == (400, 0)
    assert DatasetProfile.from_bytes(window.profile)["num_00"].kind == "numeric"


def test_profiles_must_agree_with_the_reference_profile(sqlite_engine: Engine, h: Any) -> None:
    rows = h.as_rows(DRIFTED.iloc[:200])
    kinds = {**h.features, "score": "numeric", "prediction": "numeric"}
    # a reference profiled with another kind for cat_01 (not as the monitor profiles rows)
    odd = _with_column(rows, "cat_01", pa.array(np.arange(rows.num_rows, dtype=np.float64)))
    reference = profile(odd.select(list(kinds)), schema={**kinds, "cat_01": "numeric"})
    setup = h.make_version(sqlite_engine, None, window_kind="time", window_size=3_600)
    with sqlite_engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == setup.version_id)
            .values(reference_profile=reference.to_bytes())
        )
    with pytest.raises(SchemaMismatchError, match=r"'cat_01' is 'categorical' .* reference"):
        ingest_profile(sqlite_engine, setup.version_id, profile_rows(h.schema, rows), start=T0)
