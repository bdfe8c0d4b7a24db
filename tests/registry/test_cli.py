"""``driftline model ...`` and ``driftline lineage`` in a subprocess against a real server
process: exit 0 with the answer, exit 2 with one clear line on bad input."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from driftline.client import Client
from driftline.store import VersionSchema

from .helpers import onnx_model

_spec = importlib.util.spec_from_file_location(
    "_driftline_server_conftest_registry_cli",
    Path(__file__).resolve().parents[1] / "server" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _server
_spec.loader.exec_module(_server)

SCHEMA = VersionSchema({"x": "numeric", "age": "numeric", "flag": "boolean"})


@pytest.fixture(scope="module")
def server(new_database_url: Callable[[str], str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # fmt: skip
    artifacts = tmp_path_factory.mktemp("cli-artifacts")
    proc = _server.ServerProcess(new_database_url("sqlite"),
                                 env={"DRIFTLINE_ARTIFACT_STORE_URL": str(artifacts)})  # fmt: skip
    with Client(proc.base, proc.tokens["a"]) as client:
        client.create_model("fraud")
        for v in ("1", "2"):
            client.register_version("fraud", v, schema=SCHEMA)
        ds = client.register_dataset("train", pa.table({"x": [1.0], "age": [2], "flag": [True]}))
        client.record_lineage("fraud", "1", run="run-9", datasets=[ds.name])
    yield proc
    proc.stop()


def _conforms(output: dict[str, Any], schema: str) -> None:
    """``output`` is valid against the CLI's shipped JSON Schema ``schema`` and names it."""
    jsonschema = pytest.importorskip("jsonschema")
    from driftline.cli._schemas import load_schema

    document = load_schema(schema)
    jsonschema.Draft202012Validator(document).validate(output)
    assert output["$schema"] == document["$id"]


def test_model_commands(server: Any, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    env = {"DRIFTLINE_URL": server.base, "DRIFTLINE_TOKEN": server.tokens["a"]}
    model = onnx_model(tmp_path / "model.onnx")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    r = run_cli("model", "upload", "fraud", "1", str(model), env=env)
    assert r.returncode == 0, r.stderr
    assert f"fraud:1 uploaded: onnx, {model.stat().st_size} bytes, sha256 {digest}" in r.stdout
    r = run_cli("model", "alias", "fraud", "production", "1", "--reason", "launch", env=env)
    assert r.returncode == 0, r.stderr
    assert "fraud@production -> 1 (was unset; move #1)" in r.stdout
    r = run_cli("model", "resolve", "fraud@production", "--json", env=env)
    assert r.returncode == 0, r.stderr
    resolved = json.loads(r.stdout)
    _conforms(resolved, "model-resolve")
    assert (resolved["version"], resolved["artifact_digest"]) == ("1", digest)
    run_cli("model", "alias", "fraud", "production", "2", env=env)
    r = run_cli("model", "history", "fraud", "--alias", "production", env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "production #1: - -> 1" in lines[0]
    assert "launch" in lines[0]
    assert "production #2: 1 -> 2" in lines[1]
    history = json.loads(run_cli("model", "history", "fraud", "--json", env=env).stdout)
    first = history["moves"][0]
    r = run_cli("model", "resolve", "fraud@production", "--at", first["moved_at"], env=env)
    assert "fraud@production -> fraud:1" in r.stdout
    out = tmp_path / "dl" / "m.onnx"
    r = run_cli("model", "download", "fraud:1", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == model.read_bytes()
    r = run_cli("lineage", "fraud:1", env=env)
    assert r.returncode == 0, r.stderr
    assert "-> trained_on -> run run-9" in r.stdout
    assert "-> produced -> model_version fraud:1" in r.stdout
    assert "fraud@production #1" in r.stdout
    graph = json.loads(run_cli("lineage", "fraud:1", "--json", env=env).stdout)
    _conforms(graph, "lineage")
    _conforms(history, "model-history")
    for args, schema in (
        (("model", "upload", "fraud", "1", str(model)), "model-upload"),
        (("model", "alias", "fraud", "staging", "1"), "model-alias"),
    ):
        r = run_cli(*args, "--json", env=env)
        assert r.returncode == 0, r.stderr
        _conforms(json.loads(r.stdout), schema)
    assert {n["kind"] for n in graph["nodes"]} == {"dataset", "run", "model_version", "alias_move"}
    events = json.loads(run_cli("lineage", "fraud:1", "--format", "openlineage", env=env).stdout)
    train = next(e for e in events if e["job"]["name"] == "train/run-9")
    assert train["inputs"][0]["name"] == "datasets/train"
    assert train["job"]["namespace"] == f"driftline://{server.projects['a']}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("model", "resolve", "fraud@canary"), "no alias 'canary'"),
        (("model", "resolve", "fraud"), "names a model, not a version"),
        (("model", "alias", "fraud", "staging", "9"), "No version '9'"),
        (("model", "alias", "fraud", "staging"), "or --remove"),
        (("model", "resolve", "fraud@production", "--at", "yesterday"), "ISO 8601"),
        (("model", "download", "fraud:2", "x.onnx"), "has no artifact"),
        (("lineage", "nope@production"), "No model named 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    server: Any, run_cli: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    env = {"DRIFTLINE_URL": server.base, "DRIFTLINE_TOKEN": server.tokens["a"]}
    r = run_cli(*args, env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_bad_uploads_exit_2(server: Any, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    env = {"DRIFTLINE_URL": server.base, "DRIFTLINE_TOKEN": server.tokens["a"]}
    wide = onnx_model(tmp_path / "wide.onnx", n_features=5)
    r = run_cli("model", "upload", "fraud", "2", str(wide), env=env)
    assert r.returncode == 2
    assert "takes 5 columns" in r.stderr
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"x")
    r = run_cli("model", "upload", "fraud", "2", str(bad), env=env)
    assert r.returncode == 2
    assert "Cannot tell the flavor" in r.stderr
    r = run_cli("model", "resolve", "fraud@production", env={"DRIFTLINE_URL": server.base})
    assert r.returncode == 2
    assert "No API token" in r.stderr
