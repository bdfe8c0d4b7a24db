"""Windows that keep failing: backoff, quarantine, quiet logs; bugs fail, data problems skip."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, update

from driftline.exceptions import InsufficientDataError
from driftline.monitor import Monitor
from driftline.monitor import _results as results_module
from driftline.profiles import profile
from driftline.store import (
    Catalog,
    PredictionStore,
    VersionSchema,
    Window,
    session_factory,
)

SCHEMA = VersionSchema({"x": "numeric"}, task="binary")
T0 = datetime(2026, 5, 4, tzinfo=UTC)


def make_version(engine: Engine, *, window_size: int = 3_600) -> str:
    """A version of its own project: one numeric feature, time windows, no reference."""
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project(f"tenant-{secrets.token_hex(6)}")
        model = catalog.create_model(project.id, "m")
        version = catalog.create_version(
            model.id, "1", SCHEMA, window_kind="time", window_size=window_size
        )
    return version.id


def rows(n_windows: int, *, per_window: int = 1, start: datetime = T0) -> pa.Table:
    """``per_window`` rows in each of ``n_windows`` consecutive hourly windows."""
    n = n_windows * per_window
    stamps = [start + timedelta(hours=i // per_window) for i in range(n)]
    return pa.table(
        {
            "x": np.random.default_rng(n).normal(size=n),
            "score": np.full(n, 0.5),
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        }
    )


def poison(engine: Engine, version_id: str) -> None:
    """Store a profile whose ``x`` is categorical in each window of the version, as a
    profile upload did before uploads were checked: every later merge fails."""
    bad = profile(pa.table({"x": ["a"]}), schema={"x": "categorical"}).to_bytes()
    with engine.begin() as conn:
        conn.execute(
            update(Window).where(Window.model_version_id == version_id).values(profile=bad)
        )


def test_a_failing_window_backs_off_is_quarantined_and_heals(sqlite_engine: Engine) -> None:
    version_id = make_version(sqlite_engine)
    store = PredictionStore(sqlite_engine)
    store.ingest_batch(version_id, rows(1))
    poison(sqlite_engine, version_id)
    now = [T0]
    monitor = Monitor(
        sqlite_engine,
        alerts=False,
        clock=lambda: now[0],
        retry_base_seconds=30,
        retry_max_seconds=100,
        quarantine_after=3,
    )

    def state() -> tuple[int, datetime | None, bool, str | None]:
        (w,) = store.windows(version_id)
        return w.failures, w.retry_at, w.quarantined, w.error

    expected = [  # (seconds after T0 of the pass, failures after it, retry after (s))
        (0, 1, 0),  # retried on the next pass
        (0, 2, 30),
        (30, 3, 60),  # quarantined from the third failure on
        (90, 4, 100),  # capped
        (190, 5, 100),
    ]
    for at, failures, wait in expected:
        for early in (at - 1, at) if at else (at,):
            now[0] = T0 + timedelta(seconds=early)
            stats = monitor.run_once()
            if early < at:  # not due yet: skipped
                assert (stats.windows_failed, stats.windows_computed) == (0, 0)
        assert (stats.windows_failed, stats.errors, stats.windows_computed) == (1, 1, 0)
        got_failures, retry_at, quarantined, error = state()
        assert got_failures == failures
        assert retry_at == now[0] + timedelta(seconds=wait)
        assert quarantined is (failures >= 3)
        assert error is not None
        assert error.startswith("SchemaMismatchError: Column 'x' is 'categorical'")
    # the cause is removed: the next attempt succeeds and clears the record
    with sqlite_engine.begin() as conn:
        conn.execute(update(Window).values(profile=None))
    now[0] = T0 + timedelta(seconds=290)
    stats = monitor.run_once()
    assert (stats.windows_computed, stats.windows_failed) == (1, 0)
    assert state() == (0, None, False, None)
    (w,) = store.windows(version_id)
    assert w.results["volume"]["rows"] == 1


def test_failures_log_one_rate_limited_line_and_tracebacks_only_at_debug(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    version_id = make_version(sqlite_engine)
    PredictionStore(sqlite_engine).ingest_batch(version_id, rows(40))
    poison(sqlite_engine, version_id)
    with caplog.at_level(logging.DEBUG, logger="driftline.monitor"):
        stats = Monitor(sqlite_engine, alerts=False).run_once()
    assert stats.windows_failed == 40
    mine = [r for r in caplog.records if r.name == "driftline.monitor"]
    warnings = [r for r in mine if r.levelno >= logging.WARNING]
    debug_tracebacks = [r for r in mine if r.levelno == logging.DEBUG and r.exc_info]
    assert 1 <= len(warnings) <= 10  # the burst; the other 30 are counted, not printed
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in warnings)
    assert "SchemaMismatchError" in warnings[0].getMessage()
    assert len(debug_tracebacks) == 40


def test_a_bug_fails_the_window_but_a_data_problem_is_a_skip(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_id = make_version(sqlite_engine)
    store = PredictionStore(sqlite_engine)
    store.ingest_batch(version_id, rows(1, per_window=50))
    monitor = Monitor(sqlite_engine, alerts=False)

    def bug(*args: object) -> None:
        raise KeyError("a bug in the quality part")

    monkeypatch.setattr(results_module, "quality_part", bug)
    stats = monitor.run_once()
    assert (stats.windows_computed, stats.windows_failed) == (0, 1)  # not a "skipped" part
    (w,) = store.windows(version_id)
    assert (w.failures, w.results, w.dirty) == (1, None, True)
    assert w.error is not None
    assert w.error.startswith("KeyError")

    def too_few(*args: object) -> None:
        raise InsufficientDataError("only 50 rows")

    monkeypatch.setattr(results_module, "quality_part", too_few)
    stats = monitor.run_once()
    assert (stats.windows_computed, stats.windows_failed) == (1, 0)
    (w,) = store.windows(version_id)
    assert w.failures == 0
    assert w.results["quality"] is None
    assert w.results["skipped"]["quality"] == "InsufficientDataError: only 50 rows"
    assert w.results["volume"]["rows"] == 50
