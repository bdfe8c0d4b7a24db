"""Merge a precomputed profile (a Dask or Spark job, the SDK) into a window, after checking
that it is a profile the monitor can keep merging into (names, kinds, structure)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

import pyarrow as pa
from sqlalchemy import Engine, select

from driftline._params import Interval, check, invalid
from driftline.exceptions import DataError, ParameterError, SchemaMismatchError
from driftline.monitor._profiling import monitored_columns, profile_rows
from driftline.store import ModelVersion, VersionSchema, Window, WindowStore

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile

__all__ = ["check_window_profile", "ingest_profile"]

_SAMPLE: Final = {
    "numeric": pa.array([0.5]),
    "categorical": pa.array(["a"]),
    "boolean": pa.array([True]),
}
_SAME_STATE: Final = frozenset({"categorical", "text"})  # these kinds merge (profiles' rule)


def _template(schema: VersionSchema) -> DatasetProfile:
    """A one-row profile of every monitored column, profiled as the monitor profiles rows."""
    kinds = monitored_columns(schema)
    return profile_rows(
        schema, pa.table({name: _SAMPLE[k] for name, k in kinds.items() if k in _SAMPLE})
    )


def check_window_profile(
    profile: DatasetProfile,
    schema: VersionSchema,
    reference: DatasetProfile | None = None,
) -> None:
    """Raise :class:`SchemaMismatchError` unless ``profile`` fits windows of ``schema``.

    A window profile holds every feature of the schema with the schema's kind, and
    optionally the numeric ``score`` and ``prediction`` columns — what
    :func:`~driftline.monitor.profile_rows` makes. Its columns must also agree in kind
    with the version's ``reference`` profile (so that drift can be computed), and its
    state must merge with the profiles the monitor computes from rows. A profile that
    passes cannot make later merges into its window fail.

    >>> import pyarrow as pa
    >>> from driftline.monitor import profile_rows
    >>> from driftline.profiles import profile
    >>> from driftline.store import VersionSchema
    >>> schema = VersionSchema({"x": "numeric"})
    >>> check_window_profile(profile_rows(schema, pa.table({"x": [1.0, 2.0]})), schema)
    >>> check_window_profile(profile({"x": ["a", "b"]}), schema)
    Traceback (most recent call last):
    ...
    driftline.exceptions.SchemaMismatchError: Column 'x' is 'categorical' in the profile but 'numeric' in the version's schema. Profile the rows with driftline.monitor.profile_rows(schema, table) so that kinds match.
    """
    missing = [c for c in schema.features if c not in profile]
    if missing:
        raise SchemaMismatchError(
            f"The profile lacks the feature column(s) {missing} of the version's schema; "
            f"it has {profile.column_names}."
        )
    expected = monitored_columns(schema)
    unknown = [c for c in profile.column_names if c not in expected]
    if unknown:
        raise SchemaMismatchError(
            f"The profile has column(s) {unknown} that windows of this version do not hold; "
            f"a window profile holds the features {list(schema.features)} and optionally "
            "'score' and 'prediction'. Profile the rows with "
            "driftline.monitor.profile_rows(schema, table)."
        )
    for column in profile.columns:
        if column.kind != expected[column.name]:
            raise SchemaMismatchError(
                f"Column {column.name!r} is {column.kind!r} in the profile but "
                f"{expected[column.name]!r} in the version's schema. Profile the rows with "
                "driftline.monitor.profile_rows(schema, table) so that kinds match."
            )
        if column.n_rows != profile.n_rows:
            raise DataError(
                f"Column {column.name!r} counts {column.n_rows} rows but the profile "
                f"{profile.n_rows}; the profile is inconsistent (not made by profile())."
            )
    if reference is not None:
        for column in profile.columns:
            ref = reference.get(column.name)
            if ref is None or ref.kind == column.kind or {ref.kind, column.kind} <= _SAME_STATE:
                continue
            raise SchemaMismatchError(
                f"Column {column.name!r} is {column.kind!r} in the profile but {ref.kind!r} "
                "in the version's reference profile, so its drift could not be computed. "
                "Upload a reference profiled with the version's schema."
            )
    try:
        _template(schema).merge(profile)
    except Exception as exc:  # untrusted state: whatever the merge raises makes it unusable
        raise SchemaMismatchError(
            f"The profile cannot be merged with profiles of this version's rows: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


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
    must hold every feature column of the version's schema with the schema's kinds and
    nothing else but ``score`` and ``prediction`` (profile the rows as
    :func:`driftline.monitor.profile_rows` does); anything else raises
    :class:`~driftline.exceptions.SchemaMismatchError` (see :func:`check_window_profile`).

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
        raise invalid("ingest_profile", "start", start, "a datetime or None")
    check("ingest_profile", "window_key", window_key, Interval("int", None, None), None)
    with engine.connect() as conn:
        found = conn.execute(
            select(ModelVersion.schema, ModelVersion.reference_profile).where(
                ModelVersion.id == version_id
            )
        ).first()
    if found is None:
        raise ParameterError(f"No model version with id {version_id!r}.")
    reference = None if found[1] is None else DatasetProfile.from_bytes(found[1])
    check_window_profile(profile, VersionSchema.from_dict(found[0]), reference)
    return WindowStore(engine).merge_profile(
        version_id, profile, start=start, window_key=window_key
    )
