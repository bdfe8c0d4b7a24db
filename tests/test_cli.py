from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from driftline import __version__

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_version(run_cli: RunCli) -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"driftline {__version__}"


def test_help_lists_the_command_groups(run_cli: RunCli) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("quickstart", "profile", "drift", "evaluate", "estimate", "config"):
        assert command in result.stdout


def test_every_command_has_help(run_cli: RunCli) -> None:
    for args in (
        ["quickstart"], ["profile"], ["drift"], ["evaluate"], ["estimate"], ["config"],
        ["config", "show"],
    ):  # fmt: skip
        result = run_cli(*args, "--help")
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage:" in result.stdout


def test_usage_errors_exit_2(run_cli: RunCli) -> None:
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("quickstart", "--rows-per-week", "3").returncode == 2


def test_input_error_is_one_line_without_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("config", "show", env={"DRIFTLINE_CONFIG": str(tmp_path / "missing.yaml")})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: DRIFTLINE_CONFIG points to")


def test_debug_shows_the_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(
        "--debug", "config", "show", env={"DRIFTLINE_CONFIG": str(tmp_path / "missing.yaml")}
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_config_show_json(run_cli: RunCli) -> None:
    result = run_cli("config", "show", "--json", env={"DRIFTLINE_LOG_LEVEL": "error"})
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["settings"]["log_level"] == {
        "value": "error",
        "source": "env DRIFTLINE_LOG_LEVEL",
    }


def _write_pair(tmp_path: Path, *, drift: bool) -> tuple[str, str]:
    from driftline.testing import make_monitoring_data

    ref, cur = make_monitoring_data(3_000, drift=drift, seed=5)
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return "ref.parquet", "cur.csv"


def test_drift_exit_codes_and_json(run_cli: RunCli, tmp_path: Path) -> None:
    ref, cur = _write_pair(tmp_path, drift=True)
    features = ",".join([f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)])
    result = run_cli("drift", ref, cur, "--columns", features, "--json", "--html", "d.html")
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert sorted(payload["drifted_columns"]) == ["cat_02", "num_00", "num_05", "num_10", "num_15"]
    assert (tmp_path / "d.html").exists()
    text = run_cli("drift", ref, cur, "--columns", features)
    assert text.returncode == 1
    assert text.stdout.startswith("Drift: 5 of 25 columns drifted")


def test_drift_without_drift_exits_0(run_cli: RunCli, tmp_path: Path) -> None:
    ref, cur = _write_pair(tmp_path, drift=False)
    result = run_cli("drift", ref, cur, "--exclude", "target,proba,y_pred")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("No drift")


def test_drift_bad_input_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    ref, cur = _write_pair(tmp_path, drift=False)
    missing = run_cli("drift", ref, "missing.parquet")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: The current file 'missing.parquet' does not exist."
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    junk = run_cli("drift", ref, "junk.parquet")
    assert junk.returncode == 2
    assert "Traceback" not in junk.stderr
    unknown = run_cli("drift", ref, cur, "--columns", "nope")
    assert unknown.returncode == 2
    assert "nope" in unknown.stderr


def test_evaluate_with_slices(run_cli: RunCli, tmp_path: Path) -> None:
    ref, _ = _write_pair(tmp_path, drift=False)
    result = run_cli(
        "evaluate", ref, "--target", "target", "--score", "proba", "--slices", "cat_00", "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert 0.5 < payload["metrics"]["roc_auc"]["value"] < 1.0
    assert payload["worst_slices"]["metric"] == "accuracy"
    missing = run_cli("evaluate", ref, "--target", "nope", "--score", "proba")
    assert missing.returncode == 2
    assert "target column 'nope'" in missing.stderr


def test_estimate(run_cli: RunCli, tmp_path: Path) -> None:
    from driftline.testing import make_monitoring_data

    ref, cur = make_monitoring_data(20_000, drift=False, seed=11)
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.drop(columns=["target"]).to_parquet(tmp_path / "cur.parquet")
    args = ["estimate", "ref.parquet", "cur.parquet", "--score", "proba", "--target", "target"]
    result = run_cli(*args, "--chunk-size", "5000", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert len(payload["chunks"]) == 4
    text = run_cli(*args)
    assert text.returncode == 0
    assert text.stdout.startswith("CBPE (binary) over 10 chunks")
    bad = run_cli("estimate", "ref.parquet", "cur.parquet", "--score", "nope", "--target", "target")
    assert bad.returncode == 2
    assert "nope" in bad.stderr


def test_profile_saves_reloads_and_checks_quality(run_cli: RunCli, tmp_path: Path) -> None:
    import pandas as pd

    ref = pd.DataFrame({"x": range(1_000), "c": ["a", "b"] * 500})
    cur = pd.DataFrame({"x": [float(v) for v in range(1_000)], "c": ["a", "b", "z", "b"] * 250})
    cur.loc[:299, "x"] = None
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    saved = run_cli("profile", "ref.parquet", "--out", "ref.dlprof")
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.startswith("1,000 rows x 2 columns")
    checked = run_cli("profile", "cur.csv", "--reference", "ref.dlprof", "--json")
    assert checked.returncode == 1, checked.stderr
    findings = json.loads(checked.stdout)["quality"]["findings"]
    kinds = {(f["column"], f["kind"]) for f in findings}
    assert ("c", "new_category") in kinds
    assert ("x", "missing") in kinds
    clean = run_cli("profile", "ref.parquet", "--reference", "ref.dlprof")
    assert clean.returncode == 0, clean.stdout
    (tmp_path / "bad.csv").write_text("")
    bad = run_cli("profile", "bad.csv")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_evaluate_string_labels_and_bad_scores(run_cli: RunCli, tmp_path: Path) -> None:
    rows = ["y,p"] + [f"{'yes' if i % 3 else 'no'},{(i % 10) / 10}" for i in range(60)]
    (tmp_path / "lab.csv").write_text("\n".join(rows) + "\n")
    ok = run_cli("evaluate", "lab.csv", "--target", "y", "--score", "p", "--pos-label", "yes")
    assert ok.returncode == 0, ok.stderr
    no_label = run_cli("evaluate", "lab.csv", "--target", "y", "--score", "p")
    assert no_label.returncode == 2
    assert "pos_label" in no_label.stderr
    (tmp_path / "bad.csv").write_text("y,p\n1,0.2\n0,abc\n")
    bad = run_cli("evaluate", "bad.csv", "--target", "y", "--score", "p")
    assert bad.returncode == 2
    assert "The score column 'p' must hold numbers" in bad.stderr


def test_drift_with_nothing_testable_is_an_input_error(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("a,b\n1,2\n")
    result = run_cli("drift", "one.csv", "one.csv")
    assert result.returncode == 2
    assert result.stderr.startswith("error: No column could be tested for drift")
