"""Restart safety, as a property: any batch sizes, step size and crash point."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update

from driftline.monitor import Monitor
from driftline.profiles import DatasetProfile
from driftline.store import PredictionStore, Window
from driftline.store import _windows as store_windows_module
from driftline.store._models import PredictionBatch
from driftline.testing import make_monitoring_data

ROWS = make_monitoring_data(3_000, seed=22)[1]


class CrashError(RuntimeError):
    """The injected failure (the transaction never commits)."""


def _profile_and_unmerged(engine: Engine, version_id: str) -> tuple[bytes, int]:
    (window,) = PredictionStore(engine).windows(version_id)
    with engine.connect() as conn:
        unmerged = conn.execute(
            select(func.count())
            .select_from(PredictionBatch)
            .where(
                PredictionBatch.model_version_id == version_id,
                PredictionBatch.profiled_at.is_(None),
            )
        ).scalar_one()
    return window.profile, int(unmerged)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=6),
    step=st.integers(1, 900),
    crash_at=st.integers(0, 6),
)
def test_property_fold_with_a_crash_equals_the_one_shot_fold(
    tmp_path_factory: pytest.TempPathFactory,
    h: Any,
    sizes: list[int],
    step: int,
    crash_at: int,
) -> None:
    from driftline.store import create_engine_from_url, migrate

    engine = create_engine_from_url(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}")
    migrate(engine)
    total = sum(sizes)
    rows = h.as_rows(ROWS.iloc[:total])
    versions = []
    for _ in range(2):
        setup = h.make_version(engine, None, window_size=10_000)
        offset = 0
        for n in sizes:
            setup.store.ingest_batch(setup.version_id, rows.slice(offset, n))
            offset += n
        versions.append(setup.version_id)
    Monitor(engine, alerts=False, max_rows_per_step=step).run_once()  # folds both versions
    reference_profile = _profile_and_unmerged(engine, versions[0])[0]
    # redo the second version with a crash at step ``crash_at``
    with engine.begin() as conn:
        conn.execute(
            update(PredictionBatch)
            .where(PredictionBatch.model_version_id == versions[1])
            .values(profiled_at=None)
        )
        conn.execute(
            update(Window)
            .where(Window.model_version_id == versions[1])
            .values(profile=None, dirty=True, results=None)
        )
    original = store_windows_module._mark_batches
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == crash_at + 1:
            raise CrashError("injected")
        original(*args, **kwargs)

    store_windows_module._mark_batches = failing  # type: ignore[assignment]
    try:
        Monitor(engine, alerts=False, max_rows_per_step=step).run_once()
    finally:
        store_windows_module._mark_batches = original
    Monitor(engine, alerts=False, max_rows_per_step=step).run_once()
    profile, unmerged = _profile_and_unmerged(engine, versions[1])
    assert unmerged == 0
    assert DatasetProfile.from_bytes(profile).n_rows == total
    assert profile == reference_profile
    engine.dispose()
