"""The SDK's registry calls against a real ``driftline server`` process (uvicorn, real
HTTP) on SQLite and PostgreSQL, artifacts on a local folder and on a moto S3 server."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from driftline.client import ApiError, ApiNotFoundError, Client
from driftline.exceptions import DigestMismatchError
from driftline.registry import Signature
from driftline.store import VersionSchema

from .helpers import onnx_model, skops_model

_spec = importlib.util.spec_from_file_location(
    "_driftline_server_conftest_registry_client",
    Path(__file__).resolve().parents[1] / "server" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _server
_spec.loader.exec_module(_server)

SCHEMA = VersionSchema({"x": "numeric", "age": "numeric", "flag": "boolean"})


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(request: pytest.FixtureRequest, new_database_url: Callable[[str], str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # fmt: skip
    artifacts = tmp_path_factory.mktemp("artifacts")
    proc = _server.ServerProcess(new_database_url(request.param),
                                 env={"DRIFTLINE_ARTIFACT_STORE_URL": str(artifacts)})  # fmt: skip
    proc.artifacts = artifacts
    yield proc
    proc.stop()


@pytest.fixture
def client(server: Any) -> Iterator[Client]:
    with Client(server.base, server.tokens["a"], retries=1) as c:
        yield c


def test_sdk_artifacts_aliases_and_lineage(client: Client, server: Any, tmp_path: Path) -> None:
    model = f"fraud-{time.monotonic_ns()}"
    client.create_model(model)
    for v in ("1", "2"):
        client.register_version(model, v, schema=SCHEMA)
    path = onnx_model(tmp_path / "m.onnx")
    record = client.upload_artifact(model, "1", path)
    assert record.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.signature is not None
    declared = Signature.from_dict({"inputs": [{"name": n, "type": "float"}
                                               for n in ("x", "age", "flag")]})  # fmt: skip
    skops = client.upload_artifact(model, "2", skops_model(tmp_path / "m.skops"),
                                   signature=declared)  # fmt: skip
    assert skops.signature == declared.to_dict()
    first = client.set_alias(model, "production", "1", reason="launch")
    t1 = datetime.now(UTC)
    time.sleep(0.05)
    client.set_alias(model, "production", "2", reason="retrained")
    assert client.resolve(f"{model}@production").version == "2"
    assert client.resolve(f"{model}@production", at=t1).version == "1"
    assert client.resolve(f"{model}:1").artifact_digest == record.digest
    assert client.aliases(model) == {"production": "2"}
    history = client.alias_history(model, "production")
    assert [(h.seq, h.version, h.previous, h.reason) for h in history] == [
        (1, "1", None, "launch"), (2, "2", "1", "retrained")]  # fmt: skip
    assert history[0].moved_at == first.moved_at
    out = client.download_artifact(f"{model}@production", tmp_path / "dl" / "model.skops", at=t1)
    assert out.read_bytes() == path.read_bytes()  # version 1 served at t1: the ONNX file
    with pytest.raises(ApiNotFoundError, match="no alias 'canary'"):
        client.resolve(f"{model}@canary")
    train = pa.table({"x": [1.0, 2.0], "age": [3, 4], "flag": [True, False]})
    ds = client.register_dataset(f"train-{model}", train, licence="internal", pii=False)
    assert ds.rows == 2
    graph = client.record_lineage(model, "2", run="run-1", datasets=[ds.name])
    assert {n.kind for n in graph.nodes} >= {"dataset", "run", "model_version"}
    graph = client.lineage(f"{model}@production")
    assert "-> trained_on -> run run-1" in graph.to_text()
    events = graph.to_openlineage("driftline://test")
    assert any(e["job"]["name"] == "train/run-1" for e in events)
    removed = client.remove_alias(model, "production", reason="incident")
    assert removed.version is None
    client.register_version(model, "3", schema=SCHEMA)
    with pytest.raises(ApiError, match="has no artifact"):
        client.download_artifact(f"{model}:3", tmp_path / "x")


def test_corrupted_store_is_caught_by_the_download(
    client: Client, server: Any, tmp_path: Path
) -> None:
    model = f"c-{time.monotonic_ns()}"
    client.create_model(model)
    client.register_version(model, "1", schema=SCHEMA)
    path = onnx_model(tmp_path / "m.onnx")
    digest = client.upload_artifact(model, "1", path).digest
    stored = Path(server.artifacts) / "sha256" / digest[:2] / digest[2:]
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF  # the same size, one byte flipped on the server's disk
    stored.write_bytes(bytes(data))
    target = tmp_path / "dl" / "m.onnx"
    with pytest.raises(DigestMismatchError, match="hashes to sha256"):
        client.download_artifact(f"{model}:1", target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    stored.write_bytes(path.read_bytes())


def test_upload_errors_are_clear(client: Client, tmp_path: Path) -> None:
    model = f"e-{time.monotonic_ns()}"
    client.create_model(model)
    client.register_version(model, "1", schema=VersionSchema({"a": "numeric"}))
    with pytest.raises(ApiError, match="takes 3 columns") as info:
        client.upload_artifact(model, "1", onnx_model(tmp_path / "m.onnx"))
    assert info.value.status == 422
    assert info.value.code == "signature_mismatch"
    (tmp_path / "m.pkl").write_bytes(b"\x80\x05N.")
    with pytest.raises(ApiError, match="arbitrary code"):
        client.upload_artifact(model, "1", tmp_path / "m.pkl")
