"""``driftline gate run|init`` through the Typer app, on a real model pair."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from driftline.cli._gate_cmd import gate_app
from driftline.exceptions import ParameterError, PolicyError
from driftline.gate import MARKDOWN_MARKER, Policy

from .conftest import FEATURES, fit_model, make_churn

POLICY = """\
name: churn gate
target: churned
n_resamples: 300
checks:
  - kind: metric
    metric: roc_auc
    min: 0.75
  - kind: champion
    metric: roc_auc
    margin: 0.02
  - kind: data_contract
    columns:
      age: {type: numeric, min: 18, max: 90}
  - kind: drift
    severity: warn
  - kind: artifact_size
    max_mb: 10
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: Any) -> dict[str, Path]:
    """Champion trained on old data; a good candidate on fresh data; a bad candidate that
    lost the age and tenure features."""
    import skops.io as sio

    d = tmp_path_factory.mktemp("cli")
    old, fresh, ev = make_churn(3000, 10), make_churn(3000, 11), make_churn(2000, 12)
    paths = {n: d / f"{n}.skops" for n in ("champion", "good", "bad")}
    sio.dump(fit_model(old, FEATURES), paths["champion"])
    sio.dump(fit_model(fresh, FEATURES), paths["good"])
    sio.dump(fit_model(fresh, ["plan", "gender"]), paths["bad"])
    paths["data"] = d / "eval.parquet"
    ev.to_parquet(paths["data"])
    paths["train"] = d / "train.csv"
    fresh.to_csv(paths["train"], index=False)
    paths["policy"] = d / "gate.yaml"
    paths["policy"].write_text(POLICY)
    return paths


def _args(ws: dict[str, Path], candidate: str, *extra: str) -> list[str]:
    return ["run", "--policy", str(ws["policy"]), "--candidate", str(ws[candidate]),
            "--champion", str(ws["champion"]), "--data", str(ws["data"]),
            "--train-data", str(ws["train"]), *extra]  # fmt: skip


def test_good_candidate_passes(workspace: dict[str, Path], tmp_path: Path) -> None:
    md, junit, html = tmp_path / "c.md", tmp_path / "j.xml", tmp_path / "r.html"
    res = runner.invoke(gate_app, _args(workspace, "good", "--markdown", str(md),
                                        "--junit", str(junit), "--html", str(html)))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "driftline gate: PASS" in res.output
    assert md.read_text().startswith(MARKDOWN_MARKER)
    assert len(ET.parse(junit).getroot().findall("./testsuite/testcase")) == 5
    assert html.read_text().startswith("<!doctype html>")


def test_bad_candidate_fails_on_the_champion_comparison(workspace: dict[str, Path]) -> None:
    res = runner.invoke(gate_app, _args(workspace, "bad", "--json"))
    assert res.exit_code == 1
    report = json.loads(res.stdout)
    assert report["verdict"] == "fail"
    failed = [c["name"] for c in report["checks"] if c["status"] == "fail"]
    # without age and tenure the ROC AUC drops far below the champion's and below 0.75
    assert failed == ["roc_auc >= 0.75", "roc_auc >= champion - 0.02"]
    champ = report["checks"][1]
    assert champ["details"]["bound"] < -0.02


def test_policy_error_propagates_for_main_to_report(workspace: dict[str, Path],
                                                    tmp_path: Path) -> None:  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("target: churned\nchecks:\n  - kind: metric\n    metric: auc\n    min: 1\n")
    args = _args(workspace, "good")
    args[2] = str(bad)
    res = runner.invoke(gate_app, args)
    assert isinstance(res.exception, PolicyError)
    assert "line 4, checks[0].metric" in str(res.exception)


def test_init_writes_valid_policy_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "driftline-gate.yaml"
    res = runner.invoke(gate_app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    assert Policy.from_yaml(target.read_text()).checks
    target.write_text("# mine\n")
    res = runner.invoke(gate_app, ["init", str(target)])
    assert isinstance(res.exception, ParameterError)
    assert target.read_text() == "# mine\n"
    res = runner.invoke(gate_app, ["init", str(target), "--force"])
    assert res.exit_code == 0
    assert "kind: champion" in target.read_text()


def test_allow_pickle_flag(workspace: dict[str, Path], tmp_path: Path) -> None:
    import pickle

    import skops.io as sio

    model = sio.load(
        workspace["good"], trusted=sio.get_untrusted_types(file=str(workspace["good"]))
    )
    pkl = tmp_path / "good.pkl"
    pkl.write_bytes(pickle.dumps(model))
    args = ["run", "--policy", str(workspace["policy"]), "--candidate", str(pkl),
            "--champion", str(workspace["champion"]), "--data", str(workspace["data"]),
            "--train-data", str(workspace["train"])]  # fmt: skip
    res = runner.invoke(gate_app, args)
    assert res.exception is not None
    assert "allow_pickle" in str(res.exception)
    res = runner.invoke(gate_app, [*args, "--allow-pickle", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["inputs"]["allow_pickle"] is True
