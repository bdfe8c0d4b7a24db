"""A check that cannot be decided is "not evaluated", never a pass.

Before: the slices check PASSed when no slice had ``min_support`` rows, a metric check on
an undefined metric compared 0.0 with its threshold, and the leakage check PASSed when no
feature could be scored.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from driftline.cli._gate_cmd import gate_app
from driftline.gate import GateReport, run

from .conftest import FixedScores


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 300
    p = rng.uniform(0.05, 0.45, n)  # every score below the threshold: nothing predicted positive
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"x": rng.normal(size=n), "y": y}), p


def _gate(checks: list[Any], data: pd.DataFrame, scores: np.ndarray, **policy: Any) -> GateReport:
    return run({"target": "y", "n_resamples": 200, "checks": checks, **policy},
               candidate=FixedScores(scores), data=data)  # fmt: skip


def test_slices_without_a_large_enough_slice_are_not_evaluated(small: Any) -> None:
    df, p = small
    rep = _gate([{"kind": "slices", "metric": "accuracy", "min_support": 1000, "min_value": 0.9},
                 "roc_auc >= 0.5"], df, p)  # fmt: skip
    sl = rep.checks[0]
    assert sl.status == "not_evaluated"
    assert sl.reason.startswith("not evaluated: no slice has 1000 rows")
    assert sl.observed is None
    assert rep.verdict == "warn"
    assert rep.passed
    assert rep.counts["not_evaluated"] == 1
    assert rep.headline().endswith("0 failed, 1 not evaluated)")
    assert any("could not be evaluated" in n for n in rep.notes)
    strict = _gate([{"kind": "slices", "metric": "accuracy", "min_support": 1000,
                     "min_value": 0.9}], df, p, on_not_evaluated="fail")  # fmt: skip
    assert strict.verdict == "fail"
    assert strict.checks[0].status == "not_evaluated"


def test_undefined_metric_and_unscorable_features_are_not_evaluated(small: Any) -> None:
    df, p = small
    rep = _gate(["precision >= 0.5"], df, p)
    prec = rep.checks[0]
    assert prec.status == "not_evaluated"
    assert "no row is predicted positive" in prec.reason
    assert prec.to_dict()["observed"] is None
    leak = _gate([{"kind": "target_leakage"}], df.assign(y=0), p).checks[0]  # one class
    assert leak.status == "not_evaluated"
    assert "no feature could be scored" in leak.reason
    json.dumps(rep.to_dict(), allow_nan=False)


def test_reports_and_exit_codes(small: Any, tmp_path: Path) -> None:
    df, p = small
    df.assign(score=p).to_csv(tmp_path / "eval.csv", index=False)
    df.assign(score=p)[["score"]].to_csv(tmp_path / "pred.csv", index=False)
    policy = tmp_path / "gate.yaml"
    body = ("target: y\nexclude: [score]\nchecks:\n  - roc_auc >= 0.5\n  - kind: slices\n"
            "    min_support: 1000\n    min_value: 0.9\n")  # fmt: skip
    policy.write_text(body)
    args = ["run", "--policy", str(policy), "--candidate", str(tmp_path / "pred.csv"),
            "--data", str(tmp_path / "eval.csv"), "--junit", str(tmp_path / "j.xml"),
            "--markdown", str(tmp_path / "c.md")]  # fmt: skip
    res = CliRunner().invoke(gate_app, args)
    assert res.exit_code == 0, res.output
    assert "NOT" in res.output  # the status column (the table folds it on narrow terminals)
    assert "WARN (1 passed, 0 warnings, 0 failed, 1 not evaluated)" in res.output
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("skipped") == "1"
    assert suite.get("failures") == "0"
    skipped = suite.findall("./testcase/skipped")
    assert len(skipped) == 1
    assert skipped[0].get("message", "").startswith("not evaluated: no slice")
    assert "⏭️ not_evaluated" in (tmp_path / "c.md").read_text(encoding="utf-8")
    policy.write_text(body + "on_not_evaluated: fail\n")
    strict = CliRunner().invoke(gate_app, [*args, "--json"])
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["verdict"] == "fail"
