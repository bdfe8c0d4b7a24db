"""Windows of a version's prediction stream: reading a window back (its rows, its narrow
index), merging precomputed profiles, and the one writer of window results and window
health. Which window a row goes to is ``_window_keys.py``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal, cast, overload

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Engine, Float, Table, and_, case, func, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from driftline._params import Options, check
from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.store._arrow import from_ipc
from driftline.store._bulk import upsert_windows
from driftline.store._engine import write_options
from driftline.store._models import ModelVersion, Prediction, PredictionBatch, Window
from driftline.store._types import utcnow
from driftline.store._window_keys import assign_window_keys, profile_window_key

if TYPE_CHECKING:
    from sqlalchemy import Select

    from driftline.profiles import DatasetProfile

__all__ = ["WindowIndex", "WindowStore"]

_PRED: Final = cast(Table, Prediction.__table__)
_INDEX: Final = ("prediction_id", "timestamp", "score", "prediction", "label", "label_at")
#: Bound on a window's row count (a BIGINT with room to spare on every backend).
_MAX_ROWS: Final = 2**62
_ERROR_CHARS: Final = 1000


class _StaleError(Exception):
    """The window (or one of its batches) changed since the caller read it."""


def _mark_batches(conn: Connection, batch_ids: list[str], now: datetime) -> None:
    """Mark merged batches profiled; a batch another writer merged first is a conflict."""
    done = conn.execute(
        update(PredictionBatch)
        .where(PredictionBatch.id.in_(batch_ids), PredictionBatch.profiled_at.is_(None))
        .values(profiled_at=now)
    )
    if done.rowcount != len(batch_ids):
        raise _StaleError


@dataclass(frozen=True)
class WindowIndex:
    """A window's narrow index as arrays, in no particular order.

    ``score``, ``prediction`` and ``label`` have one value per prediction (NaN when
    absent); ``label_delay_seconds`` has one per labelled prediction (label arrival time
    minus prediction time).

    >>> import numpy as np
    >>> WindowIndex(np.zeros(2), np.zeros(2), np.array([1.0, np.nan]), np.array([3.5])).n_rows
    2
    """

    score: np.ndarray
    prediction: np.ndarray
    label: np.ndarray
    label_delay_seconds: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of predictions."""
        return int(self.label.shape[0])


