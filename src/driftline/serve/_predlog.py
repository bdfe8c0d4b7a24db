"""Prediction logging off the request path, with a bounded spill to disk.

The model thread appends each batch's rows (features, prediction id, time, score and/or
prediction) to an in-memory queue and returns. A daemon thread delivers them to a
:class:`Sink` (the local store, or a remote monitoring server through the SDK). When the
sink is unavailable, undelivered batches go to a :class:`SpillQueue` on disk and are
delivered later, oldest first, before any newer rows; on shutdown what is still in memory
goes to disk too, and the next start delivers it. Every row carries its prediction id and
the monitoring store keeps one row per id, so a batch delivered twice (an answer lost in
the outage) is stored once: nothing is lost, nothing doubled. Only when both the memory
queue and the spill are full are rows dropped, and then they are counted and logged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Protocol

import numpy as np
import pyarrow as pa

from driftline._params import Constraints, Interval, validate
from driftline.serve._runtime import Outputs, ServedModel
from driftline.serve._signature import Columns
from driftline.serve._spill import SpillQueue

__all__ = [
    "ClientSink",
    "PredictionLog",
    "Sink",
    "SinkUnavailableError",
    "StoreSink",
    "log_schema",
    "log_table",
]

logger = logging.getLogger("driftline.serve")
_MAX_BACKOFF: Final = 5.0


class SinkUnavailableError(Exception):
    """The sink cannot take rows now (unreachable, overloaded): retry later."""


class Sink(Protocol):
    """Where logged predictions go."""

    label: str

    def prepare(self) -> None:
        """Make sure the model version exists there (``SinkUnavailableError`` to retry later)."""

    def send(self, table: pa.Table) -> int:
        """Deliver ``table``; return how many rows were refused as invalid."""


def log_schema(model: ServedModel) -> Any:
    """The monitoring store's ``VersionSchema`` for ``model``'s prediction log."""
    from driftline.store import VersionSchema

    schema = VersionSchema(
        {f.name: f.kind for f in model.signature.features},  # type: ignore[misc]
        task=model.task,
        score_column="score" if model.task == "binary" else None,
        prediction_column="prediction",
    )
    schema.check_reserved()
    return schema


def log_table(model: ServedModel, columns: Columns, outputs: Outputs, ids: list[str]) -> pa.Table:
    """One batch as rows of the prediction log.

    The prediction is the class index (in ``model.classes`` order) for a classifier and
    the value for a regressor; a binary classifier's score is the probability of its
    second class.
    """
    data: dict[str, Any] = {}
    for feature in model.signature.features:
        col = columns[feature.name]
        data[feature.name] = (
            pa.array(col, type=pa.string())
            if feature.dtype == "string"
            else pa.array(col.astype(np.float64))
        )
    data["prediction_id"] = pa.array(ids, type=pa.string())
    now = datetime.now(UTC)
    data["timestamp"] = pa.array([now] * len(ids), type=pa.timestamp("us", tz="UTC"))
    proba = outputs.probabilities
    if proba is None:
        data["prediction"] = pa.array(np.asarray(outputs.predictions, dtype=np.float64))
    else:
        data["prediction"] = pa.array(np.argmax(proba, axis=1).astype(np.float64))
        if model.task == "binary":
            data["score"] = pa.array(np.clip(proba[:, 1], 0.0, 1.0))
    return pa.table(data)


class StoreSink:
    """The local monitoring store (SQLAlchemy engine), in process.

    The project, model and version are created on first use when they do not exist.
    """

    def __init__(self, engine: Any, *, project: str, model: str, version: str, schema: Any) -> None:
        from driftline.store import PredictionStore

        self.engine = engine
        self.project, self.model, self.version, self.schema = project, model, version, schema
        self.label = f"store {project}/{model}/{version}"
        self._store = PredictionStore(engine)
        self.version_id: str | None = None

    def prepare(self) -> None:
        from sqlalchemy import select
        from sqlalchemy.exc import SQLAlchemyError

        from driftline.store import Catalog, Model, ModelVersion, session_factory

        try:
            with session_factory(self.engine).begin() as session:
                catalog = Catalog(session)
                project = catalog.project_by_name(self.project) or catalog.create_project(
                    self.project
                )
                model = session.scalar(
                    select(Model).where(Model.project_id == project.id, Model.name == self.model)
                ) or catalog.create_model(project.id, self.model)
                version = session.scalar(
                    select(ModelVersion).where(
                        ModelVersion.model_id == model.id, ModelVersion.version == self.version
                    )
                ) or catalog.create_version(model.id, self.version, self.schema)
                self.version_id = str(version.id)
        except SQLAlchemyError as exc:
            raise SinkUnavailableError(f"the store is unavailable: {exc}") from exc

    def send(self, table: pa.Table) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        assert self.version_id is not None
        try:
            result = self._store.ingest_batch(self.version_id, table)
        except SQLAlchemyError as exc:
            raise SinkUnavailableError(f"the store is unavailable: {exc}") from exc
        return len(result.rejected)


class ClientSink:
    """A remote monitoring server, through the SDK's :meth:`Client.send_predictions`."""

    def __init__(self, client: Any, *, model: str, version: str, schema: Any) -> None:
        self.client = client
        self.model, self.version, self.schema = model, version, schema
        self.label = f"{client.url} {model}/{version}"

    def _unavailable(self, exc: Exception) -> bool:
        status = getattr(exc, "status", None)
        return status is None or status == 429 or status >= 500 or status in (401, 403, 404)

    def prepare(self) -> None:
        from driftline.exceptions import ApiError

        try:
            self.client.create_model(self.model, exist_ok=True)
            self.client.register_version(
                self.model, self.version, schema=self.schema, exist_ok=True
            )
        except ApiError as exc:
            if self._unavailable(exc):
                raise SinkUnavailableError(str(exc)) from exc
            raise

    def send(self, table: pa.Table) -> int:
        from driftline.exceptions import ApiError

        try:
            receipt = self.client.send_predictions(self.model, self.version, table)
        except ApiError as exc:
            if self._unavailable(exc):
                raise SinkUnavailableError(str(exc)) from exc
            logger.error("driftline serve: %s refused %d rows: %s", self.label, table.num_rows, exc)
            return int(table.num_rows)
        return len(receipt.rejected)


