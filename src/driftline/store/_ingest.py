"""Prediction ingestion: validate columnar, store one compressed Arrow blob per batch and
window plus a narrow index row per prediction, join labels — each call one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, insert, update
from sqlalchemy.exc import IntegrityError

from driftline._params import Constraints, Options, validate
from driftline.exceptions import ParameterError
from driftline.store._arrow import Compression, to_ipc
from driftline.store._bulk import (
    existing_ids,
    insert_index_rows,
    upsert_windows,
)
from driftline.store._engine import write_options
from driftline.store._labelstore import LabelStore
from driftline.store._models import (
    Prediction,
    PredictionBatch,
    Window,
)
from driftline.store._prepared import PreparedBatch
from driftline.store._results import IngestResult, RejectedRow
from driftline.store._schema import VersionSchema
from driftline.store._types import utcnow
from driftline.store._uuid7 import uuid7_strings
from driftline.store._validate import validate_batch
from driftline.store._window_keys import time_window_keys
from driftline.store._windows import WindowStore

__all__ = ["PredictionStore", "PreparedBatch"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PRED: Final = cast(Table, Prediction.__table__)
_ATTEMPTS: Final = 3
_COMPRESS_FROM: Final = 16 << 10  # bytes; smaller blobs are stored uncompressed
_INDEX = ("prediction_id", "timestamp", "score", "prediction", "label", "label_at")


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


class PredictionStore(LabelStore, WindowStore):
    """Ingest prediction batches and labels for model versions; read windows back.

    Every method runs in its own transaction and returns only after it committed, so a
    returned result is durable ("acknowledged"). ``pg_bulk`` selects how index rows are
    written on PostgreSQL: ``COPY`` (default) or ``executemany`` with insertmanyvalues.

    >>> import pyarrow as pa
    >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
    >>> from driftline.store import session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with session_factory(engine).begin() as session:
    ...     catalog = Catalog(session)
    ...     model = catalog.create_model(catalog.create_project("p").id, "m")
    ...     version = catalog.create_version(model.id, "1", VersionSchema({"x": "numeric"}))
    >>> store = PredictionStore(engine)
    >>> batch = pa.table({"prediction_id": ["a", "b"], "x": [1.0, 2.0], "score": [0.1, 0.9]})
    >>> store.ingest_batch(version.id, batch).accepted
    2
    >>> store.ingest_batch(version.id, batch).duplicates
    ('a', 'b')
    >>> store.ingest_labels(version.id, ["a", "zz", "b"], [1, 0, 2]).to_dict()
    {'joined': 1, 'pending': 1, 'rejected': [{'row': 2, 'prediction_id': 'b', 'reasons': ['label: not 0 or 1 (a binary model)']}]}
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "compression": [Options("zstd", "lz4", "none")],
        "pg_bulk": [Options("copy", "executemany")],
    }

    def __init__(
        self,
        engine: Engine,
        *,
        compression: Compression = "zstd",
        pg_bulk: Literal["copy", "executemany"] = "copy",
    ) -> None:
        validate(self, locals())
        self.engine = engine
        self.compression: Compression = compression
        self.pg_bulk: Literal["copy", "executemany"] = pg_bulk
        self._versions: dict[str, tuple[VersionSchema, str, int, int]] = {}
        self._window_ids: dict[tuple[str, int], str] = {}

    def prepare_batch(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool = False
    ) -> PreparedBatch:
        """Validate ``table`` for ``version_id`` without writing anything.

        The first half of :meth:`ingest_batch`: raises ``SchemaMismatchError`` /
        ``UnsupportedInputError`` for an unusable batch, lists bad rows otherwise. Pass the
        result (alone or with others of the same version) to :meth:`store_prepared`.
        """
        now = utcnow()
        schema, kind, size, origin = self._version_info(version_id)
        checked = validate_batch(schema, table, now=now)
        rejected = self._rejected(checked.table, checked.reasons)
        refused = bool(all_or_nothing and rejected)
        return PreparedBatch(
            version_id,
            checked.table,
            checked.valid,
            rejected,
            refused,
            now,
            window_kind="rows" if kind == "rows" else "time",
            window_size=size,
            window_origin=origin,
            windows=_windows_reached(checked.table, checked.valid, kind, size, origin),
        )

    def ingest_batch(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool = False
    ) -> IngestResult:
        """Validate and store one batch of predictions for ``version_id``.

        Invalid rows are listed with their reasons and the valid rows kept, unless
        ``all_or_nothing`` is true, in which case one invalid row refuses the whole batch
        (``stored=False``). Missing prediction ids are generated (UUIDv7). Ids already
        stored for the version are skipped and reported as duplicates.
        """
        prepared = self.prepare_batch(version_id, table, all_or_nothing=all_or_nothing)
        return self.store_prepared([prepared])[0]

    def ingest_many(
        self,
        version_id: str,
        tables: Sequence[pa.Table],
        *,
        all_or_nothing: bool | Sequence[bool] = False,
    ) -> list[IngestResult]:
        """Validate each of ``tables`` separately, then store them all in one transaction.

        The results map back one to one: each lists its own rejected rows (positions in
        its own table), its duplicates and its stored (or generated) ids, exactly as if the
        tables had been ingested one after the other with :meth:`ingest_batch` — an id
        repeated across the tables is stored once, for the first table that holds it. A
        refused ``all_or_nothing`` table stores nothing and does not affect the others. The
        tables share one transaction: if it fails, none of them is stored. A table that
        cannot be validated at all raises before anything is written.

        >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
        >>> from driftline.store import session_factory
        >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
        >>> with session_factory(engine).begin() as session:
        ...     catalog = Catalog(session)
        ...     model = catalog.create_model(catalog.create_project("p").id, "m")
        ...     version = catalog.create_version(model.id, "1", VersionSchema({"x": "numeric"}))
        >>> a = pa.table({"prediction_id": ["a", "b"], "x": [1.0, 2.0], "score": [0.1, 0.9]})
        >>> b = pa.table({"prediction_id": ["b", "c"], "x": [3.0, 4.0], "score": [0.2, 0.3]})
        >>> [(r.prediction_ids, r.duplicates) for r in PredictionStore(engine).ingest_many(
        ...     version.id, [a, b])]
        [(('a', 'b'), ()), (('c',), ('b',))]
        """
        flags = (
            [bool(all_or_nothing)] * len(tables)
            if isinstance(all_or_nothing, bool)
            else [bool(f) for f in all_or_nothing]
        )
        if len(flags) != len(tables):
            raise ParameterError(
                f"'all_or_nothing' holds {len(flags)} flags for {len(tables)} tables; pass "
                "one flag, or one per table."
            )
        prepared = [
            self.prepare_batch(version_id, t, all_or_nothing=f)
            for t, f in zip(tables, flags, strict=True)
        ]
        return self.store_prepared(prepared)

    def store_prepared(self, batches: Sequence[PreparedBatch]) -> list[IngestResult]:
        """Store prepared batches of one version in one transaction; one result each.

        Returns after the commit (every returned result is durable). On a conflict with a
        concurrent writer the transaction is retried (up to 3 attempts) and the other
        writer's rows are reported as duplicates; any other failure raises, and then none
        of ``batches`` was stored.
        """
        if not batches:
            return []
        version_id = batches[0].version_id
        if any(b.version_id != version_id for b in batches):
            raise ParameterError(
                "store_prepared() stores batches of one model version per transaction; got "
                f"batches of {sorted({b.version_id for b in batches})}."
            )
        results: list[IngestResult | None] = [None] * len(batches)
        live = [i for i, b in enumerate(batches) if b.valid_rows > 0]
        for i, b in enumerate(batches):
            if b.valid_rows == 0:
                results[i] = b.refusal()
        if live:
            _, kind, size, origin = self._version_info(version_id)
            parts = [batches[i] for i in live]
            options = write_options(self.engine)
            for attempt in range(_ATTEMPTS):
                try:
                    with self.engine.connect().execution_options(**options) as conn, conn.begin():
                        stored, created = self._store(conn, version_id, parts, kind, size, origin)
                    break
                except IntegrityError:
                    # A concurrent transaction stored some of these ids (or created the same
                    # window) first; nothing of ours was kept. Retrying sees its rows as
                    # duplicates.
                    self._window_ids.clear()
                    if attempt == _ATTEMPTS - 1:
                        raise
            if len(self._window_ids) > 100_000:
                self._window_ids.clear()
            self._window_ids.update(created)  # only after the commit made them real
            for i, result in zip(live, stored, strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def _rejected(self, table: pa.Table, reasons: dict[int, list[str]]) -> tuple[RejectedRow, ...]:
        if not reasons:
            return ()
        rows = sorted(reasons)
        ids = table["prediction_id"].take(pa.array(rows)).to_pylist()
        return tuple(RejectedRow(r, i, tuple(reasons[r])) for r, i in zip(rows, ids, strict=True))

    def _store(
        self,
        conn: Connection,
        version_id: str,
        parts: Sequence[PreparedBatch],
        kind: str,
        size: int,
        origin: int = 0,
    ) -> tuple[list[IngestResult], dict[tuple[str, int], str]]:
        tables = [p.table if p.valid.all() else p.table.filter(pa.array(p.valid)) for p in parts]
        owner = np.repeat(np.arange(len(parts)), [t.num_rows for t in tables])
        table = _concat(tables)
        ids = table["prediction_id"]
        given = pc.is_valid(ids).to_numpy(zero_copy_only=False)
        id_values = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
        if not given.all():
            id_values[~given] = uuid7_strings(int((~given).sum()))
            table = table.set_column(0, "prediction_id", pa.array(id_values, pa.string()))
        keep = np.ones(len(id_values), dtype=bool)
        first = np.flatnonzero(given)
        if len(first):
            client = pa.table({"id": pa.array(id_values[first], pa.string()), "pos": first})
            if pc.count_distinct(client["id"]).as_py() != len(first):
                # an id repeated within the batch (or group): the first occurrence is kept
                repeats = first
                first = client.group_by("id").aggregate([("pos", "min")])["pos_min"].to_numpy()
                first = np.sort(first)
                keep[np.setdiff1d(repeats, first, assume_unique=True)] = False
        written: tuple[list[str], list[list[str]], dict[int, str]] | None = None
        if len(first):
            # Optimistic: write as if no client id were stored yet (the usual case, and no
            # lookup round trip). A unique violation rolls the savepoint back; then the
            # stored ids are looked up and the rest written.
            try:
                with conn.begin_nested():
                    written = self._write(
                        conn, version_id, table, keep, owner, len(parts), kind, size, origin
                    )
            except IntegrityError:
                known = existing_ids(conn, version_id, id_values[first].tolist())
                if known:  # a hash lookup (np.isin on objects compares every pair)
                    stored = pc.is_in(table["prediction_id"], value_set=pa.array(list(known)))
                    keep &= ~np.asarray(stored.to_numpy(zero_copy_only=False), dtype=bool)
        if written is None:
            written = self._write(
                conn, version_id, table, keep, owner, len(parts), kind, size, origin
            )
        batch_ids, batch_ids_of, created = written
        if batch_ids:
            self._resolve_pending(conn, version_id, batch_ids)
        duplicates = _split(id_values[~keep], owner[~keep], len(parts))
        accepted = _split(id_values[keep], owner[keep], len(parts))
        results = [
            IngestResult(
                len(accepted[i]),
                tuple(accepted[i]),
                tuple(duplicates[i]),
                p.rejected,
                tuple(batch_ids_of[i]),
                True,
            )
            for i, p in enumerate(parts)
        ]
        return results, {(version_id, k): w for k, w in created.items()}

    def _write(
        self,
        conn: Connection,
        version_id: str,
        table: pa.Table,
        keep: np.ndarray,
        owner: np.ndarray,
        n_owners: int,
        kind: str,
        size: int,
        origin: int = 0,
    ) -> tuple[list[str], list[list[str]], dict[int, str]]:
        """Store the kept rows: index rows, one blob per window, window counters.

        Returns the blob (batch) ids, the blob ids holding each owner's rows, and the
        windows created here (key -> id).
        """
        batch_ids_of: list[list[str]] = [[] for _ in range(n_owners)]
        if not keep.all():
            table = table.filter(pa.array(keep))
            owner = owner[keep]
        if table.num_rows == 0:
            return [], batch_ids_of, {}
        ts_us = table["timestamp"].cast(pa.int64()).to_numpy()
        keys = self._window_keys(conn, version_id, ts_us, kind, size, origin)
        distinct = np.unique(keys)
        cached = {k: self._window_ids.get((version_id, k)) for k in distinct.tolist()}
        missing = [k for k, w in cached.items() if w is None]
        created = upsert_windows(conn, version_id, missing, kind, size) if missing else {}
        windows = {k: w if w is not None else created[k] for k, w in cached.items()}
        batch_ids = uuid7_strings(len(distinct)).tolist()
        received = utcnow()
        if len(distinct) > 1:  # one stable sort, then a slice per window (arrival order kept)
            order = np.argsort(keys, kind="stable")
            table, ts_us, owner = table.take(pa.array(order)), ts_us[order], owner[order]
            bounds = [*np.searchsorted(keys[order], distinct).tolist(), table.num_rows]
        else:
            bounds = [0, table.num_rows]
        blobs: list[dict[str, Any]] = []
        counts: list[dict[str, Any]] = []

        def codec(part: pa.Table) -> Compression:
            # A codec costs ~100 µs per buffer to set up: not worth it for a small blob.
            return self.compression if part.nbytes >= _COMPRESS_FROM else "none"

        for i, (key, batch_id) in enumerate(zip(distinct.tolist(), batch_ids, strict=True)):
            lo, hi = bounds[i], bounds[i + 1]
            part, part_ts, part_owner = table.slice(lo, hi - lo), ts_us[lo:hi], owner[lo:hi]
            # Index rows first: a duplicate id fails here, before any blob is compressed.
            insert_index_rows(
                conn, version_id, batch_id, windows[key], part, part_ts, pg_bulk=self.pg_bulk
            )
            blobs.append(
                {
                    "id": batch_id,
                    "model_version_id": version_id,
                    "window_id": windows[key],
                    "row_count": part.num_rows,
                    "ts_min_us": int(part_ts.min()),
                    "ts_max_us": int(part_ts.max()),
                    "compression": codec(part),
                    "received_at": received,
                    "part": part,
                }
            )
            counts.append({"w": windows[key], "n": part.num_rows})
            for j in np.unique(part_owner).tolist():
                batch_ids_of[j].append(batch_id)
        for blob in blobs:
            blob["payload"] = to_ipc(blob.pop("part"), compression=blob["compression"])
        conn.execute(insert(PredictionBatch), blobs)
        conn.execute(
            update(Window)
            .where(Window.id == _bind("w"))
            .values(row_count=Window.row_count + _bind("n"), dirty=True),
            counts,
        )
        return batch_ids, batch_ids_of, created


def _windows_reached(
    table: pa.Table, valid: np.ndarray, kind: str, size: int, origin: int = 0
) -> int:
    """How many windows the valid rows reach (time windows), or at most (row windows)."""
    rows = int(valid.sum())
    if rows == 0:
        return 0
    if kind == "rows":
        return -(-rows // size) + 1
    micros = table["timestamp"].cast(pa.int64())
    if not valid.all():
        micros = micros.filter(pa.array(valid))
    width, shift = size * 1_000_000, origin * 1_000_000
    low, high = ((v.as_py() - shift) // width for v in pc.min_max(micros).values())
    if high - low < 2:
        return int(high - low + 1)
    keys = time_window_keys(np.asarray(micros.to_numpy(), dtype=np.int64), size, origin)
    return int(np.unique(keys).size)


def _concat(tables: list[pa.Table]) -> pa.Table:
    """One table of the (normalized) tables; a score or prediction column that only some
    of them carry is filled with nulls for the others."""
    if len(tables) == 1:
        return tables[0]
    first = tables[0].schema
    if all(t.schema.equals(first) for t in tables[1:]):
        return pa.concat_tables(tables).combine_chunks()
    return pa.concat_tables(tables, promote_options="default").combine_chunks()


def _split(values: np.ndarray, owner: np.ndarray, n: int) -> list[list[str]]:
    """``values`` (ordered by ``owner``) as one list per owner 0..n-1."""
    bounds = np.searchsorted(owner, np.arange(n + 1))
    items: list[str] = values.tolist()
    return [items[bounds[i] : bounds[i + 1]] for i in range(n)]


def _bind(name: str, column: Any = None) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, type_=None if column is None else column.type)