def _fetch_raw(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``query`` as the DBAPI driver returns them (tuples), skipping SQLAlchemy's
    per-row processing: for plain numeric columns the values are the same."""
    compiled = query.compile(dialect=conn.dialect)
    params: Any = (
        tuple(compiled.params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else compiled.params
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


class WindowStore:
    """Read windows back and write their results: the one place that knows windows.

    :class:`~driftline.store.PredictionStore` is a ``WindowStore`` too. Results are
    written optimistically (see :meth:`save_window_results`), so several monitors can
    share one database.

    >>> from driftline.store import create_engine_from_url, migrate
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> WindowStore(engine).windows("no-such-version")
    []
    """

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # window keys ---------------------------------------------------------------------------
    def _window_keys(
        self,
        conn: Connection,
        version_id: str,
        ts_us: np.ndarray,
        kind: str,
        size: int,
        origin: int = 0,
    ) -> np.ndarray:
        return assign_window_keys(conn, version_id, ts_us, kind, size, origin)

    # reading -------------------------------------------------------------------------------
    def windows(self, version_id: str) -> list[Window]:
        """The version's windows, oldest first (detached ORM objects)."""
        with Session(self.engine, expire_on_commit=False) as session:
            found = session.scalars(
                select(Window)
                .where(Window.model_version_id == version_id)
                .order_by(Window.window_key)
            ).all()
            session.expunge_all()
        return list(found)

    def window(self, window_id: str) -> Window | None:
        """One window as stored now (a detached ORM object), or None if there is none."""
        with Session(self.engine, expire_on_commit=False) as session:
            found = session.get(Window, window_id)
            if found is not None:
                session.expunge(found)
        return found

    def read_pending(self, window_id: str) -> tuple[Window, list[tuple[str, int]]] | None:
        """The window (detached) and (batch id, row count) of its batches not merged into
        its profile yet, in arrival order; None if there is no such window.

        Both are read in one transaction, so every row ``window.row_count`` counts is
        either in ``window.profile`` or in a listed batch.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            window = session.get(Window, window_id)
            if window is None:
                return None
            rows = session.execute(
                select(PredictionBatch.id, PredictionBatch.row_count)
                .where(
                    PredictionBatch.window_id == window_id,
                    PredictionBatch.profiled_at.is_(None),
                )
                .order_by(PredictionBatch.id)
            ).all()
            session.expunge(window)
        return window, [(str(i), int(n)) for i, n in rows]

    def read_batches(self, batch_ids: Sequence[str]) -> pa.Table:
        """The rows of the given batches (normalized columns), in arrival order."""
        with self.engine.connect() as conn:
            payloads = (
                conn.execute(
                    select(PredictionBatch.payload)
                    .where(PredictionBatch.id.in_(list(batch_ids)))
                    .order_by(PredictionBatch.id)
                )
                .scalars()
                .all()
            )
        if not payloads:
            raise ParameterError(f"No stored batches with ids {list(batch_ids)[:5]}.")
        return pa.concat_tables([from_ipc(p) for p in payloads], promote_options="default")

    def read_window(self, window_id: str) -> pa.Table:
        """Every stored row of a window (normalized columns), in arrival order."""
        with self.engine.connect() as conn:
            payloads = (
                conn.execute(
                    select(PredictionBatch.payload)
                    .where(PredictionBatch.window_id == window_id)
                    .order_by(PredictionBatch.id)
                )
                .scalars()
                .all()
            )
        if not payloads:
            raise ParameterError(f"No stored batches for window {window_id!r}.")
        return pa.concat_tables([from_ipc(p) for p in payloads])

    @overload
    def read_index(self, window_id: str, *, form: Literal["table"] = ...) -> pa.Table: ...

    @overload
    def read_index(self, window_id: str, *, form: Literal["arrays"]) -> WindowIndex: ...

    def read_index(
        self, window_id: str, *, form: Literal["table", "arrays"] = "table"
    ) -> pa.Table | WindowIndex:
        """The narrow index of a window.

        ``form="table"``: an Arrow table of id, timestamp, score, prediction, label and
        label time, sorted by timestamp then id. ``form="arrays"``: a :class:`WindowIndex`
        of what the window's metrics need, unsorted, with label times converted by the
        database (the monitor's fast path: no Python object per row).
        """
        if form == "arrays":
            return self._index_arrays(window_id)
        check("WindowStore.read_index", "form", form, Options("table", "arrays"))
        c = _PRED.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.prediction_id, c.ts_us, c.score, c.prediction, c.label, c.label_at)
                .where(c.window_id == window_id)
                .order_by(c.ts_us, c.prediction_id)
            ).all()
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in _INDEX]
        return pa.table(
            {
                "prediction_id": pa.array(cols[0], pa.string()),
                "timestamp": pa.array(cols[1], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                "score": pa.array(cols[2], pa.float64()),
                "prediction": pa.array(cols[3], pa.float64()),
                "label": pa.array(cols[4], pa.float64()),
                "label_at": pa.array(cols[5], pa.timestamp("us", tz="UTC")),
            }
        )

    def _index_arrays(self, window_id: str) -> WindowIndex:
        c = _PRED.c
        if self.engine.dialect.name == "sqlite":  # stored as naive UTC text
            label_epoch: Any = (func.julianday(c.label_at) - 2440587.5) * 86400.0
        else:
            label_epoch = func.extract("epoch", c.label_at)
        query = select(c.score, c.prediction, c.label, c.ts_us, sql_cast(label_epoch, Float)).where(
            c.window_id == window_id
        )
        with self.engine.connect() as conn:
            rows = _fetch_raw(conn, query)
        # One float64 matrix straight from the driver's tuples (None -> NaN): no Python
        # object per value beyond the driver's own.
        matrix = np.array(rows, dtype=np.float64).reshape(len(rows), 5)
        score, prediction, label, ts_us, label_at = (matrix[:, i].copy() for i in range(5))
        labelled = ~np.isnan(label) & ~np.isnan(label_at)
        return WindowIndex(
            score=score,
            prediction=prediction,
            label=label,
            label_delay_seconds=label_at[labelled] - ts_us[labelled] / 1e6,
        )

    # writing -------------------------------------------------------------------------------
    def save_window_results(
        self,
        window: Window,
        results: dict[str, Any],
        *,
        profile: bytes | None = None,
        status: Literal["open", "closed"] | None = None,
        batches: Sequence[str] = (),
        version: int | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store results computed from ``window`` as read earlier (and its merged profile).

        The one rule for every writer: the write succeeds only if no other computation
        reached the window since it was read (its ``version`` is still ``window.version``,
        or ``version`` when given); then ``version`` goes up by one, the window's failure
        record is cleared, and ``dirty`` is cleared only if no rows or labels arrived
        since the read (same ``row_count`` and ``label_count``) — those that did are
        folded in by the next computation. ``batches`` are marked merged in the same
        transaction; one already merged by another writer is a conflict. Returns False
        on a conflict (nothing was written): the caller re-reads and recomputes.
        """
        moment = now or utcnow()
        values: dict[str, Any] = {
            "results": results,
            "computed_at": moment,
            "dirty": case(
                (
                    and_(
                        Window.row_count == window.row_count,
                        Window.label_count == window.label_count,
                    ),
                    False,
                ),
                else_=True,
            ),
            "failures": 0,
            "error": None,
            "retry_at": None,
            "quarantined": False,
        }
        if status is not None:
            values["status"] = status
        if profile is not None:
            values["profile"] = profile
        expected = window.version if version is None else version
        return self._write_window(window.id, expected, values, batches, moment)

    def save_window_profile(
        self,
        window: Window,
        profile: bytes,
        *,
        batches: Sequence[str],
        version: int | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store a merged profile and mark the merged ``batches``, without results (an
        intermediate step of a long merge). Same conflict rule as :meth:`save_window_results`."""
        expected = window.version if version is None else version
        return self._write_window(
            window.id, expected, {"profile": profile}, batches, now or utcnow()
        )

    def _write_window(
        self,
        window_id: str,
        expected_version: int,
        values: dict[str, Any],
        batches: Sequence[str],
        now: datetime,
    ) -> bool:
        options = write_options(self.engine)
        try:
            with self.engine.connect().execution_options(**options) as conn, conn.begin():
                done = conn.execute(
                    update(Window)
                    .where(Window.id == window_id, Window.version == expected_version)
                    .values(version=Window.version + 1, **values)
                )
                if done.rowcount != 1:
                    raise _StaleError
                if batches:
                    _mark_batches(conn, list(batches), now)
        except _StaleError:
            return False
        return True

    def record_window_failure(
        self,
        window_id: str,
        error: str,
        *,
        retry_after: Callable[[int], float],
        quarantine_after: int,
        now: datetime | None = None,
    ) -> int:
        """Record that computing the window failed; returns its failures in a row (0 if
        the window is gone).

        ``retry_after(n)`` gives the seconds to wait after the ``n``-th failure in a row;
        from ``quarantine_after`` failures on the window is marked quarantined. ``error``
        is kept (its first line, at most 1,000 characters) for the window listing.
        """
        moment = now or utcnow()
        line = (error.strip().splitlines() or [""])[0][:_ERROR_CHARS]
        options = write_options(self.engine)
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            read = select(Window.failures).where(Window.id == window_id)
            if conn.dialect.name == "postgresql":
                read = read.with_for_update()
            found = conn.execute(read).scalar()
            if found is None:
                return 0
            failures = int(found) + 1
            conn.execute(
                update(Window)
                .where(Window.id == window_id)
                .values(
                    failures=failures,
                    error=line,
                    retry_at=moment + timedelta(seconds=float(retry_after(failures))),
                    quarantined=failures >= quarantine_after,
                )
            )
        return failures

    def merge_profile(
        self,
        version_id: str,
        profile: DatasetProfile,
        *,
        start: datetime | None = None,
        window_key: int | None = None,
    ) -> Window:
        """Merge ``profile`` into a window of ``version_id`` (created if missing); return it.

        Time windows are addressed by ``start`` (any moment inside; naive = UTC) or by
        ``window_key``; row windows by ``window_key``, or nothing for the newest window.
        The window's ``row_count`` grows by ``profile.n_rows``, it is marked dirty and its
        ``version`` goes up (a monitor computing it meanwhile re-reads it). Checking the
        profile against the version's schema is the caller's job
        (:func:`driftline.monitor.ingest_profile` does it).
        """
        from driftline.profiles import DatasetProfile

        if start is not None and window_key is not None:
            raise ParameterError("Give 'start' or 'window_key', not both.")
        options = write_options(self.engine)
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            stmt = select(
                ModelVersion.window_kind, ModelVersion.window_size, ModelVersion.window_origin
            ).where(ModelVersion.id == version_id)
            if conn.dialect.name == "postgresql":  # serialize with row-window ingestion
                stmt = stmt.with_for_update()
            found = conn.execute(stmt).first()
            if found is None:
                raise ParameterError(f"No model version with id {version_id!r}.")
            kind, size, origin = str(found[0]), int(found[1]), int(found[2])
            key = profile_window_key(conn, version_id, kind, size, start, window_key, origin)
            window_id = upsert_windows(conn, version_id, [key], kind, size)[key]
            read = select(Window.profile, Window.row_count).where(Window.id == window_id)
            if conn.dialect.name == "postgresql":
                read = read.with_for_update()
            stored, rows = conn.execute(read).one()
            if int(rows) + profile.n_rows > _MAX_ROWS:
                raise ParameterError(
                    f"Window {key} would hold more than {_MAX_ROWS} rows; the profile's "
                    f"n_rows ({profile.n_rows}) is not plausible."
                )
            try:
                merged = (
                    profile if stored is None else DatasetProfile.from_bytes(stored).merge(profile)
                )
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
        window = self.window(window_id)
        if window is None:  # pragma: no cover - deleted between commit and read
            raise ParameterError(f"Window {key} of version {version_id!r} was deleted.")
        return window
