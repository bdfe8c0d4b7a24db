"""Every ``--json`` output has one documented, versioned JSON Schema (issue 13.19).

Real outputs of every command are validated against the schemas shipped in
``driftline/cli/schemas``; ``profile --json`` has one shape with or without
``--reference``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from driftline.cli._schemas import SCHEMAS, load_schema

from .test_cli_messages import cli

POLICY = """\
name: schemas
target: target
candidate_column: proba
checks:
  - kind: metric
    metric: roc_auc
    min: 0.6
  - kind: drift
    severity: warn
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Run every command that prints JSON, in several variants; parse what it printed."""
    from driftline.testing import make_monitoring_data

    root = tmp_path_factory.mktemp("schemas")
    ref, cur = make_monitoring_data(2_000, drift=True, seed=4)
    ref.to_csv(root / "ref.csv", index=False)
    cur.to_csv(root / "cur.csv", index=False)
    cur.drop(columns=["target"]).to_parquet(root / "nolabels.parquet")
    cur[["proba"]].to_csv(root / "pred.csv", index=False)
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], 400)
    labels = rng.integers(0, 3, 400)
    pd.DataFrame({"y": labels, "a": proba[:, 0], "b": proba[:, 1], "c": proba[:, 2]}).assign(
        y=lambda f: np.array(["a", "b", "c"])[f["y"]]
    ).to_csv(root / "multi.csv", index=False)
    pd.DataFrame({"y": rng.normal(size=300), "p": rng.normal(size=300)}).to_csv(
        root / "reg.csv", index=False
    )
    (root / "policy.yaml").write_text(POLICY)
    db = f"sqlite:///{root / 'store.db'}"
    runs: dict[str, list[tuple[str, ...]]] = {
        "profile": [
            ("profile", "cur.csv", "--json"),
            ("profile", "cur.csv", "--reference", "ref.csv", "--json"),
        ],
        "drift": [
            ("drift", "ref.csv", "cur.csv", "--json"),
            ("drift", "ref.csv", "cur.csv", "--json", "--chunk-size", "500"),
        ],
        "evaluate": [
            ("evaluate", "cur.csv", "--target", "target", "--score", "proba", "--slices",
             "cat_00", "--json"),
            ("evaluate", "multi.csv", "--target", "y", "--score", "a,b,c", "--task",
             "multiclass", "--json"),
            ("evaluate", "reg.csv", "--target", "y", "--pred", "p", "--task", "regression",
             "--json"),
        ],
        "estimate": [
            ("estimate", "ref.csv", "cur.csv", "--score", "proba", "--target", "target", "--json"),
            ("estimate", "ref.csv", "nolabels.parquet", "--score", "proba", "--target", "target",
             "--json"),
        ],
        "gate": [
            ("gate", "run", "--policy", "policy.yaml", "--candidate", "pred.csv", "--data",
             "cur.csv", "--train-data", "ref.csv", "--json"),
        ],
        "config": [("config", "show", "--json")],
        "token": [
            ("project", "create", "demo", "--database-url", db, "--json"),
            ("token", "create", "--project", "demo", "--database-url", db, "--json"),
        ],
        "monitor": [("monitor", "--once", "--database-url", db)],
        "audit-verify": [("audit", "verify", "--database-url", db, "--json")],
        "audit-export": [
            ("audit", "export", "--database-url", db),
            ("audit", "export", "--database-url", db, "--project", "demo", "--no-proofs"),
        ],
        "quickstart": [("quickstart", "--rows-per-week", "100", "--out", "qs", "--json")],
    }  # fmt: skip
    found: dict[str, list[dict[str, Any]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for name, variants in runs.items():
            found[name] = []
            for args in variants:
                found[name].append(_run_json(args))
    return found


def _run_json(args: tuple[str, ...]) -> dict[str, Any]:
    """Run ``driftline ARGS`` in this process and parse its standard output."""
    import contextlib
    import io

    from driftline.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exited,
    ):
        main(list(args))
    assert exited.value.code in (0, 1, None), (args, err.getvalue())
    payload: dict[str, Any] = json.loads(out.getvalue())
    return payload


def test_every_schema_is_a_valid_json_schema_with_a_versioned_id() -> None:
    ids = set()
    for name in SCHEMAS:
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        version = schema["properties"]["schema_version"]["const"]
        assert schema["$id"].endswith(f"/{name}.v{version}.json")
        assert schema["properties"]["$schema"]["const"] == schema["$id"]
        ids.add(schema["$id"])
    assert len(ids) == len(SCHEMAS)
    schemas = Path(__file__).parents[1] / "src" / "driftline" / "cli" / "schemas"
    assert sorted(p.stem for p in schemas.glob("*.json")) == sorted(SCHEMAS)


def _json_commands() -> list[str]:
    """``driftline ... --json`` for every command of the app that has a --json option."""
    import typer

    from driftline.cli import app

    found: list[str] = []

    def walk(command: Any, path: str) -> None:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")
        elif any("--json" in param.opts for param in command.params):
            found.append(f"{path} --json")

    walk(typer.main.get_command(app), "driftline")
    return found


def test_every_command_with_json_output_has_a_schema() -> None:
    commands = _json_commands()
    assert len(commands) >= 9
    described = " ".join(SCHEMAS.values())
    for command in commands:
        assert command in described, f"{command}: add its schema to driftline.cli._schemas"


def test_the_cli_page_documents_every_schema() -> None:
    page = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in SCHEMAS:
        assert f"| `{name}` | `{load_schema(name)['$id']}` |" in page, name


def test_every_json_output_validates_against_its_schema(
    outputs: dict[str, list[dict[str, Any]]],
) -> None:
    # The registry commands talk to a server: tests/registry/test_cli.py checks their
    # outputs against these schemas, on a real server process.
    elsewhere = {"model-upload", "model-alias", "model-resolve", "model-history", "lineage"}
    assert set(outputs) | elsewhere == set(SCHEMAS), "every schema is checked on a real output"
    for name, payloads in outputs.items():
        schema = load_schema(name)
        validator = Draft202012Validator(schema)
        for payload in payloads:
            errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.path))
            assert not errors, (name, [f"{list(e.path)}: {e.message}" for e in errors[:5]])
            assert payload["$schema"] == schema["$id"]
            assert list(payload)[:2] == ["$schema", "schema_version"]


def test_the_schemas_are_not_vacuous(outputs: dict[str, list[dict[str, Any]]]) -> None:
    """Each schema refuses an output that lost a required field or got a wrong type."""
    for name, payloads in outputs.items():
        validator = Draft202012Validator(load_schema(name))
        body = load_schema(name)["$defs"]["body"]
        for key in body["required"]:
            broken = copy.deepcopy(payloads[0])
            del broken[key]
            assert not validator.is_valid(broken), (name, key)
        wrong = copy.deepcopy(payloads[0])
        wrong["schema_version"] = 0
        assert not validator.is_valid(wrong), name
    drift = copy.deepcopy(outputs["drift"][0])
    next(iter(drift["columns"].values()))["drifted"] = "yes"
    assert not Draft202012Validator(load_schema("drift")).is_valid(drift)


def test_profile_json_has_one_shape_with_or_without_reference(
    outputs: dict[str, list[dict[str, Any]]],
) -> None:
    plain, checked = outputs["profile"]
    assert set(plain) == set(checked)
    assert plain["quality"] is None
    assert checked["quality"]["has_reference"] is True
    assert plain["columns"] == checked["columns"]


def test_the_chunked_drift_report_and_realized_estimates_are_covered(
    outputs: dict[str, list[dict[str, Any]]],
) -> None:
    assert len(outputs["drift"][1]["chunks"]) == 4
    assert "$schema" not in outputs["drift"][1]["chunks"][0]
    with_labels, without = outputs["estimate"]
    first = next(iter(with_labels["chunks"][0]["metrics"].values()))
    assert isinstance(first["realized"], float)
    assert next(iter(without["chunks"][0]["metrics"].values()))["realized"] is None


def test_the_schema_command_lists_and_prints_the_schemas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "schema")
    assert code == 0
    assert [line.split()[0] for line in out.strip().splitlines()] == list(SCHEMAS)
    code, out, _ = cli(capsys, "schema", "drift")
    assert code == 0
    assert json.loads(out) == load_schema("drift")
    code, _, err = cli(capsys, "schema", "drfit")
    assert code == 2
    assert err.startswith("error: No output schema named 'drfit'")