class PredictionLog:
    """Deliver logged batches to ``sink`` from a daemon thread, spilling to ``spill_dir``.

    ``count(outcome, rows)`` is told of every row's fate: ``"sent"``, ``"rejected"``,
    ``"spilled"`` (written to disk, to be sent later) or ``"dropped"``.
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "max_memory_rows": [Interval("int", 1, None)],
        "max_spill_bytes": [Interval("int", 0, None)],
        "batch_rows": [Interval("int", 1, None)],
        "flush_interval": [Interval("real", 0, None, closed="neither")],
    }

    def __init__(
        self,
        sink: Sink,
        *,
        spill_dir: str | os.PathLike[str],
        max_memory_rows: int = 100_000,
        max_spill_bytes: int = 1 << 30,
        batch_rows: int = 5_000,
        flush_interval: float = 0.2,
        count: Callable[[str, int], None] | None = None,
    ) -> None:
        validate(self, locals())
        self.sink = sink
        self.spill = SpillQueue(spill_dir, max_bytes=max_spill_bytes)
        self.max_memory_rows = max_memory_rows
        self.batch_rows = batch_rows
        self.flush_interval = flush_interval
        self.count = count
        self._cond = threading.Condition()
        self._memory: deque[tuple[pa.Table, float]] = deque()
        self._memory_rows = 0
        self._in_flight = 0
        self._flushing = 0
        self._stop = threading.Event()
        self._prepared = False
        self._backoff = 0.0
        self._retry_at = 0.0
        self._thread: threading.Thread | None = None
        self.counts: dict[str, int] = dict.fromkeys(("sent", "rejected", "spilled", "dropped"), 0)
        self._last_drop_log = 0.0

    def _add(self, outcome: str, rows: int) -> None:
        if rows:
            self.counts[outcome] += rows
            if self.count is not None:
                self.count(outcome, rows)

    @property
    def pending_rows(self) -> int:
        """Rows not delivered yet: in memory, being sent, or on disk."""
        with self._cond:
            return self._memory_rows + self._in_flight + self.spill.rows

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="driftline-serve-log", daemon=True)
        self._thread.start()

    def log(self, table: pa.Table) -> None:
        """Queue a batch (never waits on the network)."""
        n = table.num_rows
        with self._cond:
            if self._memory_rows + n <= self.max_memory_rows:
                self._memory.append((table, time.monotonic()))
                self._memory_rows += n
                if self._memory_rows >= self.batch_rows:
                    self._cond.notify_all()
                return
        self._to_disk(table)  # memory full: the sender is behind

    def _to_disk(self, table: pa.Table) -> None:
        if self.spill.put(table):
            self._add("spilled", table.num_rows)
            return
        self._add("dropped", table.num_rows)
        now = time.monotonic()
        if now - self._last_drop_log > 10:
            self._last_drop_log = now
            logger.error(
                "driftline serve: prediction log full (memory %d rows, spill %d bytes); "
                "dropped %d rows (%d so far). The monitor at %s is away too long.",
                self.max_memory_rows, self.spill.max_bytes, table.num_rows,
                self.counts["dropped"], self.sink.label,
            )  # fmt: skip

    def flush(self, timeout: float) -> bool:
        """Wait until everything logged so far is delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._memory_rows or self._in_flight or len(self.spill):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(min(remaining, 0.05))
                return True
            finally:
                self._flushing -= 1

    def close(self, timeout: float = 5.0) -> None:
        """Deliver for up to ``timeout`` seconds, then stop; the rest goes to disk."""
        if self._thread is not None and self._thread.is_alive():
            self.flush(timeout)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout + 5)
        with self._cond:
            left = list(self._memory)
            self._memory.clear()
            self._memory_rows = 0
        for table, _ in left:
            self._to_disk(table)

    # the thread ----------------------------------------------------------------------------
    def _take(self) -> pa.Table | None:
        """Up to ``batch_rows`` rows from memory, once a batch is due; waits otherwise."""
        with self._cond:
            while not self._stop.is_set():
                now = time.monotonic()
                if len(self.spill) and now >= self._retry_at:
                    return None  # deliver the disk first
                if self._memory:
                    due = self._memory[0][1] + self.flush_interval
                    if self._memory_rows >= self.batch_rows or self._flushing or now >= due:
                        break
                    wake = due - now
                else:
                    wake = 0.5
                if len(self.spill):
                    wake = min(wake, max(self._retry_at - now, 0.001))
                self._cond.wait(wake)
            else:
                return None
            tables, rows = [], 0
            while self._memory and rows < self.batch_rows:
                table, _ = self._memory.popleft()
                tables.append(table)
                rows += table.num_rows
            self._memory_rows -= rows
            self._in_flight = rows
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables).combine_chunks()

    def _failed(self, exc: Exception) -> None:
        self._backoff = min(max(self._backoff * 2, 0.1), _MAX_BACKOFF)
        self._retry_at = time.monotonic() + self._backoff
        logger.warning(
            "driftline serve: cannot log predictions to %s (%s); spilling to %s, retry in %.1f s",
            self.sink.label, exc, self.spill.directory, self._backoff,
        )  # fmt: skip

    def _deliver(self, table: pa.Table) -> bool:
        try:
            if not self._prepared:
                self.sink.prepare()
                self._prepared = True
            rejected = self.sink.send(table)
        except SinkUnavailableError as exc:
            self._prepared = False  # e.g. the monitor lost the version: register it again
            self._failed(exc)
            return False
        except Exception as exc:  # a bug or a refusal: keep the rows, say why
            logger.exception("driftline serve: unexpected error logging predictions")
            self._failed(exc)
            return False
        self._backoff = 0.0
        self._add("sent", table.num_rows - rejected)
        if rejected:
            self._add("rejected", rejected)
            logger.warning("driftline serve: %s refused %d logged rows", self.sink.label, rejected)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            table = self._take()
            if table is None:
                if self._stop.is_set():
                    return
                self._drain_disk()
                continue
            if len(self.spill) or not self._deliver(table):
                self._to_disk(table)  # keep the order: older rows are on disk
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _drain_disk(self) -> None:
        """Deliver disk batches oldest first until one fails or the disk is empty."""
        while not self._stop.is_set():
            found = self.spill.peek()
            if found is None:
                return
            path, table = found
            if not self._deliver(table):
                return
            self.spill.remove(path)
            with self._cond:
                self._cond.notify_all()
