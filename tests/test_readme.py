"""The README's commands are the ones CI runs, and its CLI examples really run.

Its Python examples run as doctests (``--doctest-glob='*.md'``).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    block = ci.split("# README-TEST-COMMAND-BEGIN\n", 1)[1].split("# README-TEST-COMMAND-END", 1)[0]
    command = block.strip()
    assert "\n" not in command
    assert f"   {command}\n" in README, "README step 2 must be the command .ci/run runs"


def test_readme_first_command_runs_the_quickstart() -> None:
    assert ".venv/bin/driftline quickstart" in README


def test_readme_console_examples_run(
    run_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)
    commands = [
        line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")
    ]
    assert commands, "the README has no CLI example"
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "driftline"
        result = run_cli(*args[1:])
        assert result.returncode in (0, 1), (command, result.stderr)
