"""Fair scheduling: one tenant's backlog or poisoned windows cannot starve another's."""

from __future__ import annotations

import importlib.util
import logging
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from driftline.monitor import Monitor
from driftline.monitor._schedule import fair_shares, plan_pass
from driftline.store import Catalog, PredictionStore, session_factory

# The helpers of test_quarantine (test modules are not importable as a package here).
_spec = importlib.util.spec_from_file_location(
    "_driftline_monitor_quarantine_helpers", Path(__file__).with_name("test_quarantine.py")
)
assert _spec is not None
assert _spec.loader is not None
_helpers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _helpers
_spec.loader.exec_module(_helpers)
SCHEMA, make_version, poison, rows = (
    _helpers.SCHEMA,
    _helpers.make_version,
    _helpers.poison,
    _helpers.rows,
)

NOW = datetime(2026, 5, 10, tzinfo=UTC)


@given(
    demands=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 50), max_size=8),
    capacity=st.integers(0, 120),
    offset=st.integers(0, 10),
)
def test_fair_shares_are_max_min_fair(demands: dict[str, int], capacity: int, offset: int) -> None:
    shares = fair_shares(demands, capacity, offset=offset)
    assert set(shares) == set(demands)
    assert sum(shares.values()) == min(capacity, sum(demands.values()))
    for key, share in shares.items():
        assert 0 <= share <= demands[key]
        if share < demands[key]:  # held back: nobody got more than one slot more than it
            assert all(other <= share + 1 for other in shares.values())
    order = list(shares)
    assert [demands[k] for k in order] == sorted(demands[k] for k in order)


def _version_in(engine: Engine, project_id: str, name: str) -> str:
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(project_id, name)
        return catalog.create_version(model.id, "1", SCHEMA, window_size=3_600).id


def test_a_pass_shares_its_slots_between_projects_then_versions(sqlite_engine: Engine) -> None:
    store = PredictionStore(sqlite_engine)
    big_a = make_version(sqlite_engine)  # project A: two versions with 60 windows each
    with session_factory(sqlite_engine)() as session:
        from driftline.store import Model, ModelVersion

        version = session.get(ModelVersion, big_a)
        assert version is not None
        model = session.get(Model, version.model_id)
        assert model is not None
        project_a = model.project_id
    big_b = _version_in(sqlite_engine, project_a, "second")
    small = make_version(sqlite_engine)  # project B: 3 windows
    tiny = make_version(sqlite_engine)  # project C: 1 window
    for version_id, n in ((big_a, 60), (big_b, 60), (small, 3), (tiny, 1)):
        store.ingest_batch(version_id, rows(n))
    windows = {v: {w.id for w in store.windows(v)} for v in (big_a, big_b, small, tiny)}
    with sqlite_engine.connect() as conn:
        plan = plan_pass(conn, NOW, grace_seconds=60.0, limit=20)
    assert (plan.due, len(plan.window_ids), plan.deferred) == (124, 20, 104)
    chosen = set(plan.window_ids)
    assert windows[tiny] <= chosen
    assert windows[small] <= chosen
    assert len(windows[big_a] & chosen) == len(windows[big_b] & chosen) == 8
    # round-robin, the smallest demands first in each round: C, B, A; then B, A; ...
    owner = {w: v for v, ids in windows.items() for w in ids}
    names = {tiny: "C", small: "B", big_a: "A", big_b: "A"}
    assert "".join(names[owner[w]] for w in plan.window_ids[:9]) == "CBABABAAA"
    # within A, its two versions take turns
    a_versions = [owner[w] for w in plan.window_ids if names[owner[w]] == "A"]
    assert a_versions[0::2] == [a_versions[0]] * 8
    assert a_versions[1::2] == [a_versions[1]] * 8
    # A's oldest windows first
    oldest = sorted(w.id for w in store.windows(big_a))[:8]
    assert sorted(windows[big_a] & chosen) == oldest


def _seconds_until_computed(
    store: PredictionStore, version_id: str, key: int, timeout: float
) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        for w in store.windows(version_id):
            if w.window_key == key and w.computed_at is not None and not w.dirty:
                return time.perf_counter() - started
        time.sleep(0.05)
    return math.inf


def _start(engine: Engine) -> Monitor:
    monitor = Monitor(engine, alerts=False, interval_seconds=0.5, replan_seconds=1.0)
    monitor.start()
    return monitor


def test_a_tenant_with_a_thousand_poisoned_windows_does_not_starve_another(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    victim = make_version(engine)
    attacker = make_version(engine)
    store = PredictionStore(engine)

    def victim_window(day_index: int) -> int:
        start = _helpers.T0 + timedelta(days=day_index)
        store.ingest_batch(victim, rows(1, per_window=200, start=start))
        return int(start.timestamp()) * 1_000_000

    # Baseline: the victim alone.
    monitor = _start(engine)
    try:
        baseline = _seconds_until_computed(store, victim, victim_window(0), timeout=60.0)
    finally:
        assert monitor.stop()
    assert baseline < 60.0
    # The attack: 1,000 windows on which every merge fails (what profiles with
    # contradicting kinds did before uploads were checked).
    store.ingest_batch(attacker, rows(1_000, start=_helpers.T0 - timedelta(days=60)))
    poison(engine, attacker)
    with caplog.at_level(logging.WARNING, logger="driftline.monitor"):
        monitor = _start(engine)
        try:
            deadline = time.perf_counter() + 60.0
            while time.perf_counter() < deadline:  # wait until the monitor is busy failing
                if sum(w.failures > 0 for w in store.windows(attacker)) >= 20:
                    break
                time.sleep(0.05)
            attacked = _seconds_until_computed(store, victim, victim_window(1), timeout=90.0)
        finally:
            assert monitor.stop()
    failed = sum(w.failures > 0 for w in store.windows(attacker))
    assert failed >= 20
    # Normal time, plus at most one re-planning period and one interval.
    bound = baseline + monitor.replan_seconds + monitor.interval_seconds + 3.0
    assert attacked <= bound, (baseline, attacked, failed)
    records = [r for r in caplog.records if r.name == "driftline.monitor"]
    assert len(records) <= 12  # one line per failure, rate-limited: no traceback flood
    assert all(r.exc_info is None for r in records)


def test_a_long_pass_plans_again_and_serves_a_window_that_became_due(
    sqlite_engine: Engine,
) -> None:
    backlog = make_version(sqlite_engine)
    late = make_version(sqlite_engine)
    store = PredictionStore(sqlite_engine)
    store.ingest_batch(backlog, rows(30))
    monitor = Monitor(sqlite_engine, alerts=False, replan_seconds=1e-9)  # plan after each window
    order: list[str] = []
    process = monitor._worker.process

    def record(window_id: str, now: datetime, stats: object) -> str | None:
        order.append(window_id)
        if len(order) == 3:  # the late tenant's window becomes due during the pass
            store.ingest_batch(late, rows(1))
        return process(window_id, now, stats)  # type: ignore[arg-type]

    monitor._worker.process = record  # type: ignore[method-assign]
    stats = monitor.run_once()
    (late_window,) = store.windows(late)
    assert order[3] == late_window.id  # served at the next plan, not after the backlog
    assert (stats.windows_computed, stats.windows_deferred) == (31, 0)
    assert len(set(order)) == 31  # each window once per pass
