"""A tiny run of simulations/streaming.py, so the committed simulation cannot rot."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def simulation(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("simulations.streaming")


def test_tiny_simulation_runs_and_prints_both_tables(
    simulation: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--runs", "3", "--length", "1500", "--change-at", "300", "--horizon", "600"]
    assert simulation.main([*argv, "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("| ADWIN |") == 5
    assert "MTBFA (values)" in out
    assert "missed" in out


def test_tiny_simulation_results_are_sane_and_independent_of_workers(
    simulation: ModuleType,
) -> None:
    kwargs = {"runs": 4, "length": 2000, "change_at": 400, "horizon": 800, "seed": 1}
    fa, dl = simulation.run(workers=1, **kwargs)
    assert len(fa) == 4 * 2
    assert len(dl) == 4 * 3
    for r in fa:
        assert r.alarms >= 0
        assert math.isinf(r.mtbfa) == (r.alarms == 0)
    for d in dl:
        assert all(1 <= v <= 800 for v in d.delays)
        assert 0.0 <= d.missed_rate <= 1.0
    by_name = {(d.detector, d.scenario): d for d in dl}
    assert by_name["CUSUM", "N(0,1) -> mean +1 sd"].median_delay < 100
    assert simulation.run(workers=2, **kwargs) == (fa, dl)


def test_tiny_calibration_grid_runs(
    simulation: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--grid", "--runs", "2", "--length", "1000", "--change-at", "400", "--horizon", "500"]
    assert simulation.main([*argv, "--workers", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + sum(len(settings) for settings in simulation.GRID.values())
    assert "| CUSUM | h=8 |" in "\n".join(rows)
