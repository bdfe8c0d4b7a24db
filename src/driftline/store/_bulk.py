"""Dialect-specific bulk statements: id lookups, index-row inserts (SQLite executemany,
PostgreSQL COPY or insertmanyvalues) and window upserts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from driftline.store._models import Prediction, Window
from driftline.store._uuid7 import uuid7_strings

__all__ = [
    "dialect_insert",
    "existing_ids",
    "insert_index_rows",
    "lookup_predictions",
    "upsert_windows",
]

_COLUMNS = (
    "model_version_id",
    "prediction_id",
    "batch_id",
    "window_id",
    "ts_us",
    "score",
    "prediction",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dialect_insert(conn: Connection, table: Any) -> Any:
    """An INSERT supporting ``on_conflict_*`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _id_filter(conn: Connection) -> str:
    # The ids travel as one JSON array parameter: one round trip, no parameter limit, and
    # far cheaper to bind than a driver-adapted array of thousands of strings.
    if conn.dialect.name == "postgresql":
        return "prediction_id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))"
    return "prediction_id IN (SELECT value FROM json_each(:ids))"


def _ids_param(conn: Connection, ids: list[str]) -> Any:
    return json.dumps(ids)


def existing_ids(conn: Connection, version_id: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are already stored for the version (one query, any length)."""
    if not ids:
        return set()
    rows = conn.execute(
        text(
            f"SELECT prediction_id FROM predictions WHERE model_version_id = :v "
            f"AND {_id_filter(conn)}"
        ),
        {"v": version_id, "ids": _ids_param(conn, ids)},
    )
    return {r[0] for r in rows}


def lookup_predictions(
    conn: Connection, version_id: str, ids: list[str]
) -> list[tuple[str, str, float | None]]:
    """(prediction id, window id, current label) of the stored ones among ``ids``."""
    if not ids:
        return []
    rows = conn.execute(
        text(
            f"SELECT prediction_id, window_id, label FROM predictions "
            f"WHERE model_version_id = :v AND {_id_filter(conn)}"
        ),
        {"v": version_id, "ids": _ids_param(conn, ids)},
    )
    return [(r[0], r[1], r[2]) for r in rows]


def _column(part: pa.Table, name: str) -> pa.Array | pa.ChunkedArray:
    if name in part.column_names:
        return part[name]
    return pa.nulls(part.num_rows, pa.float64())


def insert_index_rows(
    conn: Connection,
    version_id: str,
    batch_id: str,
    window_id: str,
    part: pa.Table,
    ts_us: np.ndarray,
    *,
    pg_bulk: Literal["copy", "executemany"],
) -> None:
    """Insert one narrow index row per prediction of ``part``."""
    n = part.num_rows
    if conn.dialect.name == "postgresql" and pg_bulk == "copy":
        csv_table = pa.table(
            {
                "v": pa.array(np.full(n, version_id, dtype=object), pa.string()),
                "p": part["prediction_id"],
                "b": pa.array(np.full(n, batch_id, dtype=object), pa.string()),
                "w": pa.array(np.full(n, window_id, dtype=object), pa.string()),
                "t": pa.array(ts_us, pa.int64()),
                "s": _column(part, "score"),
                "y": _column(part, "prediction"),
            }
        )
        buffer = io.BytesIO()
        pa_csv.write_csv(csv_table, buffer, pa_csv.WriteOptions(include_header=False))
        raw = conn.connection.driver_connection
        if raw is None:  # pragma: no cover - a pooled connection always has one
            raise RuntimeError("no DBAPI connection for COPY")
        with raw.cursor() as cursor:
            statement = f"COPY predictions ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT csv)"
            try:
                with cursor.copy(statement) as copy:
                    copy.write(buffer.getvalue())
            except Exception as exc:
                if getattr(exc, "sqlstate", None) == "23505":  # unique_violation
                    raise IntegrityError(statement, None, exc) from exc
                raise
        return
    rows = list(
        zip(
            repeat(version_id, n),
            part["prediction_id"].to_pylist(),
            repeat(batch_id, n),
            repeat(window_id, n),
            ts_us.tolist(),
            _column(part, "score").to_pylist(),
            _column(part, "prediction").to_pylist(),
            strict=False,
        )
    )
    if conn.dialect.name == "postgresql":
        conn.execute(insert(Prediction), [dict(zip(_COLUMNS, r, strict=True)) for r in rows])
        return
    placeholders = ", ".join("?" for _ in _COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO predictions ({', '.join(_COLUMNS)}) VALUES ({placeholders})", rows
    )


def upsert_windows(
    conn: Connection, version_id: str, keys: list[int], kind: str, size: int
) -> dict[int, str]:
    """Create the version's windows with these keys if missing; map key -> window id."""
    ids = uuid7_strings(len(keys)).tolist()
    values = []
    for key, window_id in zip(keys, ids, strict=True):
        start = end = None
        if kind == "time":
            start = _EPOCH + timedelta(microseconds=key)
            end = start + timedelta(seconds=size)
        values.append(
            {
                "id": window_id,
                "model_version_id": version_id,
                "window_key": key,
                "start_at": start,
                "end_at": end,
                "row_count": 0,
                "label_count": 0,
                "status": "open",
                "dirty": True,
                "version": 0,
                "created_at": datetime.now(UTC),
            }
        )
    stmt = dialect_insert(conn, Window).on_conflict_do_nothing(
        index_elements=["model_version_id", "window_key"]
    )
    conn.execute(stmt, values)
    rows = conn.execute(
        select(Window.window_key, Window.id)
        .where(Window.model_version_id == version_id)
        .where(Window.window_key.in_(keys))
    ).all()
    return {int(k): str(i) for k, i in rows}
