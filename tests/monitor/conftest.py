"""Monitor fixtures: migrated SQLite and PostgreSQL engines, versions with reference data."""

from __future__ import annotations

import importlib.util
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine

from driftline.monitor import profile_rows
from driftline.store import (
    Catalog,
    PredictionStore,
    VersionSchema,
    create_engine_from_url,
    migrate,
    session_factory,
)
from driftline.testing import make_monitoring_data

# The PostgreSQL fixtures of the store tests (fresh database per session; FAIL under CI=true).
_spec = importlib.util.spec_from_file_location(
    "_driftline_store_conftest_for_monitor",
    Path(__file__).resolve().parents[1] / "store" / "conftest.py",
)
assert _spec is not None
assert _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_conftest)
postgres_databases = _store_conftest.postgres_databases
new_database_url = _store_conftest.new_database_url

FEATURES = {
    c: ("numeric" if c.startswith("num_") else "categorical")
    for c in make_monitoring_data(10, seed=0)[0].columns
    if c.startswith(("num_", "cat_"))
}
SCHEMA = VersionSchema(FEATURES, task="binary")
_RENAME = {"proba": "score", "y_pred": "prediction"}


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def engine(
    request: pytest.FixtureRequest, new_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    """A migrated engine on SQLite (temporary file) and on PostgreSQL (fresh database)."""
    eng = create_engine_from_url(new_database_url(request.param))
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file of this test alone."""
    eng = create_engine_from_url(f"sqlite:///{tmp_path / 'monitor.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


def as_rows(frame: pd.DataFrame, *, ids: str | None = None, start: int = 0) -> pa.Table:
    """Prediction rows of a monitoring-data frame: features, score, prediction, ids."""
    table = pa.Table.from_pandas(frame.drop(columns=["target"]), preserve_index=False)
    table = table.rename_columns([_RENAME.get(c, c) for c in table.column_names])
    table = table.set_column(
        table.column_names.index("prediction"),
        "prediction",
        table["prediction"].cast(pa.float64()),
    )
    if ids is not None:
        table = table.append_column(
            "prediction_id", pa.array([f"{ids}-{start + i}" for i in range(len(frame))])
        )
    return table


def reference_table(frame: pd.DataFrame) -> pa.Table:
    """The reference scores, predictions and labels a version keeps for estimation."""
    return pa.table(
        {
            "score": frame["proba"].to_numpy(np.float64),
            "prediction": frame["y_pred"].to_numpy(np.float64),
            "label": frame["target"].to_numpy(np.float64),
        }
    )


@dataclass
class Setup:
    engine: Engine
    version_id: str
    store: PredictionStore

    def ingest(self, table: pa.Table, batch_rows: int = 1_000) -> list[str]:
        ids: list[str] = []
        for offset in range(0, table.num_rows, batch_rows):
            result = self.store.ingest_batch(self.version_id, table.slice(offset, batch_rows))
            assert not result.rejected, result.rejected[:3]
            ids += result.prediction_ids
        return ids


def make_version(
    engine: Engine,
    reference: pd.DataFrame | None,
    *,
    schema: VersionSchema = SCHEMA,
    window_kind: str = "rows",
    window_size: int = 5_000,
    reference_data: pa.Table | None = None,
    **_: Any,
) -> Setup:
    """A new project, model and version with ``reference`` profiled and its labels kept."""
    profile = None
    data = reference_data
    if reference is not None:
        profile = profile_rows(schema, as_rows(reference))
        if data is None:
            data = reference_table(reference)
    with session_factory(engine).begin() as session:
        catalog = Catalog(session)
        project = catalog.create_project(f"project-{secrets.token_hex(6)}")
        model = catalog.create_model(project.id, "scorer")
        version = catalog.create_version(
            model.id,
            "1",
            schema,
            reference_profile=profile,
            reference_data=data,
            window_kind=window_kind,  # type: ignore[arg-type]
            window_size=window_size,
        )
    return Setup(engine, version.id, PredictionStore(engine))


class Helpers:
    """Helpers for the tests (conftest modules cannot be imported under importlib mode)."""

    schema = SCHEMA
    features = FEATURES
    as_rows = staticmethod(as_rows)
    reference_table = staticmethod(reference_table)
    make_version = staticmethod(make_version)


@pytest.fixture
def h() -> type[Helpers]:
    """The helpers."""
    return Helpers
