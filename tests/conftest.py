from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``driftline`` command line in a subprocess, in ``tmp_path``."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", **(env or {})}
        full_env.pop("DRIFTLINE_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "driftline", *args],
            cwd=tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run
