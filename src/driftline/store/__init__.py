"""SQLAlchemy 2 tables and repositories, Alembic migrations (SQLite by default, PostgreSQL for teams)."""

__all__: list[str] = []
