from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from driftline import metrics
from driftline.monitor import RESULTS_SCHEMA, Monitor, profile_rows
from driftline.profiles import DatasetProfile
from driftline.store import VersionSchema, Window
from driftline.store._models import PredictionBatch
from driftline.testing import DRIFTED_COLUMNS, make_monitoring_data

REFERENCE, _ = make_monitoring_data(20_000, seed=11)
STABLE = make_monitoring_data(5_000, seed=12, drift=False)[1]
DRIFTED = make_monitoring_data(5_000, seed=13)[1]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PART_KEYS = {"schema", "window", "volume", "drift", "quality", "estimated", "realized", "skipped"}


def _windows(engine: Engine, version_id: str) -> list[Window]:
    from driftline.store import PredictionStore

    return PredictionStore(engine).windows(version_id)


def _unmerged(engine: Engine, version_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(PredictionBatch)
                .where(
                    PredictionBatch.model_version_id == version_id,
                    PredictionBatch.profiled_at.is_(None),
                )
            ).scalar_one()
        )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def test_stable_window_is_quiet_and_drifted_window_names_the_injected_columns(
    engine: Engine, h: Any
) -> None:
    setup = h.make_version(engine, REFERENCE, window_size=5_000)
    setup.ingest(h.as_rows(STABLE))
    setup.ingest(h.as_rows(DRIFTED))
    monitor = Monitor(engine, alerts=False)
    stats = monitor.run_once()
    assert (stats.windows_computed, stats.batches_merged, stats.rows_merged) == (2, 10, 10_000)
    assert stats.windows_closed == 2
    assert stats.errors == 0
    assert _unmerged(engine, setup.version_id) == 0
    stable, drifted = _windows(engine, setup.version_id)
    for window in (stable, drifted):
        assert window.status == "closed"
        assert not window.dirty
        assert set(window.results) == PART_KEYS
        assert window.results["schema"] == RESULTS_SCHEMA
        assert window.results["window"]["status"] == "closed"
        assert window.results["volume"]["rows"] == 5_000
        assert DatasetProfile.from_bytes(window.profile).n_rows == 5_000
    quiet = stable.results["drift"]
    assert quiet["drifted"] is False
    assert quiet["drifted_columns"] == []
    loud = drifted.results["drift"]
    features = set(h.features)
    assert set(loud["drifted_columns"]) & features == set(DRIFTED_COLUMNS)
    assert loud["n_columns"] == len(features) + 2  # + score and prediction
    assert loud["share_drifted"] == pytest.approx(len(loud["drifted_columns"]) / loud["n_columns"])
    col = loud["columns"]["num_00"]
    assert set(col) == {
        "method", "statistic", "p_value", "p_value_adjusted", "effect_size",
        "effect_name", "threshold", "drifted", "explanation",
    }  # fmt: skip
    assert col["drifted"] is True
    assert col["explanation"].startswith("mean +0.3")
    # data quality: the scale change of num_10 leaves the reference range
    checks = {(f["column"], f["check"]) for f in drifted.results["quality"]["findings"]}
    assert ("num_10", "out_of_range") in checks
    assert ("num_10", "out_of_range") not in {
        (f["column"], f["check"]) for f in stable.results["quality"]["findings"]
    }
    # nothing changed: a second pass does nothing
    again = monitor.run_once()
    assert (again.windows_computed, again.batches_merged) == (0, 0)


