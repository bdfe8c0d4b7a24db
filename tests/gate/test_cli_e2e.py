"""End to end: ``python -m driftline gate run`` on a real model pair, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FEATURES, fit_model, make_churn

POLICY = """\
name: e2e gate
target: churned
n_resamples: 300
checks:
  - kind: metric
    metric: roc_auc
    min: 0.75
  - kind: champion
    metric: roc_auc
    margin: 0.02
  - kind: calibration
    max_ece: 0.08
    severity: warn
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "driftline", *args], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def registered() -> None:
    if _cli("gate", "--help").returncode != 0:
        pytest.skip("gate not registered")


def test_gate_end_to_end(registered: None, tmp_path: Path) -> None:
    import skops.io as sio

    old, fresh, ev = make_churn(3000, 20), make_churn(3000, 21), make_churn(2000, 22)
    sio.dump(fit_model(old, FEATURES), tmp_path / "champion.skops")
    sio.dump(fit_model(fresh, FEATURES), tmp_path / "good.skops")
    # the bad candidate lost the age and tenure features: its ROC AUC drops well below
    # the champion's, so "roc_auc >= champion - 0.02" fails on the paired DeLong bound
    sio.dump(fit_model(fresh, ["plan", "gender"]), tmp_path / "bad.skops")
    ev.to_parquet(tmp_path / "eval.parquet")
    (tmp_path / "gate.yaml").write_text(POLICY)

    def gate(candidate: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return _cli("gate", "run", "--policy", str(tmp_path / "gate.yaml"),
                    "--candidate", str(tmp_path / candidate),
                    "--champion", str(tmp_path / "champion.skops"),
                    "--data", str(tmp_path / "eval.parquet"), *extra)  # fmt: skip

    good = gate("good.skops", "--markdown", str(tmp_path / "comment.md"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert (tmp_path / "comment.md").read_text().startswith("<!-- driftline-gate -->")
    bad = gate("bad.skops", "--json")
    assert bad.returncode == 1, bad.stderr
    report = json.loads(bad.stdout)
    failed = {c["name"] for c in report["checks"] if c["status"] == "fail"}
    assert "roc_auc >= champion - 0.02" in failed
    broken = gate("missing.skops")
    assert broken.returncode == 2
    assert broken.stderr.strip().count("\n") == 0  # one line
    init = _cli("gate", "init", str(tmp_path / "gate.yaml"))
    assert init.returncode == 2  # refuses to overwrite
