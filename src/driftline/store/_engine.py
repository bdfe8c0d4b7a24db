"""Engines and sessions from a database URL, and schema migrations (Alembic, in-process)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from driftline.exceptions import ParameterError

__all__ = ["DEFAULT_DATABASE_URL", "create_engine_from_url", "migrate", "session_factory"]

#: Where the database lives when neither an argument nor ``DRIFTLINE_DATABASE_URL`` says.
DEFAULT_DATABASE_URL: Final = "sqlite:///./.driftline/driftline.db"
_MIGRATIONS: Final = Path(__file__).resolve().parent / "_migrations"
_SQLITE_BEGIN = "driftline_sqlite_begin"


def _resolve(url: str | URL | None) -> URL:
    if url is None:
        url = os.environ.get("DRIFTLINE_DATABASE_URL") or DEFAULT_DATABASE_URL
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ParameterError(
            f"The 'url' parameter must be a sqlite:/// or postgresql+psycopg:// URL; "
            f"got a {backend!r} URL ({parsed.render_as_string(hide_password=True)})."
        )
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ParameterError(
            "The 'url' parameter must use the psycopg 3 driver for PostgreSQL "
            f"('postgresql+psycopg://...'); got driver {parsed.get_driver_name()!r}."
        )
    return parsed


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy (not the sqlite3 module) emit BEGIN, so transactions are real.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_engine_from_url(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (default: ``DRIFTLINE_DATABASE_URL``, then a local SQLite file).

    SQLite files get WAL journaling, ``synchronous=NORMAL``, foreign keys and a busy
    timeout on every connection; the parent directory is created. PostgreSQL needs
    ``postgresql+psycopg://``.

    >>> engine = create_engine_from_url("sqlite://")
    >>> with engine.connect() as conn:
    ...     conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    1
    """
    parsed = _resolve(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory for ``engine`` whose objects stay readable after commit.

    >>> factory = session_factory(create_engine_from_url("sqlite://"))
    >>> with factory() as session:
    ...     session.bind is not None
    True
    """
    return sessionmaker(engine, expire_on_commit=False)


def write_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory for transactions that will write.

    On SQLite their transactions begin with ``BEGIN IMMEDIATE``: a write lock taken up front
    waits (``busy_timeout``) for other writers, whereas a deferred transaction that reads,
    then writes after another connection committed fails at once with "database is
    locked" (WAL snapshot conflict). Elsewhere it is :func:`session_factory`.

    >>> factory = write_session_factory(create_engine_from_url("sqlite://"))
    >>> with factory.begin() as session:
    ...     session.connection().get_execution_options()["driftline_sqlite_begin"]
    'IMMEDIATE'
    """
    return sessionmaker(engine.execution_options(**write_options(engine)), expire_on_commit=False)


def write_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a transaction that will write (SQLite: ``BEGIN IMMEDIATE``)."""
    return {_SQLITE_BEGIN: "IMMEDIATE"} if engine.dialect.name == "sqlite" else {}


def alembic_config(engine: Engine) -> Any:
    """An Alembic ``Config`` for driftline's migrations bound to ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(url: str | URL | Engine | None = None, *, revision: str = "head") -> None:
    """Bring the database at ``url`` (or ``engine``) up to ``revision`` (Alembic upgrade).

    >>> engine = create_engine_from_url("sqlite://")
    >>> migrate(engine)
    >>> from sqlalchemy import inspect
    >>> "predictions" in inspect(engine).get_table_names()
    True
    """
    from alembic import command

    engine = url if isinstance(url, Engine) else create_engine_from_url(url)
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()