def _covariate_case(n: int, seed: int, *, shift: float, scale: float) -> pd.DataFrame:
    """A calibrated score of one feature: P(y | score) is the same everywhere."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, scale, n)
    p = _sigmoid(1.5 * x - 0.2)
    return pd.DataFrame(
        {"x": x, "proba": p, "y_pred": (p >= 0.5).astype(np.int64),
         "target": (rng.random(n) < p).astype(np.int64)}
    )  # fmt: skip


def test_estimate_tracks_realized_under_covariate_shift(engine: Engine, h: Any) -> None:
    schema = VersionSchema({"x": "numeric"}, task="binary")
    reference = _covariate_case(20_000, 1, shift=0.0, scale=1.0)
    current = _covariate_case(5_000, 2, shift=0.8, scale=1.3)
    setup = h.make_version(engine, reference, schema=schema, window_size=5_000)
    ids = setup.ingest(h.as_rows(current, ids="c"))
    setup.store.ingest_labels(setup.version_id, ids, current["target"].to_numpy())
    Monitor(engine, alerts=False).run_once()
    (window,) = _windows(engine, setup.version_id)
    results = window.results
    assert results["drift"]["drifted"]
    assert "x" in results["drift"]["drifted_columns"]
    estimated = results["estimated"]
    assert estimated["method"] == "CBPE"
    realized = results["realized"]
    assert realized["n_labels"] == 5_000
    for name in ("roc_auc", "accuracy", "f1"):
        est, real = estimated["metrics"][name], realized["metrics"][name]
        assert est["lower"] <= real["value"] <= est["upper"], (name, est, real)
        assert abs(est["value"] - real["value"]) < 0.02, name
        assert est["band_lower"] is not None
        assert est["band_upper"] is not None
    # the realized values are driftline.metrics' on the same rows
    y = current["target"].to_numpy()
    assert realized["metrics"]["roc_auc"]["value"] == pytest.approx(
        metrics.roc_auc(y, current["proba"].to_numpy()).value, abs=1e-12
    )


def test_late_labels_recompute_a_closed_window(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_size=2_000)
    frame = DRIFTED.iloc[:2_000]
    ids = setup.ingest(h.as_rows(frame, ids="late"))
    monitor = Monitor(engine, alerts=False)
    monitor.run_once()
    (window,) = _windows(engine, setup.version_id)
    assert window.status == "closed"
    assert window.results["realized"] is None
    assert "realized" in window.results["skipped"]
    drift_before = window.results["drift"]
    y = frame["target"].to_numpy()
    setup.store.ingest_labels(setup.version_id, ids[:1_000], y[:1_000])
    stats = monitor.run_once()
    assert (stats.windows_computed, stats.batches_merged) == (1, 0)
    (window,) = _windows(engine, setup.version_id)
    first = window.results["realized"]
    assert first["n_labels"] == 1_000
    assert window.results["volume"]["labels"] == 1_000
    assert window.results["volume"]["label_coverage"] == pytest.approx(0.5)
    # label delays agree with the store's own reader of the narrow index
    index = setup.store.read_index(window.id)
    has = index["label"].is_valid()
    at = index["label_at"].filter(has).cast(pa.int64()).to_numpy()
    ts = index["timestamp"].filter(has).cast(pa.int64()).to_numpy()
    delays = (at - ts) / 1e6
    got = window.results["volume"]["label_delay_seconds"]
    assert got["median"] == pytest.approx(float(np.median(delays)), abs=1e-3)
    assert got["p90"] == pytest.approx(float(np.quantile(delays, 0.9)), abs=1e-3)
    assert got["median"] > 0
    assert window.results["drift"] == drift_before  # labels do not move the drift verdict
    score = frame["proba"].to_numpy()
    expected = metrics.roc_auc(y[:1_000], score[:1_000])
    assert first["metrics"]["roc_auc"]["value"] == pytest.approx(expected.value, abs=1e-12)
    assert first["metrics"]["roc_auc"]["lower"] == pytest.approx(expected.ci_low, abs=1e-12)
    # the rest of the labels: the realized result of the closed window changes
    setup.store.ingest_labels(setup.version_id, ids[1_000:], y[1_000:])
    monitor.run_once()
    (window,) = _windows(engine, setup.version_id)
    second = window.results["realized"]
    assert second["n_labels"] == 2_000
    assert second["metrics"]["roc_auc"]["value"] == pytest.approx(
        metrics.roc_auc(y, score).value, abs=1e-12
    )
    assert second["metrics"]["roc_auc"]["value"] != first["metrics"]["roc_auc"]["value"]
    assert window.status == "closed"
    assert not window.dirty


def test_time_windows_close_after_end_plus_grace(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_kind="time", window_size=3_600)
    rows = h.as_rows(STABLE.iloc[:2_000])
    stamps = [T0 + timedelta(seconds=int(s)) for s in np.linspace(0, 3_000, rows.num_rows)]
    setup.ingest(rows.append_column("timestamp", pa.array(stamps, pa.timestamp("us", tz="UTC"))))
    now = [T0 + timedelta(minutes=55)]
    monitor = Monitor(engine, alerts=False, grace_seconds=120, clock=lambda: now[0])
    first = monitor.run_once()
    (window,) = _windows(engine, setup.version_id)
    assert (first.windows_computed, first.windows_closed) == (1, 0)
    assert window.status == "open"
    assert window.results["window"]["status"] == "open"
    assert window.results["window"]["start"] == T0.isoformat()
    assert window.results["window"]["end"] == (T0 + timedelta(hours=1)).isoformat()
    now[0] = T0 + timedelta(hours=1, seconds=60)  # past the end, within the grace period
    assert monitor.run_once().windows_computed == 0
    now[0] = T0 + timedelta(hours=1, seconds=121)
    closing = monitor.run_once()
    assert (closing.windows_computed, closing.windows_closed) == (1, 1)
    (window,) = _windows(engine, setup.version_id)
    assert window.status == "closed"
    assert window.results["window"]["status"] == "closed"
    assert monitor.run_once().windows_computed == 0


def test_row_windows_fill_in_order(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_size=2_000)
    setup.ingest(h.as_rows(STABLE), batch_rows=1_500)
    stats = Monitor(engine, alerts=False).run_once()
    windows = _windows(engine, setup.version_id)
    assert [w.window_key for w in windows] == [0, 1, 2]
    assert [w.row_count for w in windows] == [2_000, 2_000, 1_000]
    assert [w.status for w in windows] == ["closed", "closed", "open"]
    assert [w.results["window"]["status"] for w in windows] == ["closed", "closed", "open"]
    assert [DatasetProfile.from_bytes(w.profile).n_rows for w in windows] == [2_000, 2_000, 1_000]
    assert stats.windows_closed == 2
    assert all(w.results["window"]["start"] is None for w in windows)
    # the open window fills up and closes when its last rows arrive
    setup.ingest(h.as_rows(DRIFTED.iloc[:1_000]))
    Monitor(engine, alerts=False).run_once()
    last = _windows(engine, setup.version_id)[2]
    assert (last.row_count, last.status) == (2_000, "closed")
    assert DatasetProfile.from_bytes(last.profile).n_rows == 2_000


def test_regression_and_multiclass_tasks(sqlite_engine: Engine, h: Any) -> None:
    rng = np.random.default_rng(5)

    def regression(n: int) -> pd.DataFrame:
        x = rng.normal(size=n)
        pred = 2.0 * x
        return pd.DataFrame({"x": x, "proba": pred, "y_pred": pred,
                             "target": pred + rng.normal(0, 1 + 0.5 * np.abs(x), n)})  # fmt: skip

    schema = VersionSchema({"x": "numeric"}, task="regression")
    ref, cur = regression(4_000), regression(2_000)
    reg = h.make_version(sqlite_engine, ref, schema=schema, window_size=2_000)
    ids = reg.ingest(h.as_rows(cur, ids="r").drop_columns(["score"]))
    reg.store.ingest_labels(reg.version_id, ids, cur["target"].to_numpy())
    classes = rng.integers(0, 3, 4_000)
    multi_schema = VersionSchema({"x": "numeric"}, task="multiclass", score_column=None)
    multi_ref = pa.table({"x": rng.normal(size=4_000), "prediction": classes.astype(float)})
    multi = h.make_version(
        sqlite_engine, None, schema=multi_schema, window_size=2_000,
        reference_data=pa.table({"prediction": classes.astype(float),
                                 "label": classes.astype(float)}),
    )  # fmt: skip
    m_ids = multi.ingest(multi_ref.slice(0, 2_000).append_column(
        "prediction_id", pa.array([f"m{i}" for i in range(2_000)])))  # fmt: skip
    truth = np.where(rng.random(2_000) < 0.7, classes[:2_000], (classes[:2_000] + 1) % 3)
    multi.store.ingest_labels(multi.version_id, m_ids, truth)
    stats = Monitor(sqlite_engine, alerts=False).run_once()
    assert stats.errors == 0
    (rw,) = _windows(sqlite_engine, reg.version_id)
    est = rw.results["estimated"]
    assert est["method"] == "DLE"
    assert set(est["metrics"]) == {"mae", "rmse", "mape"}
    real = rw.results["realized"]["metrics"]
    y = cur["target"].to_numpy()
    assert real["mae"]["value"] == pytest.approx(metrics.mae(y, cur["y_pred"]).value, abs=1e-12)
    assert abs(est["metrics"]["mae"]["value"] - real["mae"]["value"]) < 0.15
    (mw,) = _windows(sqlite_engine, multi.version_id)
    assert mw.results["estimated"] is None
    assert "one score per class" in mw.results["skipped"]["estimated"]
    assert mw.results["drift"] is None  # no reference profile
    acc = mw.results["realized"]["metrics"]["accuracy"]["value"]
    assert acc == pytest.approx(float(np.mean(truth == classes[:2_000])), abs=1e-12)
    assert "f1_macro" in mw.results["realized"]["metrics"]


def test_a_failing_part_is_skipped_not_fatal(sqlite_engine: Engine, h: Any) -> None:
    # reference data without labels: estimation cannot be fitted, the rest still works
    broken = pa.table({"score": REFERENCE["proba"].to_numpy()})
    setup = h.make_version(sqlite_engine, REFERENCE, window_size=2_000, reference_data=broken)
    setup.ingest(h.as_rows(STABLE.iloc[:2_000]))
    stats = Monitor(sqlite_engine, alerts=False).run_once()
    (window,) = _windows(sqlite_engine, setup.version_id)
    assert stats.errors == 0
    assert window.results["estimated"] is None
    assert "no label column" in window.results["skipped"]["estimated"]
    assert window.results["drift"] is not None
    assert window.results["volume"]["rows"] == 2_000


def test_concurrent_monitors_merge_every_batch_once(engine: Engine, h: Any) -> None:
    setup = h.make_version(engine, REFERENCE, window_size=3_000)
    rows = h.as_rows(STABLE)
    stop = threading.Event()
    monitors = [Monitor(engine, alerts=False, max_rows_per_step=1_500) for _ in range(2)]
    errors: list[BaseException] = []

    def loop(monitor: Monitor) -> None:
        try:
            while not stop.is_set():
                monitor.run_once()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(m,)) for m in monitors]
    for t in threads:
        t.start()
    try:
        setup.ingest(rows, batch_rows=500)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors
    monitors[0].run_once()
    windows = _windows(engine, setup.version_id)
    assert _unmerged(engine, setup.version_id) == 0
    assert [w.row_count for w in windows] == [3_000, 2_000]
    assert [DatasetProfile.from_bytes(w.profile).n_rows for w in windows] == [3_000, 2_000]
    assert all(not w.dirty for w in windows)
    assert sum(m.totals.errors for m in monitors) == 0
    one_shot = profile_rows(h.schema, rows.slice(0, 3_000))
    merged = DatasetProfile.from_bytes(windows[0].profile)
    for name in ("num_00", "num_07"):
        assert merged[name].count == one_shot[name].count
        assert merged[name].mean == pytest.approx(one_shot[name].mean, rel=1e-12)
    assert merged["cat_01"].frequencies() == one_shot["cat_01"].frequencies()


def test_start_and_stop_the_background_thread(sqlite_engine: Engine, h: Any) -> None:
    setup = h.make_version(sqlite_engine, REFERENCE, window_size=1_000)
    setup.ingest(h.as_rows(STABLE.iloc[:1_000]))
    monitor = Monitor(sqlite_engine, alerts=False, interval_seconds=0.05)
    monitor.start()
    monitor.start()  # idempotent
    try:
        for _ in range(400):
            if monitor.totals.windows_computed:
                break
            threading.Event().wait(0.05)
    finally:
        assert monitor.stop(timeout=30)
    assert not monitor.running
    assert monitor.totals.windows_computed == 1
    (window,) = _windows(sqlite_engine, setup.version_id)
    assert window.status == "closed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval_seconds": -1}, "interval_seconds"),
        ({"grace_seconds": "x"}, "grace_seconds"),
        ({"min_labels": 0}, "min_labels"),
        ({"max_rows_per_step": 1.5}, "max_rows_per_step"),
    ],
)
def test_bad_options_are_parameter_errors(
    sqlite_engine: Engine, kwargs: dict[str, Any], message: str
) -> None:
    from driftline.exceptions import ParameterError

    with pytest.raises(ParameterError, match=message):
        Monitor(sqlite_engine, **kwargs)
