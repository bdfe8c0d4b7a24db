"""Several monitors on one PostgreSQL database share the windows without double work."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.monitor import Monitor, MonitorStats
from driftline.store import PredictionStore
from driftline.testing import make_monitoring_data

REFERENCE, CURRENT = make_monitoring_data(12_000, seed=21)


def _claim(engine: Engine, window_id: str) -> Any:
    from driftline.monitor._claims import claim  # the monitor's own claim, held by "another"

    return claim(engine, window_id)


@pytest.mark.postgres
def test_a_window_held_by_another_monitor_is_skipped_then_computed(
    new_database_url: Any, h: Any
) -> None:
    from driftline.store import create_engine_from_url, migrate

    engine = create_engine_from_url(new_database_url("postgres"))
    migrate(engine)
    try:
        setup = h.make_version(engine, REFERENCE, window_size=500)
        setup.ingest(h.as_rows(CURRENT.iloc[:1_500]), batch_rows=250)
        windows = PredictionStore(engine).windows(setup.version_id)
        assert len(windows) == 3
        held = windows[1].id
        with _claim(engine, held) as mine:
            assert mine
            with _claim(engine, held) as again:
                assert not again  # never waits: a held window is someone else's
            stats = Monitor(engine, alerts=False).run_once()
        assert (stats.windows_computed, stats.windows_skipped, stats.conflicts) == (2, 1, 0)
        stats = Monitor(engine, alerts=False).run_once()
        assert (stats.windows_computed, stats.windows_skipped) == (1, 0)
        done = PredictionStore(engine).windows(setup.version_id)
        assert all(w.status == "closed" and w.results for w in done)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_monitors_compute_each_window_once(new_database_url: Any, h: Any) -> None:
    from driftline.store import create_engine_from_url, migrate

    engine = create_engine_from_url(new_database_url("postgres"))
    migrate(engine)
    try:
        setup = h.make_version(engine, REFERENCE, window_size=500)
        setup.ingest(h.as_rows(CURRENT.iloc[:4_000]), batch_rows=250)
        monitors = [Monitor(engine, alerts=False) for _ in range(2)]
        results: list[MonitorStats] = []
        start = threading.Barrier(2)

        def run(monitor: Monitor) -> None:
            start.wait()
            results.append(monitor.run_once())

        threads = [threading.Thread(target=run, args=(m,)) for m in monitors]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(results) == 2
        computed = sum(s.windows_computed for s in results)
        assert computed == 8, [s.to_dict() for s in results]
        assert sum(s.conflicts for s in results) == 0
        assert sum(s.errors for s in results) == 0
        assert sum(s.rows_merged for s in results) == 4_000
        windows = PredictionStore(engine).windows(setup.version_id)
        assert all(w.status == "closed" and w.results for w in windows)
        # a third pass finds nothing left to do
        assert Monitor(engine, alerts=False).run_once().windows_computed == 0
    finally:
        engine.dispose()
