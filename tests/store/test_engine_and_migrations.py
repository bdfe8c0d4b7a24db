from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from driftline.exceptions import ParameterError
from driftline.store import create_engine_from_url, migrate
from driftline.store._engine import alembic_config
from driftline.store._models import Base


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migration_matches_the_models(backend: str, new_database_url: Callable[[str], str]) -> None:
    url = new_database_url(backend)
    migrate(url)
    migrate(url)  # a second upgrade is a no-op
    engine = create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_downgrade_then_upgrade(new_database_url: Callable[[str], str]) -> None:
    engine = create_engine_from_url(new_database_url("sqlite"))
    migrate(engine)
    command.downgrade(alembic_config(engine), "base")
    assert "predictions" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "predictions" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "deep" / "dir" / "x.db").exists()
    engine.dispose()


def test_default_url_creates_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRIFTLINE_DATABASE_URL", raising=False)
    engine = create_engine_from_url()
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert (tmp_path / ".driftline" / "driftline.db").exists()
    engine.dispose()


def test_environment_variable_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    engine = create_engine_from_url()
    assert engine.url.database == str(tmp_path / "env.db")
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "sqlite:/// or postgresql\\+psycopg://"),
        ("postgresql+psycopg2://u@h/db", "psycopg 3 driver"),
    ],
)
def test_bad_urls_are_rejected(url: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        create_engine_from_url(url)


def test_foreign_keys_are_enforced_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'fk.db'}")
    migrate(engine)
    with engine.connect() as conn, pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute(
            text(
                "INSERT INTO models (id, project_id, name, created_at) VALUES ('m', 'nope', 'n', '2024-01-01')"
            )
        )
    engine.dispose()
