"""The background sender: per-stream queues and the daemon thread that empties them.

A *stream* is one (model, version, kind) :class:`Target`, kind ``"predictions"`` or
``"labels"``. Callers append Arrow tables to a stream under a lock that the sender thread
only ever holds for bookkeeping (never during network I/O), so appending costs
microseconds. The thread takes up to ``batch_size`` rows from a stream that is *due* — it
holds a full batch, its oldest rows waited ``flush_interval`` seconds, or someone is
flushing — and hands them to :class:`~driftline.client._delivery.Delivery`, which sends
them with retries and keeps the accounts. Each stream counts rows enqueued and rows
resolved (acknowledged, rejected or given up), which is what ``flush`` waits on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final, TypeAlias

import httpx
import pyarrow as pa

from driftline.client._convert import Records
from driftline.client._delivery import Delivery, Resolver
from driftline.client._http import RetryPolicy
from driftline.client._ledger import LABELS, Ledger, Target
from driftline.client._records import ClientStats, Rejection
from driftline.exceptions import ClientTimeoutError, DriftlineError

__all__ = ["Sender"]

Rows: TypeAlias = "pa.Table | Records"
_DROP_WARNING_SECONDS: Final = 10.0

logger = logging.getLogger("driftline.client")


@dataclass
class _Stream:
    target: Target
    items: deque[tuple[Rows, float]] = field(default_factory=deque)
    queued: int = 0  # rows waiting in ``items``
    enqueued: int = 0  # rows ever appended
    resolved: int = 0  # rows acknowledged, rejected or given up


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
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_queue_rows = max_queue_rows
        self._cond = threading.Condition(threading.Lock())
        self._ledger = Ledger(self._cond, max_rejections=max_rejections)
        self._delivery = Delivery(
            http, resolve, policy=policy, compression=compression, ledger=self._ledger,
            wait=self._wait,
        )  # fmt: skip
        self._streams: dict[Target, _Stream] = {}
        self._queue_rows = 0
        self._flushers = 0
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_drop_warning = 0.0
        self._dropped_since_warning = 0

    @property
    def rejections(self) -> deque[Rejection]:
        """The last refused or undelivered batches/rows, oldest first."""
        return self._ledger.rejections

    # caller side -------------------------------------------------------------------------------
    def put(self, key: Target, table: Rows, *, block: bool, timeout: float | None) -> bool:
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

    def drop(self, key: Target, n: int) -> None:
        """Count ``n`` rows dropped because the queue is full (non-blocking mode)."""
        with self._cond:
            self._check_open()
            warning = self._drop_locked(key, n)
        if warning:
            logger.warning(warning)

    def _drop_locked(self, key: Target, n: int) -> str | None:
        self._ledger.add_locked("labels_failed" if key.kind == LABELS else "rows_dropped", n)
        self._dropped_since_warning += n
        now = time.monotonic()
        if now - self._last_drop_warning < _DROP_WARNING_SECONDS:
            return None
        dropped, self._dropped_since_warning = self._dropped_since_warning, 0
        self._last_drop_warning = now
        return (
            f"driftline client queue is full ({self._max_queue_rows} rows); dropped {dropped} "
            f"rows since the last warning ({self._ledger.count_locked('rows_dropped')} prediction rows in "
            "total). The server is slow or unreachable; see client.stats."
        )

    def _append(self, key: Target, table: Rows, n: int) -> None:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(key)
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

    def _pending_locked(self, targets: dict[Target, int] | None = None) -> dict[str, int]:
        pending = {}
        for key, stream in self._streams.items():
            target = stream.enqueued if targets is None else targets.get(key, 0)
            if target > stream.resolved:
                pending[stream.target.label] = target - stream.resolved
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
                    self._ledger.failed_locked(stream.target, stream.queued)
                    self._queue_rows -= stream.queued
                    stream.resolved += stream.queued
                    stream.items.clear()
                    stream.queued = 0
            self._cond.notify_all()

    def stats(self) -> ClientStats:
        with self._cond:
            return self._ledger.snapshot_locked(queue_rows=self._queue_rows)

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
                self._delivery.send(stream.target, parts)
            except Exception:  # never let the thread die: count the rows and go on
                logger.exception(
                    "driftline client: unexpected error while sending %s", stream.target.label
                )
                self._delivery.record(
                    stream.target, rows - self._delivery.delivered, failed=True, status=None,
                    message="unexpected client error (see log)", table=None,
                )  # fmt: skip
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
        return stream, tables, rows
