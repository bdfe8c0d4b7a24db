"""Audit fixtures: the store's database factories (SQLite file, fresh PostgreSQL database)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest_audit",
    Path(__file__).resolve().parents[1] / "store" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_conftest)
postgres_databases = _store_conftest.postgres_databases
new_database_url = _store_conftest.new_database_url
