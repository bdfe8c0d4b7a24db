"""Alembic environment: runs driftline's migrations on the engine the caller passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from driftline.store._audit_tables import Base  # the metadata with every table
from driftline.store._engine import create_engine_from_url


def _run() -> None:
    config = context.config
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine_from_url(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


# This file is executed by Alembic; importing it elsewhere (doctest collection) is a no-op.
if getattr(context, "config", None) is not None:
    _run()
