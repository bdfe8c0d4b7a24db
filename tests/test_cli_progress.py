"""Progress on long work (issue 13.16): on standard error, on a terminal only.

Without a terminal (CI logs, pipes) and with ``--json`` nothing extra appears; with a
terminal (forced with ``DRIFTLINE_PROGRESS=1``, or an injected rich console) each step
is shown while it runs and as ``✓ step (s)`` when done; standard output is the same.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from driftline.cli._progress import Steps, progress_console

RunCli = Callable[..., subprocess.CompletedProcess[str]]
FORCED = {"DRIFTLINE_PROGRESS": "1"}


@pytest.fixture
def pair(tmp_path: Path) -> None:
    from driftline.testing import make_monitoring_data

    ref, cur = make_monitoring_data(2_000, drift=False, seed=2)
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)


def test_steps_on_an_injected_terminal_show_and_finish_each_step() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with Steps(console) as steps:
        with steps.step("read ref.parquet"):
            pass
        with steps.step("compare \x1b[2J 2,000 rows"):
            pass
    text = out.getvalue()
    assert "✓" in text
    assert "read ref.parquet" in text
    assert "\x1b[2J" not in text  # names from files are sanitized here too
    quiet = io.StringIO()
    with Steps(None) as steps, steps.step("x"):
        pass
    assert quiet.getvalue() == ""


def test_progress_console_follows_the_terminal_json_and_the_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DRIFTLINE_PROGRESS", raising=False)
    assert progress_console() is None  # pytest's stderr is not a terminal
    monkeypatch.setenv("DRIFTLINE_PROGRESS", "1")
    forced = progress_console()
    assert forced is not None
    assert forced.is_terminal
    assert progress_console(json_output=True) is None
    monkeypatch.setenv("DRIFTLINE_PROGRESS", "0")
    assert progress_console() is None


@pytest.mark.usefixtures("pair")
def test_without_a_terminal_nothing_extra_appears(run_cli: RunCli) -> None:
    for args in (
        ("drift", "ref.parquet", "cur.csv", "--exclude", "target,proba,y_pred"),
        ("profile", "cur.csv"),
    ):
        result = run_cli(*args)
        assert result.returncode in (0, 1), result.stderr
        assert result.stdout
        assert result.stderr == ""
        forced_json = run_cli(*args, "--json", env=FORCED)
        assert forced_json.stderr == ""


@pytest.mark.usefixtures("pair")
def test_on_a_terminal_every_long_command_shows_its_steps_on_stderr(run_cli: RunCli) -> None:
    runs = {
        ("drift", "ref.parquet", "cur.csv", "--exclude", "target,proba,y_pred"): [
            "✓ read ref.parquet", "✓ read cur.csv", "✓ fit the reference (2,000 rows)",
            "✓ compare 2,000 rows",
        ],
        ("profile", "cur.csv", "--reference", "ref.parquet"): [
            "✓ profile cur.csv", "✓ profile ref.parquet", "✓ check quality",
        ],
        ("estimate", "ref.parquet", "cur.csv", "--score", "proba", "--target", "target"): [
            "✓ read ref.parquet", "✓ fit CBPE on 2,000 rows", "✓ estimate 2,000 rows",
        ],
        ("evaluate", "cur.csv", "--target", "target", "--score", "proba", "--html", "e.html"): [
            "✓ read cur.csv", "✓ evaluate 2,000 rows", "✓ write e.html",
        ],
    }  # fmt: skip
    for args, expected in runs.items():
        plain = run_cli(*args)
        shown = run_cli(*args, env=FORCED)
        assert shown.returncode == plain.returncode, shown.stderr
        assert shown.stdout == plain.stdout  # standard output stays the result
        for step in expected:
            assert step in shown.stderr, (args, step, shown.stderr)
