"""The background sender: per-stream queues, batching, delivery with retries, accounting.

A *stream* is one (model, version, kind) pair, kind ``"predictions"`` or ``"labels"``.
Callers append Arrow tables to a stream under a lock that the sender thread only ever
holds for bookkeeping (never during network I/O), so appending costs microseconds. The
thread takes up to ``batch_size`` rows from a stream that is *due* — it holds a full batch,
its oldest rows waited ``flush_interval`` seconds, or someone is flushing — and sends them
in one request, retrying per the :class:`RetryPolicy`. Each stream counts rows enqueued
and rows resolved (acknowledged, rejected or given up), which is what ``flush`` waits on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import httpx
import pyarrow as pa

from driftline.client._convert import Records, records_to_table
from driftline.client._errors import Rejection
from driftline.client._http import (
    AbortedError,
    RetryPolicy,
    error_from_response,
    request_with_retry,
)
from driftline.exceptions import ClientTimeoutError, DriftlineError

__all__ = ["ARROW_STREAM", "ClientStats", "Sender", "StreamKey", "ipc_bytes"]

ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"
PREDICTIONS: Final = "predictions"
LABELS: Final = "labels"
StreamKey = tuple[str, str, str]  # (model, version, kind)
Rows: TypeAlias = "pa.Table | Records"
Resolver = Callable[[str, str, str, Callable[[float], bool]], str]
_DROP_WARNING_SECONDS: Final = 10.0
_MAX_IDS_IN_REJECTION: Final = 100

logger = logging.getLogger("driftline.client")


@dataclass(frozen=True)
class ClientStats:
    """Counters of a :class:`~driftline.client.Client` since it was created.

    ``rows_sent``: prediction rows the server acknowledged as stored, including
    ``rows_duplicate``, the rows it already had (a batch retried after a lost answer, or ids
    logged twice); ``rows_rejected``: rows it refused (bad values, 4xx);
    ``rows_failed``: rows given up on after the retries, or abandoned at ``close``;
    ``rows_dropped``: rows never queued because the queue was full (non-blocking mode);
    ``labels_sent``: labels acknowledged; ``labels_failed``: labels refused, given up on
    or dropped; ``requests`` and ``retries``:
    HTTP requests made by the background sender and how many were retries;
    ``queue_rows``: rows queued or in flight now.

    Every logged prediction row ends up in exactly one of ``rows_sent``, ``rows_rejected``,
    ``rows_failed``, ``rows_dropped`` or (until resolved) ``queue_rows``.
    """

    rows_sent: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    rows_failed: int = 0
    rows_dropped: int = 0
    labels_sent: int = 0
    labels_failed: int = 0
    requests: int = 0
    retries: int = 0
    queue_rows: int = 0


@dataclass
class _Stream:
    model: str
    version: str
    kind: str
    items: deque[tuple[Rows, float]] = field(default_factory=deque)
    queued: int = 0  # rows waiting in ``items``
    enqueued: int = 0  # rows ever appended
    resolved: int = 0  # rows acknowledged, rejected or given up

    @property
    def label(self) -> str:
        suffix = " labels" if self.kind == LABELS else ""
        return f"{self.model}/{self.version}{suffix}"


def ipc_bytes(table: pa.Table, compression: str | None) -> bytes:
    """``table`` as an Arrow IPC stream (buffers compressed with ``compression`` if given)."""
    options = pa.ipc.IpcWriteOptions(compression=compression)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _combine(tables: list[pa.Table]) -> list[pa.Table]:
    """The pieces concatenated into as few tables as their schemas allow, in order.

    Schemas are unified permissively (int64 + double gives double, a missing column is
    null); a piece whose schema cannot be unified with the run before it starts a new run.
    """
    if len(tables) == 1:
        return tables
    runs: list[list[pa.Table]] = [[tables[0]]]
    schema = tables[0].schema
    for table in tables[1:]:
        if not table.schema.equals(schema):
            try:
                schema = pa.unify_schemas([schema, table.schema], promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                runs.append([])
                schema = table.schema
        runs[-1].append(table)
    combined: list[pa.Table] = []
    for run in runs:
        try:
            combined.append(pa.concat_tables(run, promote_options="permissive").combine_chunks())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            combined.extend(run)  # unified schemas whose data still cannot be cast: send apart
    return combined


class Sender:
    """Queues and the daemon thread that delivers them (one per :class:`Client`)."""

    def __init__(
        self,
        http: httpx.Client,
        resolve: Resolver,
        *,
        policy: RetryPolicy,
        batch_size: int,
        flush_interval: float,
        max_queue_rows: int,
        compression: str | None,
        max_rejections: int = 100,
    ) -> None:
        self._http = http
        self._resolve = resolve
        self._policy = policy
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_queue_rows = max_queue_rows
        self._compression = compression
        self._cond = threading.Condition(threading.Lock())
        self._streams: dict[StreamKey, _Stream] = {}
        self._queue_rows = 0
        self._flushers = 0
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counts: dict[str, int] = dict.fromkeys(ClientStats.__dataclass_fields__, 0)
        self._last_drop_warning = 0.0
        self._delivered = 0  # rows of the current job resolved so far (sender thread only)
        self._dropped_since_warning = 0
        self.rejections: deque[Rejection] = deque(maxlen=max_rejections)

    # caller side -------------------------------------------------------------------------------
    def put(self, key: StreamKey, table: Rows, *, block: bool, timeout: float | None) -> bool:
        """Queue ``table``; False if it was dropped (non-blocking mode, queue full)."""
        n = table.num_rows
        if n == 0:
            return True
        if not block:
            with self._cond:
                self._check_open()
                if self._queue_rows + n > self._max_queue_rows:
                    warning = self._drop_locked(key, n)
                else:
                    self._append(key, table, n)
                    n = 0
            if n:
                if warning:
                    logger.warning(warning)
                return False
            self._ensure_thread()
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        step = max(1, min(self._batch_size, self._max_queue_rows))
        for start in range(0, n, step):
            part = table.slice(start, step) if n > step else table
            rows = part.num_rows
            with self._cond:
                self._check_open()
                while self._queue_rows + rows > self._max_queue_rows:
                    self._ensure_thread_locked()
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise ClientTimeoutError(
                            f"The driftline client queue stayed full ({self._queue_rows} of "
                            f"{self._max_queue_rows} rows) for {timeout} s; {start} of {n} rows "
                            "of this call were queued. The server is slow or unreachable: "
                            "check client.stats, raise max_queue_rows, or use block=False.",
                            self._pending_locked(),
                        )
                    self._cond.wait(remaining)
                    self._check_open()
                self._append(key, part, rows)
                self._ensure_thread_locked()
        return True

    def would_drop(self, n: int) -> bool:
        """Whether ``n`` more rows would overflow the queue now (a snapshot, without the lock)."""
        return self._queue_rows + n > self._max_queue_rows

    def drop(self, key: StreamKey, n: int) -> None:
        """Count ``n`` rows dropped because the queue is full (non-blocking mode)."""
        with self._cond:
            self._check_open()
            warning = self._drop_locked(key, n)
        if warning:
            logger.warning(warning)

    def _drop_locked(self, key: StreamKey, n: int) -> str | None:
        self._counts["labels_failed" if key[2] == LABELS else "rows_dropped"] += n
        self._dropped_since_warning += n
        now = time.monotonic()
        if now - self._last_drop_warning < _DROP_WARNING_SECONDS:
            return None
        dropped, self._dropped_since_warning = self._dropped_since_warning, 0
        self._last_drop_warning = now
        return (
            f"driftline client queue is full ({self._max_queue_rows} rows); dropped {dropped} "
            f"rows since the last warning ({self._counts['rows_dropped']} prediction rows in "
            "total). The server is slow or unreachable; see client.stats."
        )

    def _append(self, key: StreamKey, table: Rows, n: int) -> None:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(*key)
        stream.items.append((table, time.monotonic()))
        stream.queued += n
        stream.enqueued += n
        self._queue_rows += n
        if stream.queued >= self._batch_size or stream.queued == n:
            self._cond.notify_all()

    def _check_open(self) -> None:
        if self._closed:
            raise DriftlineError("This driftline Client is closed; create a new Client to log.")

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._cond:
                self._ensure_thread_locked()

    def _ensure_thread_locked(self) -> None:
        if (self._thread is None or not self._thread.is_alive()) and not self._stop.is_set():
            self._thread = threading.Thread(
                target=self._run, name="driftline-client-sender", daemon=True
            )
            self._thread.start()

    def _pending_locked(self, targets: dict[StreamKey, int] | None = None) -> dict[str, int]:
        pending = {}
        for key, stream in self._streams.items():
            target = stream.enqueued if targets is None else targets.get(key, 0)
            if target > stream.resolved:
                pending[stream.label] = target - stream.resolved
        return pending

    def flush(self, timeout: float | None) -> None:
        """Wait until every row queued before this call is resolved."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            targets = {key: s.enqueued for key, s in self._streams.items() if s.enqueued}
            if all(self._streams[k].resolved >= t for k, t in targets.items()):
                return
            self._ensure_thread_locked()
            self._flushers += 1
            self._cond.notify_all()
            try:
                while any(self._streams[k].resolved < t for k, t in targets.items()):
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        pending = self._pending_locked(targets)
                        raise ClientTimeoutError(
                            f"flush timed out after {timeout} s with rows still unacknowledged: "
                            f"{pending}. The server is slow or unreachable (see client.stats); "
                            "the rows stay queued and are retried.",
                            pending,
                        )
                    if self._thread is None or not self._thread.is_alive():
                        if self._stop.is_set():
                            raise ClientTimeoutError(
                                "The client was closed before these rows were delivered: "
                                f"{self._pending_locked(targets)}.",
                                self._pending_locked(targets),
                            )
                        self._ensure_thread_locked()
                    self._cond.wait(1.0 if remaining is None else min(remaining, 1.0))
            finally:
                self._flushers -= 1

    def close(self, timeout: float | None) -> None:
        """Flush for up to ``timeout`` seconds, then stop the thread; unsent rows count as failed."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        try:
            self.flush(timeout)
        except ClientTimeoutError as exc:
            logger.warning("driftline client closing with rows undelivered: %s", exc.pending)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:  # idle or backing off: it stops at once; in a request: not wait
            thread.join(1.0)
            if thread.is_alive():
                logger.warning(
                    "driftline client: a request was still in flight at close; not waiting for it"
                )
        with self._cond:
            for stream in self._streams.values():
                if stream.queued:
                    self._count_failed(stream, stream.queued)
                    self._queue_rows -= stream.queued
                    stream.resolved += stream.queued
                    stream.items.clear()
                    stream.queued = 0
            self._cond.notify_all()

    def stats(self) -> ClientStats:
        with self._cond:
            return ClientStats(**{**self._counts, "queue_rows": self._queue_rows})

    # sender thread -------------------------------------------------------------------------------
    def _wait(self, seconds: float) -> bool:
        """Back off for ``seconds``; True if the client is stopping."""
        return self._stop.wait(seconds)

    def _run(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            stream, parts, rows = job
            try:
                for table in _combine(self._materialize(stream, parts)):
                    self._deliver(stream, table)
            except Exception:  # never let the thread die: count the rows and go on
                logger.exception(
                    "driftline client: unexpected error while sending %s", stream.label
                )
                self._record(stream, rows - self._delivered, failed=True, status=None,
                             message="unexpected client error (see log)", table=None)  # fmt: skip
            with self._cond:
                stream.resolved += rows
                self._queue_rows -= rows
                self._cond.notify_all()

    def _next_job(self) -> tuple[_Stream, list[Rows], int] | None:
        with self._cond:
            while True:
                if self._stop.is_set():
                    return None
                now = time.monotonic()
                chosen: _Stream | None = None
                wake: float | None = None
                for stream in self._streams.values():
                    if not stream.queued:
                        continue
                    due_at = stream.items[0][1] + self._flush_interval
                    if stream.queued >= self._batch_size or self._flushers or due_at <= now:
                        # oldest rows first: no stream starves another, and predictions
                        # normally leave before the labels logged after them
                        if chosen is None or stream.items[0][1] < chosen.items[0][1]:
                            chosen = stream
                    elif wake is None or due_at < wake:
                        wake = due_at
                if chosen is not None:
                    return self._take(chosen)
                self._cond.wait(None if wake is None else max(wake - now, 0.001))

    def _take(self, stream: _Stream) -> tuple[_Stream, list[Rows], int]:
        tables: list[Rows] = []
        rows = 0
        while stream.items and rows < self._batch_size:
            table, enqueued_at = stream.items.popleft()
            room = self._batch_size - rows
            if table.num_rows > room:
                stream.items.appendleft((table.slice(room), enqueued_at))
                table = table.slice(0, room)
            tables.append(table)
            rows += table.num_rows
        stream.queued -= rows
        self._delivered = 0
        return stream, tables, rows

    def _materialize(self, stream: _Stream, parts: list[Rows]) -> list[pa.Table]:
        """Arrow tables for the parts; consecutive record lists are converted in one go.

        Records that cannot be converted together are converted one by one (so that the
        server validates them per row); a record that cannot be converted at all is
        refused here and counted as rejected.
        """
        tables: list[pa.Table] = []
        pending: list[dict[str, Any]] = []

        def convert() -> None:
            if not pending:
                return
            try:
                tables.append(records_to_table(pending))
            except (pa.ArrowException, TypeError, ValueError):
                for record in pending:
                    try:
                        tables.append(records_to_table([record]))
                    except (pa.ArrowException, TypeError, ValueError) as exc:
                        self._refuse_record(stream, record, exc)
            pending.clear()

        for part in parts:
            if isinstance(part, Records):
                pending.extend(part.rows)
            else:
                convert()
                tables.append(part)
        convert()
        return tables

    def _refuse_record(self, stream: _Stream, record: dict[str, Any], exc: Exception) -> None:
        pid = str(record.get("prediction_id"))
        message = f"the record could not be converted to Arrow: {exc}"
        with self._cond:
            self._counts["rows_rejected"] += 1
        self.rejections.append(
            Rejection(
                stream.model,
                stream.version,
                stream.kind,
                1,
                None,
                message,
                (pid,),
                ((pid, (message,)),),
            )
        )
        logger.warning("driftline client: refused a record for %s: %s", stream.label, message)
        self._delivered += 1

    def _count(self, name: str, n: int = 1) -> None:
        with self._cond:
            self._counts[name] += n

    def _count_failed(self, stream: _Stream, n: int) -> None:
        self._counts["labels_failed" if stream.kind == LABELS else "rows_failed"] += n

    def _deliver(self, stream: _Stream, table: pa.Table) -> None:
        n = table.num_rows
        try:
            url = self._resolve(stream.model, stream.version, stream.kind, self._wait)
            if stream.kind == LABELS:
                columns = table.to_pydict()
                body = json.dumps(
                    {"prediction_ids": columns["prediction_id"], "labels": columns["label"]}
                ).encode()
                headers = {"Content-Type": "application/json"}
            else:
                body = ipc_bytes(table, self._compression)
                headers = {"Content-Type": ARROW_STREAM}
            response = request_with_retry(
                self._http, "POST", url, policy=self._policy, idempotent=True, wait=self._wait,
                content=body, headers=headers,
                on_attempt=lambda: self._count("requests"),
                on_retry=lambda reason, delay: self._on_retry(stream, reason, delay),
            )  # fmt: skip
        except AbortedError as exc:
            self._record(stream, n, failed=True, status=None, table=table,
                         message=f"client closed while retrying ({exc})")  # fmt: skip
            return
        except (httpx.HTTPError, DriftlineError) as exc:
            status = getattr(exc, "status", None)
            self._record(stream, n, failed=True, status=status, table=table,
                         message=f"gave up after {self._policy.retries} retries: {exc}")  # fmt: skip
            return
        status = response.status_code
        if status == 413 and n > 1:  # too large for the server: halve and resend
            half = n // 2
            self._deliver(stream, table.slice(0, half))
            self._deliver(stream, table.slice(half))
            return
        if status >= 400:
            error = error_from_response(response)
            failed = status == 429 or status >= 500
            message = (
                f"gave up after {self._policy.retries} retries: {error}" if failed else str(error)
            )
            self._record(stream, n, failed=failed, status=status, table=table, message=message)
            return
        try:
            result: Any = response.json()
        except ValueError:
            result = {}
        if stream.kind == LABELS:
            self._count("labels_sent", n)
        else:
            self._acknowledged(stream, table, result if isinstance(result, dict) else {})
        self._delivered += n

    def _acknowledged(self, stream: _Stream, table: pa.Table, result: dict[str, Any]) -> None:
        n = table.num_rows
        duplicates = len(result.get("duplicates") or ())
        rejected = list(result.get("rejected") or ())
        accepted = int(result.get("accepted", n - duplicates - len(rejected)))
        with self._cond:
            self._counts["rows_sent"] += accepted + duplicates
            self._counts["rows_duplicate"] += duplicates
            self._counts["rows_rejected"] += len(rejected)
        if rejected:
            id_column = "prediction_id" if "prediction_id" in table.column_names else None
            ids = table[id_column].to_pylist() if id_column else []
            reasons = []
            for entry in rejected:
                row = entry.get("row") if isinstance(entry, dict) else None
                why = (
                    tuple(str(r) for r in (entry.get("reasons") or ()))
                    if isinstance(entry, dict)
                    else ()
                )
                pid = entry.get("prediction_id") if isinstance(entry, dict) else None
                if pid is None and isinstance(row, int) and 0 <= row < len(ids):
                    pid = ids[row]
                reasons.append((str(pid), why))
            rejection = Rejection(
                model=stream.model, version=stream.version, kind=stream.kind,
                rows=len(rejected), status=200, message="rows refused by the server",
                prediction_ids=tuple(p for p, _ in reasons), row_reasons=tuple(reasons),
            )  # fmt: skip
            self.rejections.append(rejection)
            logger.warning(
                "driftline server refused %d of %d rows for %s; first: %s",
                len(rejected), n, stream.label, reasons[0],
            )  # fmt: skip

    def _on_retry(self, stream: _Stream, reason: str, delay: float) -> None:
        self._count("retries")
        logger.info("driftline client: retrying %s in %.2f s (%s)", stream.label, delay, reason)

    def _record(
        self,
        stream: _Stream,
        n: int,
        *,
        failed: bool,
        status: int | None,
        message: str,
        table: pa.Table | None,
    ) -> None:
        if n <= 0:
            return
        ids: tuple[str, ...] = ()
        if table is not None and "prediction_id" in table.column_names:
            ids = tuple(table["prediction_id"].slice(0, _MAX_IDS_IN_REJECTION).to_pylist())
        with self._cond:
            if failed:
                self._count_failed(stream, n)
            elif stream.kind == LABELS:
                self._counts["labels_failed"] += n
            else:
                self._counts["rows_rejected"] += n
        self.rejections.append(
            Rejection(stream.model, stream.version, stream.kind, n, status, message, ids)
        )
        if failed:
            logger.error("driftline client: %d %s rows for %s not delivered: %s",
                         n, stream.kind, stream.label, message)  # fmt: skip
        else:
            logger.warning("driftline server refused %d %s rows for %s: %s",
                           n, stream.kind, stream.label, message)  # fmt: skip
