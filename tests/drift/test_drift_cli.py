"""``driftline drift``: exit codes for findings and for data too small; CLI words in errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import numpy as np
import pandas as pd

RunCli = Callable[..., CompletedProcess[str]]


def _pair(tmp_path: Path) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"age": rng.normal(40, 9, 800), "plan": rng.choice(["a", "b"], 800)})
    cur = pd.DataFrame({"age": rng.normal(40, 9, 800), "plan": rng.choice(["a", "b"], 800)})
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return "ref.parquet", "cur.csv"


def test_a_kind_change_is_a_finding_exit_1(run_cli: RunCli, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"x": rng.integers(0, 9, 300)}).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"x": rng.choice(["A", "B"], 300)}).to_csv(tmp_path / "c.csv", index=False)
    result = run_cli("drift", "r.csv", "c.csv")
    assert result.returncode == 1, result.stderr  # was 2: "no column could be tested"
    assert "x: kind changed: numeric -> categorical" in result.stdout


def test_too_little_data_is_not_all_clear(run_cli: RunCli, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pd.DataFrame({"x": rng.normal(size=12)}).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"x": rng.normal(5, 1, 12)}).to_csv(tmp_path / "c.csv", index=False)
    result = run_cli("drift", "r.csv", "c.csv", "--json", "--html", "small.html")
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "not_enough_data"
    assert payload["drifted"] is None
    assert result.stderr.startswith("error: No column could be tested for drift. Not enough data")
    assert (tmp_path / "small.html").exists()


def test_unknown_exclude_warns_in_cli_words(run_cli: RunCli, tmp_path: Path) -> None:
    ref, cur = _pair(tmp_path)
    result = run_cli("drift", ref, cur, "--exclude", "agee")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        "warning: --exclude agee: the reference file has no such column (did you mean 'age'?); "
        "nothing was excluded for it."
    )


def test_errors_speak_cli_words(run_cli: RunCli, tmp_path: Path) -> None:
    ref, cur = _pair(tmp_path)
    unknown = run_cli("drift", ref, cur, "--columns", "agee")
    assert unknown.returncode == 2
    assert "--columns names column(s) ['agee']" in unknown.stderr
    assert "did you mean 'age'?" in unknown.stderr
    pd.read_csv(tmp_path / cur).drop(columns="plan").to_csv(tmp_path / "less.csv", index=False)
    lacking = run_cli("drift", ref, "less.csv")
    assert lacking.returncode == 2
    assert "use --columns/--exclude to compare a subset" in lacking.stderr
    assert "DriftDetector" not in lacking.stderr
    assert "columns=[" not in lacking.stderr


def test_chunks_by_period_from_the_shell(run_cli: RunCli, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=3_000)})
    days = pd.Timestamp("2024-03-04") + pd.to_timedelta(rng.uniform(0, 21 * 86400, 3_000), "s")
    x = rng.normal(size=3_000) + np.where(days >= pd.Timestamp("2024-03-18"), 0.8, 0.0)
    ref.to_parquet(tmp_path / "ref.parquet")
    pd.DataFrame({"ts": days, "x": x}).to_parquet(tmp_path / "cur.parquet")
    result = run_cli(
        "drift", "ref.parquet", "cur.parquet", "--timestamp", "ts", "--chunk-period", "W", "--json"
    )
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert [c["label"] for c in payload["chunks"]] == ["2024-W10", "2024-W11", "2024-W12"]
    assert [c["status"] for c in payload["chunks"]] == ["no_drift", "no_drift", "drift"]
    missing = run_cli(
        "drift", "ref.parquet", "cur.parquet", "--timestamp", "when", "--chunk-period", "W"
    )
    assert missing.returncode == 2
    assert "--timestamp when: the current file has no such column" in missing.stderr
    no_ts = run_cli("drift", "ref.parquet", "cur.parquet", "--chunk-period", "W")
    assert no_ts.returncode == 2
