"""Write sessions on SQLite take the write lock up front, so a read-then-write transaction
does not fail when another connection commits in between (WAL snapshot conflict)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from driftline.store import (
    Catalog,
    Project,
    create_engine_from_url,
    migrate,
    session_factory,
    write_session_factory,
)


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return engine


def test_a_deferred_transaction_fails_on_a_stale_snapshot(tmp_path: Path) -> None:
    """The failure mode the write sessions exist for (so this test can tell them apart)."""
    engine = _engine(tmp_path)
    plain, writes = session_factory(engine), write_session_factory(engine)
    with plain.begin() as session:
        session.execute(select(Project)).all()  # a read snapshot
        with writes.begin() as other:
            Catalog(other).create_project("other")
        with pytest.raises(OperationalError, match="locked"):
            Catalog(session).create_project("mine")  # flushes: the write needs the lock
        session.rollback()


def test_concurrent_read_then_write_transactions_both_succeed(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writes = write_session_factory(engine)
    errors: list[BaseException] = []
    inside = threading.Event()

    def slow() -> None:
        try:
            with writes.begin() as session:
                session.execute(select(Project)).all()
                inside.set()
                time.sleep(0.3)  # the other writer commits (or waits) meanwhile
                Catalog(session).create_project("slow")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    inside.wait(5)
    with writes.begin() as session:
        Catalog(session).create_project("fast")
    thread.join(10)
    assert errors == []
    with session_factory(engine)() as session:
        assert sorted(session.scalars(select(Project.name))) == ["fast", "slow"]
