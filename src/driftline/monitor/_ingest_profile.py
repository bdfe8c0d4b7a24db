"""Merge a precomputed profile (a Dask or Spark job, the SDK) into a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.store import ModelVersion, VersionSchema, Window, write_options
from driftline.store._bulk import upsert_windows

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile

__all__ = ["ingest_profile"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _key_of(start: datetime, size_seconds: int) -> int:
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)  # naive times are UTC, as for prediction rows
    micros = (start - _EPOCH) // timedelta(microseconds=1)
    width = size_seconds * 1_000_000
    return int((micros // width) * width)


def ingest_profile(
    engine: Engine,
    version_id: str,
    profile: DatasetProfile,
    *,
    start: datetime | None = None,
    window_key: int | None = None,
) -> Window:
    """Merge ``profile`` into a window of ``version_id`` (created if missing); return it.

    Time windows: give ``start`` (any moment inside the window; naive = UTC) or the
    ``window_key`` (the window start in microseconds since the epoch). Row windows: give
    ``window_key`` (the window's index), or nothing for the newest window. The window's
    ``row_count`` grows by ``profile.n_rows`` and it is marked for recomputation; its
    ``version`` goes up, so a monitor computing it concurrently re-reads it. The profile
    must hold every feature column of the version's schema (profile them as
    :func:`driftline.monitor.profile_rows` does, so kinds match).

    >>> import numpy as np, pyarrow as pa
    >>> from datetime import datetime, UTC
    >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
    >>> from driftline.store import session_factory
    >>> from driftline.monitor import profile_rows
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> schema = VersionSchema({"x": "numeric"})
    >>> with session_factory(engine).begin() as session:
    ...     catalog = Catalog(session)
    ...     model = catalog.create_model(catalog.create_project("p").id, "m")
    ...     version = catalog.create_version(model.id, "1", schema)
    >>> p = profile_rows(schema, pa.table({"x": np.arange(100.0), "score": np.full(100, 0.5)}))
    >>> w = ingest_profile(engine, version.id, p, start=datetime(2026, 1, 1, 10, 30, tzinfo=UTC))
    >>> w.row_count, w.start_at.hour, w.dirty
    (100, 10, True)
    """
    from driftline.profiles import DatasetProfile

    if not isinstance(profile, DatasetProfile):
        raise ParameterError(
            f"The 'profile' parameter must be a DatasetProfile; got {type(profile).__name__}."
        )
    if profile.n_rows < 1:
        raise ParameterError("The profile describes no rows; there is nothing to merge.")
    if start is not None and window_key is not None:
        raise ParameterError("Give 'start' or 'window_key', not both.")
    if start is not None and not isinstance(start, datetime):
        raise ParameterError(f"The 'start' parameter must be a datetime; got {start!r}.")
    if window_key is not None and (isinstance(window_key, bool) or not isinstance(window_key, int)):
        raise ParameterError(f"The 'window_key' parameter must be an integer; got {window_key!r}.")
    options = write_options(engine)
    with engine.connect().execution_options(**options) as conn, conn.begin():
        stmt = select(
            ModelVersion.schema, ModelVersion.window_kind, ModelVersion.window_size
        ).where(ModelVersion.id == version_id)
        if conn.dialect.name == "postgresql":  # serialize with row-window ingestion
            stmt = stmt.with_for_update()
        found = conn.execute(stmt).first()
        if found is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        schema = VersionSchema.from_dict(found[0])
        kind, size = str(found[1]), int(found[2])
        missing = [c for c in schema.features if c not in profile]
        if missing:
            raise SchemaMismatchError(
                f"The profile lacks the feature column(s) {missing} of the version's schema; "
                f"it has {profile.column_names}."
            )
        if kind == "time":
            if start is None and window_key is None:
                raise ParameterError(
                    "Time windows need 'start' (a moment inside the window) or 'window_key'."
                )
            key = _key_of(start, size) if start is not None else int(window_key or 0)
            width = size * 1_000_000
            if key % width:
                raise ParameterError(
                    f"window_key {key} is not the start of a {size}-second window "
                    f"(a multiple of {width} microseconds); pass 'start' instead."
                )
        else:
            if start is not None:
                raise ParameterError("Row windows are addressed by 'window_key' (an index).")
            if window_key is None:
                newest = conn.execute(
                    select(Window.window_key)
                    .where(Window.model_version_id == version_id)
                    .order_by(Window.window_key.desc())
                    .limit(1)
                ).scalar()
                key = 0 if newest is None else int(newest)
            else:
                key = int(window_key)
            if key < 0:
                raise ParameterError(f"Row window keys are >= 0; got {key}.")
        window_id = upsert_windows(conn, version_id, [key], kind, size)[key]
        read = select(Window.profile).where(Window.id == window_id)
        if conn.dialect.name == "postgresql":
            read = read.with_for_update()
        stored = conn.execute(read).scalar()
        try:
            merged = profile if stored is None else DatasetProfile.from_bytes(stored).merge(profile)
        except (TypeError, ValueError) as exc:
            raise SchemaMismatchError(
                f"The profile cannot be merged into window {key}'s profile: {exc}"
            ) from exc
        conn.execute(
            update(Window)
            .where(Window.id == window_id)
            .values(
                profile=merged.to_bytes(),
                row_count=Window.row_count + profile.n_rows,
                dirty=True,
                version=Window.version + 1,
            )
        )
    with Session(engine, expire_on_commit=False) as session:
        window = session.get(Window, window_id)
        assert window is not None
        session.expunge(window)
    return window
