"""Restart safety: a crash anywhere in a pass neither skips nor repeats a batch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from driftline.monitor import Monitor
from driftline.monitor import _window as window_module
from driftline.profiles import DatasetProfile
from driftline.store import PredictionStore
from driftline.store import _windows as store_windows_module
from driftline.store._models import PredictionBatch
from driftline.testing import make_monitoring_data

REFERENCE, CURRENT = make_monitoring_data(20_000, seed=21)
ROWS = CURRENT.iloc[:5_000]


class CrashError(RuntimeError):
    """The injected failure (stands for a killed process: the transaction never commits)."""


def _state(engine: Engine, version_id: str) -> tuple[bytes, dict[str, Any], int]:
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
    return window.profile, window.results, int(unmerged)


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    out = dict(results)
    out.pop("volume")  # label delays depend on wall-clock time
    return out


@pytest.fixture
def one_shot(engine: Engine, h: Any) -> tuple[bytes, dict[str, Any]]:
    """The same rows folded by a monitor that never fails."""
    setup = h.make_version(engine, REFERENCE, window_size=5_000)
    setup.ingest(h.as_rows(ROWS))
    Monitor(engine, alerts=False, max_rows_per_step=1_000).run_once()
    profile, results, unmerged = _state(engine, setup.version_id)
    assert unmerged == 0
    return profile, results


@pytest.mark.parametrize(
    ("where", "after"),
    [
        ("mark", 0),  # the first step's transaction dies after updating the window
        ("mark", 2),  # two steps committed, the third dies
        ("mark", 4),  # the last step (with the results) dies
        ("profile", 3),  # dies while reading / profiling a batch
        ("results", 0),  # dies computing the results after every intermediate step
    ],
)
def test_a_crash_then_a_restart_matches_the_one_shot_computation(
    engine: Engine,
    h: Any,
    monkeypatch: pytest.MonkeyPatch,
    one_shot: tuple[bytes, dict[str, Any]],
    where: str,
    after: int,
) -> None:
    setup = h.make_version(engine, REFERENCE, window_size=5_000)
    setup.ingest(h.as_rows(ROWS))
    calls = {"n": 0}
    targets = {
        "mark": (store_windows_module, "_mark_batches"),
        "profile": (window_module, "profile_rows"),
        "results": (window_module, "compute_results"),
    }
    module, name = targets[where]
    original = getattr(module, name)

    def failing(*args: Any, **kwargs: Any) -> Any:
        if calls["n"] == after:
            calls["n"] += 1
            raise CrashError(f"injected at {where} #{after}")
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)
    crashed = Monitor(engine, alerts=False, max_rows_per_step=1_000)
    stats = crashed.run_once()
    assert stats.errors == 1
    profile, _, unmerged = _state(engine, setup.version_id)
    assert 0 < unmerged <= 5  # something is left to do
    if profile is not None:  # whatever committed is exactly the merged batches
        assert DatasetProfile.from_bytes(profile).n_rows == (5 - unmerged) * 1_000
    monkeypatch.setattr(module, name, original)
    restarted = Monitor(engine, alerts=False, max_rows_per_step=1_000)  # fresh caches
    restarted.run_once()
    profile, results, unmerged = _state(engine, setup.version_id)
    assert unmerged == 0
    assert DatasetProfile.from_bytes(profile).n_rows == 5_000  # nothing skipped or repeated
    assert profile == one_shot[0]  # byte for byte the one-shot profile
    assert _comparable(results) == _comparable(one_shot[1])
    assert restarted.run_once().windows_computed == 0
