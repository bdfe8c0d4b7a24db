"""``verify`` finds every kind of tampering, done by direct SQL on the real SQLite file
(the ``sqlite3`` module, no driftline code) and on the PostgreSQL rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from driftline.audit import AuditLog, Event, leaf_hash
from driftline.exceptions import AuditIntegrityError
from driftline.store import create_engine_from_url, migrate

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Tamper:
    """Runs SQL as an attacker with write access to the database would."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite_file = engine.url.database if engine.dialect.name == "sqlite" else None

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.sqlite_file is not None:
            conn = sqlite3.connect(self.sqlite_file)
            try:
                rows = conn.execute(sql, params).fetchall()
                conn.commit()
            finally:
                conn.close()
            return rows
        with self.engine.begin() as conn:
            result = conn.exec_driver_sql(sql.replace("?", "%s"), params)
            return [tuple(r) for r in result.all()] if result.returns_rows else []

    def record(self, seq: int) -> bytes:
        return bytes(self.run("SELECT record FROM audit_entries WHERE seq = ?", seq)[0][0])


@pytest.fixture(params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[AuditLog, Tamper]]:
    engine = create_engine_from_url(new_database_url(request.param))
    migrate(engine)
    log = AuditLog(engine, key=tmp_path / "audit.pem")
    for i in range(5):  # heads of size 1..5
        log.append("project.created", {"name": f"p{i}"}, project=f"p{i}")
    log.append_many([Event("token.created", {"n": i}, "p1", "token:t") for i in range(10)])
    for i in range(5):  # heads of size 16..20
        log.append("alert_rule.changed", {"n": i}, project="p2")
    assert log.verify().ok
    yield log, Tamper(engine)
    engine.dispose()


def _kinds(log: AuditLog) -> dict[str, list[Any]]:
    report = log.verify()
    assert not report.ok
    found: dict[str, list[Any]] = {}
    for p in report.problems:
        found.setdefault(p.kind, []).append(p.seq if p.seq is not None else p.head_id)
    return found


def test_edited_entry(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    db.run("UPDATE audit_entries SET record = ? WHERE seq = 3", db.record(3).replace(b"p3", b"pX"))
    found = _kinds(log)
    assert set(found["edited"]) == {3}  # its leaf hash, and its project column
    assert "root" in found  # every head from size 4 on
    assert log.verify().problems[0].message.startswith("Entry 3 was edited")


def test_edited_entry_with_its_leaf_hash_recomputed(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    forged = db.record(3).replace(b"p3", b"pX")
    db.run(
        "UPDATE audit_entries SET record = ?, leaf_hash = ? WHERE seq = 3",
        forged,
        leaf_hash(forged),
    )
    found = _kinds(log)
    assert "edited" in found  # the project column no longer matches the record
    roots = [p for p in log.verify().problems if p.kind == "root"]
    # the first head that no longer matches is the one of size 4: entries 0..3
    assert roots[0].message.startswith("Tree head #4 (size 4)")


def test_deleted_entry(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    db.run("DELETE FROM audit_entries WHERE seq = 7")
    found = _kinds(log)
    assert found["missing"] == [7]
    assert "root" in found
    assert "truncated" in found


def test_inserted_entry(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    db.run("UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 5")
    db.run("UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000")
    forged = db.record(6).replace(b'"seq":5', b'"seq":5').replace(b'"n":0', b'"n":99')
    db.run(
        "INSERT INTO audit_entries (seq, event_type, project_id, record, leaf_hash, created_at) "
        "SELECT 5, event_type, project_id, ?, ?, created_at FROM audit_entries WHERE seq = 6",
        forged,
        leaf_hash(forged),
    )
    found = _kinds(log)
    assert found["inserted"][0] == 6  # entry 6 now holds the record of 5
    assert "extra" in found
    assert "root" in found
    with pytest.raises(AuditIntegrityError, match="21 entries"):
        log.append("project.created", {})


def test_reordered_entries(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    (r3, h3), (r4, h4) = (
        db.run("SELECT record, leaf_hash FROM audit_entries WHERE seq = ?", s)[0] for s in (3, 4)
    )
    db.run(
        "UPDATE audit_entries SET record = ?, leaf_hash = ?, project_id = 'p4' WHERE seq = 3",
        r4,
        h4,
    )
    db.run(
        "UPDATE audit_entries SET record = ?, leaf_hash = ?, project_id = 'p3' WHERE seq = 4",
        r3,
        h3,
    )
    found = _kinds(log)
    assert found["reordered"] == [3, 4]
    assert "edited" not in found
    assert "root" in found


def test_truncated_log(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    db.run("DELETE FROM audit_entries WHERE seq >= 15")
    found = _kinds(log)
    assert sorted(found["truncated"]) == [7, 8, 9, 10, 11]  # the heads of sizes 16..20
    assert set(found) == {"truncated", "node"}  # and Merkle nodes over the deleted entries


def test_rolled_back_tree_head(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    # Replay an old, validly signed head as the latest one.
    db.run(
        "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp_ms, key_id, public_key, "
        "signature, frontier) SELECT tree_size, root_hash, timestamp_ms, key_id, public_key, "
        "signature, frontier FROM audit_tree_heads WHERE tree_size = 5"
    )
    found = _kinds(log)
    assert found["rollback"] == [12]
    assert "extra" in found
    with pytest.raises(AuditIntegrityError):
        log.append("project.created", {})


def test_rollback_of_entries_and_heads_is_caught_by_a_kept_checkpoint(
    setup: tuple[AuditLog, Tamper],
) -> None:
    log, db = setup
    checkpoint = log.export_checkpoint()  # kept outside the database
    db.run("DELETE FROM audit_entries WHERE seq >= 15")
    db.run("DELETE FROM audit_tree_heads WHERE tree_size > 15")
    db.run("DELETE FROM audit_nodes WHERE (idx + 1) * (1 << level) > 15")
    assert log.verify().ok
    # A consistent smaller log: only the checkpoint shows what happened.
    report = log.verify(checkpoints=[checkpoint])
    assert [p.kind for p in report.problems] == ["checkpoint"]
    assert "truncated or rolled back" in report.problems[0].message


def test_re_signed_head_with_another_key_is_untrusted(setup: tuple[AuditLog, Tamper]) -> None:
    from driftline.audit import SigningKey
    from driftline.audit._keys import sign_head

    log, db = setup
    mallory = SigningKey.generate()
    head = log.tree_head()
    forged = sign_head(mallory, head.tree_size, head.root_hash, head.timestamp_ms + 1)
    db.run(
        "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp_ms, key_id, public_key, "
        "signature, frontier) SELECT ?, ?, ?, ?, ?, ?, frontier FROM audit_tree_heads "
        "WHERE id = 11",
        forged.tree_size, forged.root_hash, forged.timestamp_ms, forged.key_id,
        mallory.public_key, forged.signature,
    )  # fmt: skip
    assert _kinds(log) == {"untrusted_key": [12]}
    db.run("UPDATE audit_tree_heads SET timestamp_ms = timestamp_ms + 1 WHERE id = 3")
    assert _kinds(log)["signature"] == [3]


def test_tampered_merkle_node_and_frontier(setup: tuple[AuditLog, Tamper]) -> None:
    log, db = setup
    db.run("UPDATE audit_nodes SET hash = ? WHERE level = 4 AND idx = 0", b"\x00" * 32)
    assert _kinds(log) == {"node": [None]}
    db.run("UPDATE audit_tree_heads SET frontier = ? WHERE id = 11", b"\x00" * 64)
    assert _kinds(log) == {"node": [11, None]}  # the head (during the pass), then the node
