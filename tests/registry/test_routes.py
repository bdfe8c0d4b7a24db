"""The registry's HTTP routes on a real app and database (SQLite and PostgreSQL): every
bad input is a clear 4xx and leaves nothing half-written."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from driftline._config import Settings
from driftline.profiles import profile
from driftline.registry import fingerprint_dataset

from .conftest import s3_options
from .helpers import onnx_model, pickle_model, skops_model

_spec = importlib.util.spec_from_file_location(
    "_driftline_server_conftest_registry",
    Path(__file__).resolve().parents[1] / "server" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _server  # (dataclasses look their module up)
_spec.loader.exec_module(_server)
World = _server.World
SCRAPE_TOKEN = _server.SCRAPE_TOKEN


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(request: pytest.FixtureRequest, new_database_url: Callable[[str], str],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # fmt: skip
    """The app on SQLite and on PostgreSQL, artifacts in a temporary folder, 64 KiB limit."""
    settings = Settings(
        rate_limit_per_second=0,
        metrics_token=SCRAPE_TOKEN,
        artifact_store_url=str(tmp_path_factory.mktemp("artifacts")),
        max_artifact_bytes=64 * 1024,
    )
    yield from _server.start_world(new_database_url(request.param), settings)


def _put(world: Any, url: str, data: bytes, *, flavor: str = "onnx", sha: str | None = None,
         role: str = "editor", headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    params = {"flavor": flavor, "sha256": sha or hashlib.sha256(data).hexdigest()}
    return world.api.put(f"{url}/artifact", content=data, params=params,
                         headers={**world.auth("a", role), **(headers or {})})  # fmt: skip


def _stored(world: Any) -> list[Path]:
    root = Path(world.app.state.driftline.settings.artifact_store_url)
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts
    )


def test_artifact_upload_download(world: Any, tmp_path: Path) -> None:
    url = world.add_version("a", "fraud", "1")
    data = onnx_model(tmp_path / "m.onnx").read_bytes()
    r = _put(world, url, data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["digest"] == hashlib.sha256(data).hexdigest()
    assert (body["flavor"], body["size"], body["created"]) == ("onnx", len(data), True)
    assert body["signature"]["inputs"][0]["shape"] == [None, 3]
    # the same bytes again: fine, nothing new; different bytes: artifacts are immutable
    assert _put(world, url, data).json()["created"] is False
    other = skops_model(tmp_path / "m.skops").read_bytes()
    r = _put(world, url, other, flavor="skops")
    assert r.status_code == 409
    assert "immutable" in r.json()["error"]["message"]
    meta = world.api.get(f"{url}/artifact", headers=world.auth("a", "viewer")).json()
    assert meta["digest"] == body["digest"]
    r = world.api.get(f"{url}/artifact", params={"download": "true"},
                      headers=world.auth("a", "viewer"))  # fmt: skip
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["x-driftline-sha256"] == body["digest"]
    assert r.headers["content-type"] == "application/octet-stream"


def test_bad_uploads_are_4xx_and_write_nothing(world: Any, tmp_path: Path) -> None:
    url = world.add_version("a", "fraud", "2")
    before = _stored(world)
    data = onnx_model(tmp_path / "m.onnx").read_bytes()

    def refused(response: Any, status: int, code: str, text: str) -> dict[str, Any]:
        assert response.status_code == status, response.text
        error: dict[str, Any] = response.json()["error"]
        assert error["code"] == code
        assert text in error["message"]
        return error

    # corrupted on the way: the client's digest does not match
    error = refused(_put(world, url, data[:-10], sha=hashlib.sha256(data).hexdigest()), 422,
                    "digest_mismatch", "not to the expected")  # fmt: skip
    assert error["details"]["expected"] == hashlib.sha256(data).hexdigest()
    refused(world.api.put(f"{url}/artifact", content=data, params={"flavor": "onnx"},
                          headers=world.auth("a", "editor")), 422, "digest_required", "sha256")  # fmt: skip
    refused(_put(world, url, data, sha="xyz"), 422, "invalid_parameter", "sha256 hex digest")
    refused(_put(world, url, data, flavor="torch"), 422, "unsupported_artifact", "'torch'")
    refused(_put(world, url, pickle_model(tmp_path / "m.pkl").read_bytes(), flavor="pickle"),
            422, "pickle_not_allowed", "arbitrary code")  # fmt: skip
    refused(_put(world, url, b"not onnx at all"), 422, "invalid_artifact", "not a readable ONNX")
    refused(_put(world, url, data, flavor="skops"), 422, "invalid_artifact", "not a readable skops")
    big = b"\0" * (64 * 1024 + 1)
    refused(_put(world, url, big), 413, "payload_too_large", "65536")
    error = refused(_put(world, url, onnx_model(tmp_path / "m5.onnx", n_features=5).read_bytes()),
                    422, "signature_mismatch", "takes 5 columns")  # fmt: skip
    assert error["details"]["columns"] == ["float_input"]
    declared = {"inputs": [{"name": "x", "type": "float"}, {"name": "city", "type": "float"},
                           {"name": "age", "type": "float"}]}  # fmt: skip
    error = refused(_put(world, url, skops_model(tmp_path / "m.skops").read_bytes(),
                         flavor="skops", headers={"X-Driftline-Signature": json.dumps(declared)}),
                    422, "signature_mismatch", "feature 'flag'")  # fmt: skip
    assert error["details"]["columns"] == ["flag", "age"]
    refused(_put(world, url, data, headers={"X-Driftline-Signature": "[1"}), 422,
            "invalid_parameter", "")  # fmt: skip
    assert world.api.get(f"{url}/artifact", headers=world.auth("a")).json()["digest"] is None
    assert _stored(world) == before
    r = world.api.get(f"{url}/artifact", params={"download": "1"}, headers=world.auth("a"))
    refused(r, 404, "no_artifact", "has no artifact")
    refused(_put(world, f"{world.base('a')}/models/fraud/versions/9", data), 404, "not_found",
            "version '9'")  # fmt: skip


def test_aliases_history_resolve_at(world: Any) -> None:
    for v in ("1", "2"):
        world.add_version("a", "alias-m", v)
    base = f"{world.base('a')}/models/alias-m"
    editor, viewer = world.auth("a", "editor"), world.auth("a", "viewer")
    r = world.api.put(f"{base}/aliases", json={"alias": "production", "version": "1",
                                                "reason": "first"}, headers=editor)  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["seq"], r.json()["previous"]) == (1, None)
    t1 = datetime.now(UTC).isoformat()
    r = world.api.put(f"{base}/aliases", json={"alias": "production", "version": "2"},
                      headers=editor)  # fmt: skip
    assert (r.json()["seq"], r.json()["previous"], r.json()["version"]) == (2, "1", "2")
    now = world.api.get(f"{base}/aliases", headers=viewer).json()
    assert [(a["alias"], a["version"]) for a in now] == [("production", "2")]
    then = world.api.get(f"{base}/aliases", params={"alias": "production", "at": t1},
                         headers=viewer).json()  # fmt: skip
    assert [(a["alias"], a["version"]) for a in then] == [("production", "1")]
    r = world.api.get(f"{base}/aliases", params={"alias": "canary"}, headers=viewer)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_alias"
    assert "no alias 'canary'" in r.json()["error"]["message"]
    r = world.api.put(f"{base}/aliases", json={"alias": "production", "version": "7"},
                      headers=editor)  # fmt: skip
    assert r.status_code == 404
    assert "No version '7'" in r.json()["error"]["message"]
    r = world.api.put(f"{base}/aliases", json={"alias": "a/b", "version": "1"}, headers=editor)
    assert r.status_code == 422
    assert "not a valid alias name" in r.json()["error"]["message"]
    r = world.api.delete(f"{base}/aliases", params={"alias": "staging"}, headers=editor)
    assert r.status_code == 404
    r = world.api.delete(f"{base}/aliases", params={"alias": "production", "reason": "incident"},
                         headers=editor)  # fmt: skip
    assert r.status_code == 200
    assert r.json()["version"] is None
    history = world.api.get(f"{base}/aliases/history", params={"alias": "production"},
                            headers=viewer).json()  # fmt: skip
    assert [(h["seq"], h["version"], h["previous"]) for h in history] == [
        (1, "1", None), (2, "2", "1"), (3, None, "2"),
    ]  # fmt: skip
    assert all(h["actor"].startswith("token:") for h in history)
    assert world.api.get(f"{base}/aliases", headers=viewer).json() == []


def test_datasets_and_lineage(world: Any, tmp_path: Path) -> None:
    import base64

    import pyarrow as pa

    world.add_version("a", "lin", "1")
    base = world.base("a")
    editor, viewer = world.auth("a", "editor"), world.auth("a", "viewer")
    table = pa.table({"x": [1.0, 2.0], "city": ["a", "b"], "flag": [True, False]})
    fp = fingerprint_dataset(table)
    body = {"name": "train", **fp.to_dict(), "profile": base64.b64encode(fp.profile).decode(),
            "source_uri": "s3://lake/train", "licence": "internal", "pii": True}  # fmt: skip
    r = world.api.post(f"{base}/datasets", json=body, headers=editor)
    assert r.status_code == 200, r.text
    assert r.json()["created"] is True
    assert world.api.post(f"{base}/datasets", json=body, headers=editor).json()["created"] is False
    bad = {**body, "schema_digest": "0" * 64}
    r = world.api.post(f"{base}/datasets", json=bad, headers=editor)
    assert r.status_code == 422
    assert "schema_digest" in r.json()["error"]["message"]
    r = world.api.post(f"{base}/datasets", json={**body, "profile": "!!"}, headers=editor)
    assert r.status_code == 422
    other = profile(pa.table({"y": [1.0]})).to_bytes()
    r = world.api.post(f"{base}/datasets", json={**body, "name": "t2",
                       "profile": base64.b64encode(other).decode()}, headers=editor)  # fmt: skip
    assert r.status_code == 422
    assert "lacks the schema's column(s)" in r.json()["error"]["message"]
    listed = world.api.get(f"{base}/datasets", headers=viewer).json()
    assert [d["name"] for d in listed] == ["train"]
    url = world.version_url("a", "lin", "1")
    r = world.api.post(f"{url}/lineage", json={"run": "run-7", "datasets": ["nope"]},
                       headers=editor)  # fmt: skip
    assert r.status_code == 404
    assert "No data set 'nope'" in r.json()["error"]["message"]
    r = world.api.post(f"{url}/lineage", json={
        "run": "run-7", "run_attributes": {"uri": "mlflow://7"}, "datasets": ["train"],
        "gate_report": {"id": "gate-1", "passed": True}}, headers=editor)  # fmt: skip
    assert r.status_code == 200, r.text
    world.api.put(f"{base}/models/lin/aliases", json={"alias": "production", "version": "1"},
                  headers=editor)  # fmt: skip
    graph = world.api.get(f"{base}/models/lin/lineage", params={"alias": "production"},
                          headers=viewer).json()  # fmt: skip
    kinds = sorted(n["kind"] for n in graph["nodes"])
    assert kinds == ["alias_move", "dataset", "gate_report", "model_version", "run"]
    assert sorted(e["relation"] for e in graph["edges"]) == [
        "gated_by", "moved_alias", "produced", "trained_on"]  # fmt: skip
    ol = world.api.get(f"{base}/models/lin/lineage",
                       params={"alias": "production", "format": "openlineage"},
                       headers=viewer).json()["openlineage"]  # fmt: skip
    train = next(e for e in ol if e["job"]["name"] == "train/run-7")
    assert train["inputs"][0]["name"] == "datasets/train"
    assert train["inputs"][0]["facets"]["schema"]["fields"][0] == {"name": "x", "type": "double"}
    r = world.api.get(f"{base}/models/lin/lineage", params={"alias": "canary"}, headers=viewer)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_s3_artifact_store(backend: str, new_database_url: Callable[[str], str], s3_endpoint: str,
                           s3_bucket: str, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The server with its artifacts on a real S3-compatible server (moto, over HTTP)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings = Settings(rate_limit_per_second=0, artifact_store_url=f"s3://{s3_bucket}/art",
                        artifact_store_endpoint_url=s3_endpoint)  # fmt: skip
    for w in _server.start_world(new_database_url(backend), settings):
        url = w.add_version("a", "fraud", "1")
        data = onnx_model(tmp_path / "m.onnx").read_bytes()
        r = _put(w, url, data)
        assert r.status_code == 200, r.text
        r = _put(w, url, data[:-1], sha=hashlib.sha256(data).hexdigest())
        assert r.status_code == 422  # the same artifact, corrupted: refused
        r = w.api.get(f"{url}/artifact", params={"download": "true"}, headers=w.auth("a"))
        assert r.content == data
        keys = _list(s3_endpoint, s3_bucket)
        digest = hashlib.sha256(data).hexdigest()
        assert keys == [f"art/sha256/{digest[:2]}/{digest[2:]}"]
        assert s3_options(s3_endpoint)["endpoint_url"] == s3_endpoint


def _list(endpoint: str, bucket: str) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")  # fmt: skip
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


# --- audit ---------------------------------------------------------------------------------
def _audited(world: Any, after: int, key: str = "a") -> list[dict[str, Any]]:
    """The records of project ``key``'s audit entries after ``after``, from the API."""
    r = world.api.get(f"{world.base(key)}/audit/entries", params={"after": after, "limit": 1000},
                      headers=world.auth(key, "viewer"))  # fmt: skip
    assert r.status_code == 200, r.text
    return [json.loads(e["record"]) for e in r.json()["entries"]]


