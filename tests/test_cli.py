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
    for command in ("quickstart", "config"):
        assert command in result.stdout


def test_every_command_has_help(run_cli: RunCli) -> None:
    for args in (["quickstart"], ["config"], ["config", "show"]):
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
