"""Group commit for prediction ingestion: concurrent requests share one transaction.

Every ingestion request costs a committed transaction (BEGIN, the duplicate lookup, the
blob, the window counters, the WAL write or the PostgreSQL commit): at 1,000 rows per
request that fixed cost dominates. :class:`CoalescingIngestor` validates each request on
its own (in a worker thread, as soon as it arrives), queues it, and one writer thread
stores everything queued for a model version with one
:meth:`~driftline.store.PredictionStore.store_prepared` call — one transaction — while
the next requests are parsed and validated. Under load the groups grow by themselves
(whatever arrived while the previous commit ran); when idle a request is written at once.

Semantics (tested in ``tests/server/test_coalesce.py``):

- A request is answered only after the commit that contains its rows (or after its own
  failure): an acknowledged request is durable.
- Validation is per request: a request that cannot be read (``SchemaMismatchError``, ...)
  fails alone, before it is queued; its rejected rows are listed against its own row
  positions; an ``all_or_nothing`` request with a bad row is refused at once and never
  joins a group, so it cannot refuse anyone else's rows.
- Within a group the requests are stored in arrival order, exactly as if they had been
  ingested one after the other: an id sent by two requests of the group is stored once,
  for the earlier one, and reported as a duplicate to the later one; generated ids and
  duplicates map back to the request that sent the rows.
- Requests that share a transaction share its fate: if the group's transaction fails,
  none of the group is stored, and each of its requests is then retried alone, once, in
  arrival order. So a request whose rows the database refuses fails alone (its caller gets
  the error) and the others are stored by their own transactions.
- Backpressure: rows admitted but not yet committed are bounded by ``max_queued_rows``;
  beyond it ``submit`` raises :class:`IngestBusyError` (HTTP 503 with ``Retry-After``)
  instead of letting memory grow. A single request larger than the bound is admitted
  when nothing else is queued, so that it can still be stored.
- Bounded transactions, fairly shared: a transaction holds at most ``max_rows`` rows and
  ``max_windows`` windows. A request beyond either is stored in parts
  (:meth:`~driftline.store.PreparedBatch.split`), each its own transaction, and answered
  once all are committed, with the result it would have had in one transaction; if a
  part fails, the parts not yet written are dropped and the caller gets the error (the
  parts already committed stay: a retry reports their ids as duplicates). An
  ``all_or_nothing`` request is never split. The writer alternates between model
  versions (the oldest request of a version other than the last one written goes
  first), so one tenant's large or many requests delay another's by at most one bounded
  transaction. A request reaching more than ``max_windows_per_request`` windows is
  refused (422, :class:`TooManyWindowsError`) before anything is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from driftline.server._errors import ApiError
from driftline.store import IngestResult, PredictionStore, PreparedBatch

__all__ = ["CoalescingIngestor", "IngestBusyError", "TooManyWindowsError", "check_windows"]

logger = logging.getLogger("driftline.server.ingest")
_RETRY_AFTER: Final = "1"


class IngestBusyError(ApiError):
    """The ingestion queue is full: retry later (HTTP 503 with ``Retry-After``)."""

    def __init__(self, queued: int, limit: int) -> None:
        super().__init__(
            503,
            f"The server is busy: {queued:,} rows are waiting to be stored (limit "
            f"{limit:,}). Retry after {_RETRY_AFTER} s; nothing of this request was stored.",
            code="busy",
            headers={"Retry-After": _RETRY_AFTER},
        )


class TooManyWindowsError(ApiError):
    """A request reaches more windows than ``max_windows_per_request`` (HTTP 422)."""

    def __init__(self, windows: int, limit: int, kind: str) -> None:
        unit = "time windows" if kind == "time" else "row windows (at most)"
        super().__init__(
            422,
            f"The batch reaches {windows:,} {unit}; the limit is {limit:,} per request "
            "(max_windows_per_request). Send the rows of fewer windows per request, e.g. "
            "one request per day of data; nothing of this request was stored.",
            code="too_many_windows",
            details={"windows": windows, "limit_windows": limit},
        )


def check_windows(prepared: PreparedBatch, limit: int) -> None:
    """Refuse (:class:`TooManyWindowsError`) a batch that reaches more than ``limit`` windows."""
    if not prepared.refused and prepared.windows > limit:
        raise TooManyWindowsError(prepared.windows, limit, prepared.window_kind)


@dataclass(eq=False)
class _Parent:
    """A request stored in parts: failed once any part failed (later parts are dropped)."""

    failed: BaseException | None = None


@dataclass(eq=False)
class _Request:
    prepared: PreparedBatch
    future: asyncio.Future[IngestResult]
    rows: int
    parent: _Parent | None = None


class CoalescingIngestor:
    """Store concurrent ingestion requests for the same model version in one transaction.

    Same interface as :class:`~driftline.server.DirectIngestor`; see the module docstring
    for the exact semantics. ``max_rows`` and ``max_windows`` cap the valid rows and the
    windows of one transaction (larger requests are split); ``max_wait_ms`` lets a group
    form for that long after the first request arrives when the writer was idle (0: write
    at once; under load, groups form while the previous commit runs anyway);
    ``max_queued_rows`` bounds the rows admitted and not yet committed (beyond it:
    :class:`IngestBusyError`); ``max_windows_per_request`` refuses larger requests.

    >>> import asyncio, tempfile, pyarrow as pa
    >>> from driftline.store import Catalog, VersionSchema, create_engine_from_url, migrate
    >>> from driftline.store import session_factory
    >>> folder = tempfile.mkdtemp()  # a file: the writer thread needs its own connection
    >>> engine = create_engine_from_url(f"sqlite:///{folder}/db.sqlite"); migrate(engine)
    >>> with session_factory(engine).begin() as session:
    ...     catalog = Catalog(session)
    ...     model = catalog.create_model(catalog.create_project("p").id, "m")
    ...     version = catalog.create_version(model.id, "1", VersionSchema({"x": "numeric"}))
    >>> async def main() -> list[int]:
    ...     ingestor = CoalescingIngestor(PredictionStore(engine))
    ...     tables = [pa.table({"x": [1.0, 2.0], "score": [0.1, 0.2]}) for _ in range(5)]
    ...     results = await asyncio.gather(
    ...         *(ingestor.submit(version.id, t, all_or_nothing=False) for t in tables))
    ...     await ingestor.aclose()
    ...     return [r.accepted for r in results]
    >>> asyncio.run(main())
    [2, 2, 2, 2, 2]
    """

    def __init__(
        self,
        store: PredictionStore,
        *,
        max_rows: int = 50_000,
        max_windows: int = 64,
        max_wait_ms: float = 0.0,
        max_queued_rows: int = 200_000,
        max_windows_per_request: int = 1000,
    ) -> None:
        if min(max_rows, max_queued_rows, max_windows_per_request) < 1 or max_windows < 3:
            from driftline.exceptions import ParameterError

            raise ParameterError(
                "CoalescingIngestor needs max_rows, max_queued_rows and "
                "max_windows_per_request >= 1 and max_windows >= 3; got "
                f"{max_rows}, {max_queued_rows}, {max_windows_per_request} and {max_windows}."
            )
        if max_wait_ms < 0:
            from driftline.exceptions import ParameterError

            raise ParameterError(f"The 'max_wait_ms' parameter must be >= 0; got {max_wait_ms}.")
        self.store = store
        self.max_rows = max_rows
        self.max_windows = max_windows
        self.max_windows_per_request = max_windows_per_request
        self._last_version: str | None = None
        self.max_wait = max_wait_ms / 1000.0
        self.max_queued_rows = max_queued_rows
        self._queue: deque[_Request] = deque()
        self._queued_rows = 0
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._closing = False
        #: Groups written and requests in them (for tests, metrics and benchmarks).
        self.groups = 0
        self.grouped_requests = 0

    @property
    def queued_rows(self) -> int:
        """Rows admitted (being validated, queued or being written) and not yet answered."""
        return self._queued_rows

    async def start(self) -> None:
        """Start the writer task on the running loop (``submit`` does it when needed)."""
        if self._writer is not None and self._writer.done() and not self._closing:
            # The writer died (its loop was stopped, or a bug): log why and start another,
            # so that queued requests are not left waiting forever.
            if not self._writer.cancelled() and self._writer.exception() is not None:
                logger.error("ingest: the writer stopped: %r", self._writer.exception())
            self._writer = None
        if self._writer is None:
            self._wakeup = asyncio.Event()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="driftline-ingest")
            self._writer = asyncio.get_running_loop().create_task(
                self._run(), name="driftline-ingest-writer"
            )

    async def submit(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool
    ) -> IngestResult:
        """Validate ``table`` now, store it with the requests queued alongside it, and
        return its own result after the commit; see ``PredictionStore.ingest_batch``."""
        if self._closing:
            raise ApiError(503, "The server is shutting down; retry the request.", code="busy")
        rows = int(table.num_rows)
        if self._queued_rows > 0 and self._queued_rows + rows > self.max_queued_rows:
            raise IngestBusyError(self._queued_rows, self.max_queued_rows)
        self._queued_rows += rows
        queued = False
        futures: list[asyncio.Future[IngestResult]] = []
        try:
            prepared = await asyncio.to_thread(
                self.store.prepare_batch, version_id, table, all_or_nothing=all_or_nothing
            )
            if prepared.valid_rows == 0:  # refused or nothing valid: nothing to write
                return prepared.refusal()
            check_windows(prepared, self.max_windows_per_request)
            if self._closing:
                raise ApiError(503, "The server is shutting down; retry the request.", code="busy")
            parts = (
                [prepared]
                if all_or_nothing
                else prepared.split(max_windows=self.max_windows, max_rows=self.max_rows)
            )
            await self.start()
            loop = asyncio.get_running_loop()
            parent = _Parent() if len(parts) > 1 else None
            for i, part in enumerate(parts):
                share = part.valid_rows + (rows - prepared.valid_rows if i == 0 else 0)
                futures.append(loop.create_future())
                self._queue.append(_Request(part, futures[-1], share, parent))
            queued = True
            assert self._wakeup is not None
            self._wakeup.set()
        finally:
            if not queued:
                self._queued_rows -= rows
        # shield: a caller that goes away does not cancel the write (the rows may be
        # committed anyway; a retry of the request then reports them as duplicates).
        if len(futures) == 1:
            return await asyncio.shield(futures[0])
        results = await asyncio.shield(asyncio.gather(*futures))
        return prepared.merge(parts, list(results))

    async def aclose(self) -> None:
        """Refuse new requests, store every queued one, then stop the writer."""
        self._closing = True
        if self._writer is not None:
            assert self._wakeup is not None
            self._wakeup.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # the writer ---------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wakeup is not None
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self.max_wait > 0 and not self._closing:
                waiting = sum(r.prepared.valid_rows for r in self._queue)
                if waiting < self.max_rows:
                    await asyncio.sleep(self.max_wait)
            group = self._take()
            try:
                outcomes = await loop.run_in_executor(self._executor, self._write, group)
            except BaseException as exc:  # the loop is going away: answer, then stop
                outcomes = [exc] * len(group)
                self._answer(group, outcomes)
                raise
            self._answer(group, outcomes)

    def _take(self) -> list[_Request]:
        """The oldest request of a version other than the last one written (if any is
        queued; else the oldest), and later ones of its version, within the bounds."""
        start = 0
        if len(self._queue) > 1:
            start = next(
                (
                    i
                    for i, r in enumerate(self._queue)
                    if r.prepared.version_id != self._last_version
                ),
                0,
            )
        first = self._queue[start]
        del self._queue[start]
        group, rows, windows = [first], first.prepared.valid_rows, first.prepared.windows
        version = first.prepared.version_id
        self._last_version = version
        rest: deque[_Request] = deque()
        while self._queue:
            request = self._queue.popleft()
            part = request.prepared
            fits = (
                rows + part.valid_rows <= self.max_rows
                and windows + part.windows <= self.max_windows
            )
            if part.version_id == version and fits:
                group.append(request)
                rows += part.valid_rows
                windows += part.windows
            else:
                rest.append(request)
                if part.version_id == version and not fits:
                    break
        rest.extend(self._queue)
        self._queue = rest
        return group

    def _answer(self, group: list[_Request], outcomes: list[IngestResult | BaseException]) -> None:
        self.groups += 1
        self.grouped_requests += len(group)
        for request, outcome in zip(group, outcomes, strict=True):
            self._queued_rows -= request.rows
            if request.parent is not None and isinstance(outcome, BaseException):
                request.parent.failed = request.parent.failed or outcome
            if request.future.done():
                continue
            if isinstance(outcome, asyncio.CancelledError):
                request.future.cancel()
            elif isinstance(outcome, BaseException):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)

    def _write(self, group: list[_Request]) -> list[IngestResult | BaseException]:
        """Runs in the writer thread: one transaction for the group, else one each."""
        dropped = [r.parent.failed if r.parent is not None else None for r in group]
        if any(d is not None for d in dropped):  # parts of a request that already failed
            live = [r for r, d in zip(group, dropped, strict=True) if d is None]
            stored = iter(self._write(live) if live else [])
            return [d if d is not None else next(stored) for d in dropped]
        try:
            return list(self.store.store_prepared([r.prepared for r in group]))
        except Exception as exc:
            if len(group) == 1:
                return [exc]
            logger.warning(
                "ingest: a transaction of %d requests failed (%s: %s); storing them one by one",
                len(group),
                type(exc).__name__,
                exc,
            )
        outcomes: list[IngestResult | BaseException] = []
        for request in group:
            try:
                outcomes.append(self.store.store_prepared([request.prepared])[0])
            except Exception as exc:
                outcomes.append(exc)
        return outcomes