def _sha(value: Any) -> str:
    from driftline.audit import canonical_json

    return hashlib.sha256(canonical_json(value)).hexdigest()


def test_registry_writes_are_audited_in_their_transaction(world: Any, tmp_path: Path) -> None:
    """Each registry write appends its event with the change; a refused write appends
    nothing; the log still verifies."""
    import base64

    import pyarrow as pa

    log = world.app.state.driftline.audit
    url = world.add_version("a", "audited", "1")
    world.add_version("a", "audited", "2")
    base, models = world.base("a"), f"{world.base('a')}/models/audited"
    editor = world.auth("a", "editor")
    start = log.size() - 1
    data = onnx_model(tmp_path / "m.onnx").read_bytes()
    # refused writes first: none may leave an event behind
    url2 = world.version_url("a", "audited", "2")
    assert _put(world, url2, data[:-10], sha=hashlib.sha256(data).hexdigest()).status_code == 422
    assert _put(world, url2, b"not onnx").status_code == 422
    r = world.api.put(f"{models}/aliases", json={"alias": "production", "version": "7"},
                      headers=editor)  # fmt: skip
    assert r.status_code == 404
    r = world.api.delete(f"{models}/aliases", params={"alias": "staging"}, headers=editor)
    assert r.status_code == 404
    table = pa.table({"x": [1.0, 2.0], "city": ["a", "b"]})
    fp = fingerprint_dataset(table)
    body = {"name": "train", **fp.to_dict(), "profile": base64.b64encode(fp.profile).decode(),
            "source_uri": "s3://lake/ana/train", "licence": "internal", "pii": True}  # fmt: skip
    r = world.api.post(f"{base}/datasets", json={**body, "schema_digest": "0" * 64},
                       headers=editor)  # fmt: skip
    assert r.status_code == 422
    r = world.api.post(f"{url}/lineage", json={"run": "run-1", "datasets": ["nope"]},
                       headers=editor)  # fmt: skip
    assert r.status_code == 404
    assert _audited(world, start) == []

    # the writes
    uploaded = _put(world, url, data)
    assert uploaded.status_code == 200, uploaded.text
    assert _put(world, url, data).json()["created"] is False  # nothing new: no event
    moves = [
        world.api.put(f"{models}/aliases", json={"alias": "production", "version": "1",
                      "reason": "first release"}, headers=editor),
        world.api.put(f"{models}/aliases", json={"alias": "production", "version": "1"},
                      headers=editor),  # already there: no event
        world.api.delete(f"{models}/aliases", params={"alias": "production",
                         "reason": "incident 12"}, headers=editor),
    ]  # fmt: skip
    assert [m.status_code for m in moves] == [200, 200, 200]
    dataset = world.api.post(f"{base}/datasets", json=body, headers=editor)
    assert dataset.status_code == 200, dataset.text
    assert world.api.post(f"{base}/datasets", json=body, headers=editor).json()["created"] is False
    r = world.api.post(f"{url}/lineage", json={
        "run": "run-1", "run_attributes": {"uri": "mlflow://1"}, "datasets": ["train"],
        "gate_report": {"id": "gate-1", "passed": True}}, headers=editor)  # fmt: skip
    assert r.status_code == 200, r.text
    r = world.api.post(f"{url}/lineage", json={"run": "run-1", "datasets": ["train"]},
                       headers=editor)  # fmt: skip
    assert r.status_code == 200  # every link exists already: no event

    records = _audited(world, start)
    assert [e["type"] for e in records] == [
        "artifact.uploaded", "alias.moved", "alias.removed", "dataset.registered",
        "lineage.recorded", "lineage.recorded", "lineage.recorded",
    ]  # fmt: skip
    actors = {e["actor"] for e in records}
    assert len(actors) == 1
    assert next(iter(actors)).startswith("token:")
    artifact = records[0]["payload"]
    assert artifact["sha256"] == hashlib.sha256(data).hexdigest()
    assert (artifact["model"], artifact["version"], artifact["flavor"], artifact["size"]) == (
        "audited", "1", "onnx", len(data))  # fmt: skip
    assert artifact["version_id"] == world.version_id("a", "audited", "1")
    assert artifact["signature_sha256"] == _sha(uploaded.json()["signature"])
    assert artifact["pickle_opt_in"] is False
    moved, removed = records[1]["payload"], records[2]["payload"]
    assert (moved["alias"], moved["version"], moved["previous"], moved["seq"]) == (
        "production", "1", None, 1)  # fmt: skip
    assert moved["reason_sha256"] == _sha("first release")
    assert (removed["version"], removed["previous"], removed["seq"]) == (None, "1", 2)
    assert removed["reason_sha256"] == _sha("incident 12")
    registered = records[3]["payload"]
    assert registered["dataset_id"] == dataset.json()["id"]
    assert (registered["fingerprint"], registered["schema_digest"]) == (
        fp.fingerprint, fp.schema_digest)  # fmt: skip
    assert registered["source_uri_sha256"] == _sha("s3://lake/ana/train")
    links = {(tuple(e["payload"]["source"]), e["payload"]["relation"]): e["payload"]
             for e in records[4:]}  # fmt: skip
    version_id = world.version_id("a", "audited", "1")
    assert set(links) == {(("dataset", registered["dataset_id"]), "trained_on"),
                          (("run", "run-1"), "produced"),
                          (("model_version", version_id), "gated_by")}  # fmt: skip
    produced = links[(("run", "run-1"), "produced")]
    assert produced["target"] == ["model_version", version_id]
    assert produced["attributes_sha256"] == _sha({"name": "run-1", "uri": "mlflow://1"})
    # no free text nor personal data: reasons, the source URI and run attributes by digest
    text = json.dumps(records)
    for secret in ("first release", "incident 12", "s3://lake", "mlflow://1"):
        assert secret not in text
    # project b sees none of them; the whole log verifies
    seqs = {e["seq"] for e in records}
    assert not seqs & {e["seq"] for e in _audited(world, -1, "b")}
    report = log.verify()
    assert report.ok, report.problems
