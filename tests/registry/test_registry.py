"""The registry on SQLite and PostgreSQL: artifacts, aliases and their history (atomic
under concurrency), resolve at a time, datasets and lineage."""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select

from driftline.exceptions import (
    DigestMismatchError,
    NotFoundError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.registry import ArtifactStore, Registry
from driftline.store import (
    AliasMove,
    Catalog,
    ModelVersion,
    PredictionStore,
    VersionSchema,
    session_factory,
)
from driftline.store._registry_tables import ModelAlias

from .helpers import onnx_model, pickle_model, skops_model

SCHEMA = VersionSchema({"x": "numeric", "age": "numeric", "flag": "boolean"})


@pytest.fixture
def registry(engine: Engine, tmp_path: Path) -> Registry:
    """A project with model ``fraud`` and versions 1, 2, 3 (three numeric-ish features)."""
    project = f"p-{secrets.token_hex(4)}"
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        model = catalog.create_model(catalog.create_project(project).id, "fraud")
        for v in ("1", "2", "3"):
            catalog.create_version(model.id, v, SCHEMA)
    return Registry(engine, project=project, actor="ana",
                    artifacts=ArtifactStore(tmp_path / "artifacts"))  # fmt: skip


# aliases ------------------------------------------------------------------------------------
def test_alias_moves_history_and_resolve_at(registry: Registry) -> None:
    first = registry.set_alias("fraud", "production", "1", reason="first release")
    assert (first.seq, first.version, first.previous, first.actor) == (1, "1", None, "ana")
    t1 = datetime.now(UTC)
    time.sleep(0.02)
    second = registry.set_alias("fraud", "production", "2", reason="better AUC")
    assert (second.seq, second.version, second.previous) == (2, "2", "1")
    registry.set_alias("fraud", "staging", "3")
    assert registry.resolve("fraud@production").version == "2"
    assert registry.resolve("fraud@production", at=t1).version == "1"
    assert registry.aliases("fraud") == {"production": "2", "staging": "3"}
    assert registry.aliases("fraud", at=t1) == {"production": "1"}
    # moving where it points already records nothing
    again = registry.set_alias("fraud", "production", "2", reason="retry")
    assert not again.changed
    assert again.seq == 2
    history = registry.alias_history("fraud", "production")
    assert [(h.seq, h.version, h.previous, h.reason) for h in history] == [
        (1, "1", None, "first release"),
        (2, "2", "1", "better AUC"),
    ]
    t2 = datetime.now(UTC)
    time.sleep(0.02)
    removed = registry.remove_alias("fraud", "production", reason="incident 42")
    assert (removed.version, removed.previous, removed.seq) == (None, "2", 3)
    with pytest.raises(NotFoundError, match="has no alias 'production' now"):
        registry.resolve("fraud@production")
    assert registry.resolve("fraud@production", at=t2).version == "2"
    with pytest.raises(NotFoundError, match="has no alias 'production' at"):
        registry.resolve("fraud@production", at=t1 - timedelta(days=1))
    assert len(registry.alias_history("fraud")) == 4


def test_bad_alias_input(registry: Registry) -> None:
    with pytest.raises(ParameterError, match="not a valid alias name"):
        registry.set_alias("fraud", "prod/eu", "1")
    with pytest.raises(NotFoundError, match="No version '9' of model 'fraud'"):
        registry.set_alias("fraud", "production", "9")
    with pytest.raises(NotFoundError, match="No model named 'nope'"):
        registry.set_alias("nope", "production", "1")
    with pytest.raises(NotFoundError, match="no alias 'production' to remove"):
        registry.remove_alias("fraud", "production")
    with pytest.raises(NotFoundError, match=r"has no alias 'canary' now \(aliases now: none\)"):
        registry.resolve("fraud@canary")
    with pytest.raises(ParameterError, match="timezone-aware"):
        registry.resolve("fraud@production", at=datetime(2026, 1, 1))
    with pytest.raises(ParameterError, match="MODEL@ALIAS"):
        registry.resolve("fraud")
    assert registry.alias_history("fraud") == []


def _check_consistent(engine: Engine, registry: Registry, alias: str) -> list[AliasMove]:
    with session_factory(engine)() as session:
        moves = list(
            session.scalars(
                select(AliasMove).where(AliasMove.alias == alias).order_by(AliasMove.seq)
            )
        )
        moves = [m for m in moves if m.actor.startswith("worker")]
        model_id = moves[0].model_id
        moves = [m for m in moves if m.model_id == model_id]
        current = session.get(ModelAlias, (model_id, alias))
    assert [m.seq for m in moves] == list(range(1, len(moves) + 1))
    for before, after in itertools.pairwise(moves):
        assert after.previous_version_id == before.model_version_id
        assert after.moved_at >= before.moved_at
        assert after.model_version_id != before.model_version_id  # no-op moves not recorded
    assert current is not None
    assert current.model_version_id == moves[-1].model_version_id
    assert current.seq == moves[-1].seq
    return moves


def test_concurrent_moves_keep_history_and_current_consistent(
    registry: Registry, engine: Engine
) -> None:
    """Eight threads move one alias 15 times each; every move is serialized: the history
    is contiguous, each move's 'previous' is the move before it, current is the last."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        mine = Registry(registry.engine, project=registry.project, actor=f"worker-{n}",
                        artifacts=registry.artifacts)  # fmt: skip
        try:
            start.wait()
            for i in range(15):
                mine.set_alias("fraud", "production", str((n + i) % 3 + 1), reason=f"{n}/{i}")
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    moves = _check_consistent(engine, registry, "production")
    assert len(moves) >= 20  # (moves to where it already points are not recorded)
    assert (
        registry.resolve("fraud@production").version
        == registry.alias_history("fraud", "production")[-1].version
    )


# artifacts ----------------------------------------------------------------------------------
def test_onnx_upload_signature_download(registry: Registry, tmp_path: Path) -> None:
    path = onnx_model(tmp_path / "model.onnx", n_features=3)
    record = registry.upload_artifact("fraud", "1", path)
    assert record.flavor == "onnx"
    assert record.created
    assert record.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.signature is not None
    assert record.signature["inputs"] == [
        {"name": "float_input", "type": "float", "shape": [None, 3]}
    ]
    # the same artifact again: nothing changes; another one: versions are immutable
    assert not registry.upload_artifact("fraud", "1", path).created
    with pytest.raises(ParameterError, match="immutable"):
        registry.upload_artifact("fraud", "1", skops_model(tmp_path / "m.skops"))
    registry.set_alias("fraud", "production", "1")
    resolved = registry.resolve("fraud@production")
    assert resolved.artifact_digest == record.digest
    assert resolved.artifact_flavor == "onnx"
    out = registry.download_artifact("fraud@production", tmp_path / "dl" / "m.onnx")
    assert out.read_bytes() == path.read_bytes()
    with pytest.raises(NotFoundError, match="has no artifact"):
        registry.download_artifact("fraud:2", tmp_path / "dl" / "none.onnx")


def test_signature_mismatch_names_the_columns(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(SchemaMismatchError, match=r"takes 5 columns; the version's schema has 3"):
        registry.upload_artifact("fraud", "2", onnx_model(tmp_path / "m5.onnx", n_features=5))
    declared = {"inputs": [{"name": "x", "type": "float"}, {"name": "age", "type": "string"},
                           {"name": "income", "type": "float"}]}  # fmt: skip
    with pytest.raises(SchemaMismatchError) as info:
        registry.upload_artifact("fraud", "2", skops_model(tmp_path / "m.skops"),
                                 signature=declared)  # fmt: skip
    message = str(info.value)
    assert "columns ['flag', 'income', 'age']" in message
    assert (
        "feature 'age' is numeric in the version's schema, but the artifact takes it as string"
        in message
    )
    assert registry.resolve("fraud:2").artifact_digest is None  # nothing registered
    assert list((registry.artifacts.url and Path(registry.artifacts.url)).rglob("sha256/*/*")) == []


def test_flavors_and_pickle_opt_in(registry: Registry, tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(UnsupportedInputError, match="Unknown artifact flavor 'torch'"):
        registry.upload_artifact("fraud", "2", tmp_path, flavor="torch")
    bogus = tmp_path / "bogus.onnx"
    bogus.write_bytes(b"not a model")
    with pytest.raises(SerializationError, match="not a readable ONNX model"):
        registry.upload_artifact("fraud", "2", bogus)
    with pytest.raises(SerializationError, match="not a readable skops file"):
        registry.upload_artifact("fraud", "2", bogus, flavor="skops")
    pkl = pickle_model(tmp_path / "model.pkl")
    with pytest.raises(UnsupportedInputError, match="runs arbitrary code"):
        registry.upload_artifact("fraud", "2", pkl)
    opted = Registry(engine, project=registry.project, actor="bob", allow_pickle=True,
                     artifacts=registry.artifacts)  # fmt: skip
    record = opted.upload_artifact("fraud", "2", pkl)
    assert record.flavor == "pickle"
    assert opted.resolve("fraud:2").artifact_flavor == "pickle"  # the opt-in is recorded
    skops = registry.upload_artifact("fraud", "3", skops_model(tmp_path / "m3.skops"))
    assert (skops.flavor, skops.signature) == ("skops", None)


def test_corrupted_upload_registers_nothing(registry: Registry, tmp_path: Path) -> None:
    path = onnx_model(tmp_path / "model.onnx")
    with pytest.raises(DigestMismatchError):
        registry.upload_artifact("fraud", "1", path, expected_sha256="0" * 64)
    assert registry.resolve("fraud:1").artifact_digest is None


def test_size_limit(registry: Registry, tmp_path: Path, engine: Engine) -> None:
    small = Registry(engine, project=registry.project, max_artifact_bytes=100,
                     artifacts=registry.artifacts)  # fmt: skip
    with pytest.raises(Exception, match="larger than the limit of 100 bytes"):
        small.upload_artifact("fraud", "1", onnx_model(tmp_path / "model.onnx"))
    assert registry.resolve("fraud:1").artifact_digest is None


# datasets, lineage, events --------------------------------------------------------------------
def test_datasets_lineage_and_events(registry: Registry, engine: Engine, tmp_path: Path) -> None:
    from driftline.audit import AuditLog

    log = AuditLog(engine)
    start = log.size()
    registry = Registry(engine, project=registry.project, actor="subject:ana",
                        artifacts=registry.artifacts, audit=log)  # fmt: skip
    train = pa.table({"x": [1.0, 2.0, 3.0], "age": [30, 40, 50], "flag": [True, False, True]})
    csv = tmp_path / "eval.csv"
    csv.write_text("x,age,flag\n1.5,33,true\n")
    d1 = registry.register_dataset("train-2026-11", train, source_uri="s3://lake/train",
                                   licence="internal", pii=True)  # fmt: skip
    assert d1.created
    assert d1.rows == 3
    assert d1.pii
    assert registry.register_dataset("train-2026-11", train) == d1.__class__(
        **{**d1.to_dict(), "created_at": d1.created_at, "created": False}
    )
    d2 = registry.register_dataset("eval", csv)
    assert d2.fingerprint == hashlib.sha256(csv.read_bytes()).hexdigest()
    registry.record_training("fraud", "2", run="run-42", datasets=["train-2026-11"],
                             evaluation=[d2.fingerprint], attributes={"uri": "mlflow://42"})  # fmt: skip
    with pytest.raises(NotFoundError, match="No data set 'nope'"):
        registry.record_training("fraud", "2", run="run-43", datasets=["nope"])
    registry.set_alias("fraud", "production", "2", reason="promote")
    graph = registry.lineage("fraud@production")
    kinds = sorted({n.kind for n in graph.nodes})
    assert kinds == ["alias_move", "dataset", "model_version", "run"]
    relations = sorted(link.relation for link in graph.links)
    assert relations == ["evaluated_on", "moved_alias", "produced", "trained_on"]
    text = graph.to_text()
    assert "dataset        train-2026-11" in text
    assert "-> produced -> model_version fraud:2" in text
    assert "fraud@production #1" in text
    events = graph.to_openlineage("driftline://test")
    train_event = next(e for e in events if e["job"]["name"] == "train/run-42")
    assert {i["name"] for i in train_event["inputs"]} == {"datasets/train-2026-11", "datasets/eval"}
    assert train_event["outputs"] == [
        {"namespace": "driftline://test", "name": "models/fraud/versions/2"}
    ]
    # the audit log holds one event per change, in the registry's transactions; the
    # refused lineage (an unknown data set) and the repeated registration none
    logged = [json.loads(e.record) for e in log.entries(after=start - 1, limit=1000)]
    assert [e["type"] for e in logged] == [
        "dataset.registered",
        "dataset.registered",
        "lineage.recorded",
        "lineage.recorded",
        "lineage.recorded",
        "alias.moved",
    ]
    with session_factory(engine)() as session:
        from driftline.store import Project

        pid = session.scalar(select(Project.id).where(Project.name == registry.project))
    assert all(e["project"] == pid and e["actor"] == "subject:ana" for e in logged)
    assert logged[0]["payload"]["fingerprint"] == d1.fingerprint
    assert logged[1]["payload"]["fingerprint"] == d2.fingerprint
    assert "s3://lake" not in json.dumps(logged)
    assert {tuple(e["payload"]["source"]) for e in logged[2:4]} == {
        ("dataset", d1.id), ("dataset", d2.id)}  # fmt: skip
    assert logged[5]["payload"]["reason_sha256"] == hashlib.sha256(b'"promote"').hexdigest()
    assert log.verify().ok


def test_lineage_includes_the_windows_served(registry: Registry, engine: Engine) -> None:
    registry.set_alias("fraud", "production", "1")
    with session_factory(engine)() as session:
        from driftline.store import Model, Project

        version_id = session.scalar(
            select(ModelVersion.id)
            .join(Model, Model.id == ModelVersion.model_id)
            .join(Project, Project.id == Model.project_id)
            .where(Project.name == registry.project, ModelVersion.version == "1")
        )
    assert version_id is not None
    now_us = int(time.time() * 1e6)
    table = pa.table({"prediction_id": ["a", "b"], "timestamp": pa.array([now_us, now_us], pa.timestamp("us", tz="UTC")),
                      "x": [1.0, 2.0], "age": [3.0, 4.0], "flag": [True, False], "score": [0.1, 0.9]})  # fmt: skip
    result = PredictionStore(engine).ingest_batch(version_id, table)
    assert result.stored
    graph = registry.lineage("fraud@production")
    windows = [n for n in graph.nodes if n.kind == "window"]
    assert len(windows) == 1
    assert windows[0].attributes["rows"] == 2
    assert any(link.relation == "served" for link in graph.links)


# The requirements of an OpenLineage 2-0-2 RunEvent (https://openlineage.io/spec/2-0-2/
# OpenLineage.json), restated here: required fields and their formats, datasets with a
# namespace and name, facets carrying _producer and _schemaURL.
_FACET = {"type": "object", "required": ["_producer", "_schemaURL"],
          "properties": {"_producer": {"type": "string", "format": "uri"},
                         "_schemaURL": {"type": "string", "format": "uri"}}}  # fmt: skip
_DATASET = {"type": "object", "required": ["namespace", "name"],
            "properties": {"namespace": {"type": "string"}, "name": {"type": "string"},
                           "facets": {"type": "object", "additionalProperties": _FACET}}}  # fmt: skip
RUN_EVENT = {
    "type": "object",
    "required": ["eventTime", "producer", "schemaURL", "run", "job"],
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "format": "uri"},
        "schemaURL": {"type": "string", "format": "uri"},
        "run": {"type": "object", "required": ["runId"],
                "properties": {"runId": {"type": "string", "format": "uuid"}}},
        "job": {"type": "object", "required": ["namespace", "name"]},
        "inputs": {"type": "array", "items": _DATASET},
        "outputs": {"type": "array", "items": _DATASET},
    },
}  # fmt: skip


def test_openlineage_events_follow_the_run_event_schema(registry: Registry) -> None:
    import jsonschema

    train = pa.table({"x": [1.0], "age": [2], "flag": [True]})
    registry.register_dataset("train", train)
    registry.record_training("fraud", "1", run="run-1", datasets=["train"])
    registry.set_alias("fraud", "production", "1")
    events = registry.lineage("fraud@production").to_openlineage("driftline://p")
    assert [e["job"]["name"] for e in events] == ["train/run-1", "alias_move/fraud@production #1"]
    checker = jsonschema.Draft202012Validator(
        RUN_EVENT, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for event in events:
        checker.validate(event)
    bad = {**events[0], "run": {"runId": "not-a-uuid"}}
    with pytest.raises(jsonschema.ValidationError):
        checker.validate(bad)


# audit --------------------------------------------------------------------------------------
def _audited(registry: Registry, tmp_path: Path, actor: str = "subject:ana") -> Registry:
    from driftline.audit import AuditLog

    log = AuditLog(registry.engine)  # the default key of the database: one for all tests
    return Registry(registry.engine, project=registry.project, actor=actor,
                    artifacts=registry.artifacts, audit=log)  # fmt: skip


def test_audited_artifact_upload_and_refusals(registry: Registry, tmp_path: Path) -> None:
    audited = _audited(registry, tmp_path)
    log = audited.audit
    assert log is not None
    start = log.size()
    path = onnx_model(tmp_path / "m.onnx")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DigestMismatchError):
        audited.upload_artifact("fraud", "1", path, expected_sha256="0" * 64)
    with pytest.raises(NotFoundError):
        audited.upload_artifact("fraud", "9", path)
    with pytest.raises(NotFoundError):
        audited.set_alias("fraud", "production", "9")
    with pytest.raises(NotFoundError):
        audited.remove_alias("fraud", "staging")
    assert log.size() == start
    record = audited.upload_artifact("fraud", "1", path, expected_sha256=digest)
    assert audited.upload_artifact("fraud", "1", path).created is False
    (event,) = log.entries(after=start - 1)
    payload = json.loads(event.record)["payload"]
    assert (payload["sha256"], payload["size"], payload["flavor"]) == (digest, record.size, "onnx")
    assert json.loads(event.record)["actor"] == "subject:ana"
    assert log.verify().ok


def test_a_failed_audit_append_rolls_the_change_back(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event and the change commit together: when the append fails, so does the move."""
    audited = _audited(registry, tmp_path)
    assert audited.audit is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(audited.audit, "append_many", broken)
    with pytest.raises(OSError, match="disk full"):
        audited.set_alias("fraud", "production", "1")
    assert registry.alias_history("fraud") == []
    with pytest.raises(OSError, match="disk full"):
        audited.register_dataset("train", pa.table({"x": [1.0]}))
    with session_factory(registry.engine)() as session:
        from driftline.store import Dataset, Project

        pid = session.scalar(select(Project.id).where(Project.name == registry.project))
        assert session.scalars(select(Dataset).where(Dataset.project_id == pid)).all() == []


def test_audit_parameter_rules(registry: Registry, tmp_path: Path) -> None:
    from driftline.audit import AuditLog

    with pytest.raises(ParameterError, match="must be a reference"):
        _audited(registry, tmp_path, actor="ana")
    default = Registry(registry.engine, project=registry.project,
                       artifacts=registry.artifacts, audit=AuditLog(registry.engine))  # fmt: skip
    assert default.engine is registry.engine
    start = default.audit.size() if default.audit is not None else 0
    default.set_alias("fraud", "staging", "1")
    assert default.audit is not None
    (event,) = default.audit.entries(after=start - 1)
    assert json.loads(event.record)["actor"] == "system:local"
    with pytest.raises(ParameterError, match="one database"):
        Registry("sqlite://", project=registry.project, audit=AuditLog(registry.engine))
    with pytest.raises(ParameterError, match="AuditLog or None"):
        Registry(registry.engine, project=registry.project, audit="log")  # type: ignore[arg-type]
