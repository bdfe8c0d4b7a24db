"""AuditLog on SQLite and PostgreSQL: appends, heads, proofs, subjects, concurrency, refusals."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from driftline.audit import (
    AuditLog,
    Event,
    SigningKey,
    canonical_json,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from driftline.exceptions import NotFoundError, ParameterError
from driftline.store import (
    AuditEntry,
    AuditTreeHead,
    create_engine_from_url,
    migrate,
    write_session_factory,
)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    eng = create_engine_from_url(new_database_url(request.param))
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def log(engine: Engine, tmp_path: Path) -> AuditLog:
    return AuditLog(engine, key=tmp_path / "audit.pem")


def test_append_hashes_the_canonical_record(log: AuditLog) -> None:
    event = log.append(
        "token.created", {"token_id": "abc", "role": "viewer"}, project="p1", actor="token:t1"
    )
    fields = event.fields()
    assert event.seq == 0
    assert fields["seq"] == 0
    assert fields["payload"]["role"] == "viewer"
    assert canonical_json(fields) == event.record
    assert event.leaf_hash == leaf_hash(event.record)
    head = log.tree_head()
    assert head.tree_size == 1
    assert head.root_hash == event.leaf_hash
    assert head.verify(log.key.public_key)


def test_batches_sign_one_head_each_and_every_proof_verifies(log: AuditLog, engine: Engine) -> None:
    log.append("project.created", {"name": "a"}, project="p1")
    log.append_many([Event("token.created", {"i": i}, "p1", "token:x") for i in range(40)])
    log.append_many([Event("token.revoked", {"i": i}, "p2") for i in range(9)])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditTreeHead)) == 3
    heads = {n: log.tree_head(n) for n in (1, 41, 50)}
    head = log.tree_head()
    assert head.tree_size == 50
    for seq in range(50):
        proof = log.inclusion_proof(seq)
        assert len(proof.path) <= 6
        assert verify_inclusion(proof.leaf_hash, seq, 50, list(proof.path), head.root_hash)
        old = log.inclusion_proof(0, 41)
        assert verify_inclusion(old.leaf_hash, 0, 41, list(old.path), heads[41].root_hash)
    for first, h in heads.items():
        c = log.consistency_proof(first)
        assert verify_consistency(first, 50, h.root_hash, head.root_hash, list(c.path))
    assert log.verify().ok


def test_entries_filter_by_project(log: AuditLog) -> None:
    log.append_many([Event("token.created", {"i": i}, "p1" if i % 2 else "p2") for i in range(10)])
    p1 = log.entries(project="p1")
    assert [e.seq for e in p1] == [1, 3, 5, 7, 9]
    assert [e.seq for e in log.entries(project="p1", after=5, limit=1)] == [7]
    assert log.entry(4).project_id == "p2"
    with pytest.raises(NotFoundError):
        log.entry(10)


def test_append_in_the_callers_transaction_rolls_back_with_it(
    log: AuditLog, engine: Engine
) -> None:
    log.append("project.created", {"name": "kept"})

    def failing_change() -> None:
        with write_session_factory(engine).begin() as session:
            log.append("project.created", {"name": "lost"}, session=session)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert log.size() == 1
    assert log.verify().ok
    with write_session_factory(engine).begin() as session:
        log.append("project.created", {"name": "with"}, session=session)
    assert log.size() == 2
    assert log.verify().ok


def test_concurrent_appends_are_serialized(engine: Engine, tmp_path: Path) -> None:
    key = SigningKey.load_or_create(tmp_path / "k.pem")
    errors: list[BaseException] = []

    def work(i: int) -> None:
        own = AuditLog(engine, key=key)  # one log object per thread, like separate processes
        try:
            for j in range(10):
                own.append("token.created", {"thread": i, "j": j})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = AuditLog(engine, key=key)
    assert log.size() == 40
    report = log.verify()
    assert report.ok, report.problems
    with engine.connect() as conn:
        seqs = conn.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert list(seqs) == list(range(40))


def test_personal_data_is_referenced_and_erasable(log: AuditLog) -> None:
    alice = log.subject(name="Alice Example", email="alice@example.com")
    event = log.append("approval.granted", {"approver": alice, "version": "1"}, actor=alice)
    assert b"alice" not in event.record.lower()
    assert b"Alice" not in event.record
    assert log.resolve_subject(alice) == {"name": "Alice Example", "email": "alice@example.com"}
    assert log.erase_subject(alice)
    assert log.resolve_subject(alice) == {"name": None, "email": None}
    assert log.verify().ok  # erasing a person breaks nothing
    assert not log.erase_subject("subject:00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda log: log.append("token.made", {}), "event_type"),
        (lambda log: log.append("token.created", [1]), "dict of JSON"),
        (lambda log: log.append("token.created", {}, actor="alice@example.com"), "personal data"),
        (lambda log: log.append("token.created", {"x": float("nan")}), "NaN"),
        (lambda log: log.append("token.created", {}, project=""), "project id"),
        (lambda log: log.append("token.created", {"b": "x" * 70_000}), "limit"),
        (lambda log: log.inclusion_proof(0), "empty"),
        (lambda log: log.consistency_proof(0, 5), "second"),
        (lambda log: log.entries(limit=0), "limit"),
        (lambda log: log.subject(), "name"),
        (lambda log: log.subject(email="x" * 400), "email"),
        (lambda log: log.resolve_subject("user:1"), "subject"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    log: AuditLog, engine: Engine, call: Callable[[AuditLog], object], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        call(log)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert conn.scalar(select(func.count()).select_from(AuditTreeHead)) == 0


def test_a_batch_with_one_bad_event_writes_nothing(log: AuditLog) -> None:
    with pytest.raises(ParameterError):
        log.append_many([Event("token.created", {}), Event("token.created", {"x": 2**60})])
    assert log.size() == 0


def test_empty_log_has_a_signed_empty_head(log: AuditLog) -> None:
    head = log.tree_head()
    assert head.tree_size == 0
    assert head.verify(log.key.public_key)
    assert log.verify().ok
    checkpoint = log.export_checkpoint()
    assert checkpoint["public_key"] == log.key.public_key.hex()


def test_key_file_is_created_next_to_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRIFTLINE_AUDIT_KEY", raising=False)
    db = tmp_path / "d.db"
    engine = create_engine_from_url(f"sqlite:///{db}")
    migrate(engine)
    log = AuditLog(engine)
    log.append("project.created", {})
    key_file = tmp_path / "d.db.audit-key.pem"
    assert key_file.exists()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert SigningKey.load(key_file).public_key == log.key.public_key
    monkeypatch.setenv("DRIFTLINE_AUDIT_KEY", str(tmp_path / "elsewhere.pem"))
    assert AuditLog(engine).key_path() == tmp_path / "elsewhere.pem"
    engine.dispose()


def test_a_foreign_key_file_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    from driftline.exceptions import SerializationError

    with pytest.raises(SerializationError, match="Ed25519"):
        SigningKey.load(path)
    (tmp_path / "junk.pem").write_text("junk")
    with pytest.raises(SerializationError, match="PEM"):
        SigningKey.load(tmp_path / "junk.pem")


def test_concurrent_key_creation_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "audit.pem"
    keys: list[bytes] = []

    def create() -> None:
        keys.append(SigningKey.load_or_create(path).public_key)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert [p.name for p in path.parent.iterdir()] == ["audit.pem"]  # no temporary left


def test_stored_proofs_equal_the_in_memory_ones(log: AuditLog) -> None:
    from driftline.audit import consistency_path, inclusion_path, subtree_of

    for size in (37, 100, 163):
        log.append_many([Event("token.created", {"i": i}) for i in range(size - log.size())])
    leaves = [e.leaf_hash for e in log.entries(limit=1000)]
    sub = subtree_of(leaves)
    for n in (1, 2, 16, 17, 37, 100, 129, 163):
        for seq in {0, n // 2, n - 1}:
            assert list(log.inclusion_proof(seq, n).path) == inclusion_path(seq, n, sub)
        for m in {0, 1, n // 3, n - 1, n}:
            assert list(log.consistency_proof(m, n).path) == consistency_path(m, n, sub)
