"""Store fixtures: a migrated SQLite file and a fresh PostgreSQL database per test session.

PostgreSQL comes from ``DRIFTLINE_TEST_POSTGRES_URL`` (an admin URL; default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). A database named
``driftline_test_<random>`` is created for the session and dropped after it. When the
server is unreachable the PostgreSQL tests fail under ``CI=true`` and are skipped otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from driftline.store import (
    Catalog,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)

ADMIN_URL = os.environ.get(
    "DRIFTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FEATURES = VersionSchema({"x": "numeric", "city": "categorical", "flag": "boolean"})


def _unreachable(reason: str) -> None:
    message = f"PostgreSQL is unreachable at {ADMIN_URL}: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(message)


class PostgresDatabases:
    """Creates throw-away databases on the local server and drops them at the end."""

    def __init__(self) -> None:
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new(self) -> str:
        name = f"driftline_test_{secrets.token_hex(6)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    try:
        with databases.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error means "unreachable"
        databases.admin.dispose()
        _unreachable(str(exc).splitlines()[0])
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def new_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """A factory of empty databases: ``new_database_url("sqlite" | "postgres")``."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            path: Path = tmp_path_factory.mktemp("sqlite") / "driftline.db"
            return f"sqlite:///{path}"
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.new()

    return make


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def engine(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    """A migrated engine on SQLite (temporary file) and on PostgreSQL (fresh database)."""
    url = new_database_url(request.param)
    eng = create_engine_from_url(url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def version_id(engine: Engine) -> str:
    """A new project, model and version (one numeric, one categorical, one boolean feature)."""
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project(f"project-{secrets.token_hex(6)}")
        model = catalog.create_model(project.id, "churn")
        return catalog.create_version(model.id, "1", FEATURES).id
