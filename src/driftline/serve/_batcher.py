"""Adaptive micro-batching under a latency objective.

Requests queue in the event loop; one worker runs the model on a thread, one batch at a
time. The worker never waits on an empty queue: a request that finds the model idle runs
at once, alone. Batches grow under load: when the model comes free with requests already
waiting (it is saturated), the batch may fill for at most half the model's measured fixed
cost per call (what one call fewer saves; ``linger=False`` takes only what is queued).
A batch holds at most ``max_batch_size`` rows and no more than the
model can compute before its oldest request's deadline, by a cost model ``a + b * rows``
fitted to the measured model times. A request that would miss the objective (the rows
ahead of it and its own, at the measured speed) is refused at once with
:class:`OverloadedError` (HTTP 429 with ``Retry-After``), and so is one that waited past its
deadline: the queue is bounded by the objective, and nothing is dropped silently.

``max_wait`` > 0 turns this into a fixed-wait batcher (wait up to that long for a batch to
fill), and ``max_batch_size=1`` switches batching off: both are there to be measured
against (``benchmarks/bench_serve.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from driftline.serve._runtime import Outputs
from driftline.serve._signature import Columns

__all__ = ["AdaptiveBatcher", "CostModel", "OverloadedError"]

_FIT_POINTS: Final = 64


class OverloadedError(Exception):
    """The server cannot answer within its latency objective now; retry after
    ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CostModel:
    """Model time of a batch as ``a + b * rows`` (seconds), least squares over the last
    batches.

    >>> cost = CostModel()
    >>> for rows in (1, 10, 100):
    ...     cost.add(rows, 0.001 + 0.0001 * rows)
    >>> round(cost.seconds(50), 6)
    0.006
    >>> cost.max_rows(0.011)
    100
    """

    def __init__(self) -> None:
        self._points: deque[tuple[int, float]] = deque(maxlen=_FIT_POINTS)
        self._fresh = 0
        self.a = 0.0
        self.b = 0.0
        self.known = False

    def add(self, rows: int, seconds: float) -> None:
        self._points.append((rows, seconds))
        self._fresh += 1
        if not self.known or self._fresh >= 8 or len(self._points) < 8:
            self._fit()

    def _fit(self) -> None:
        self._fresh = 0
        rows = np.array([p[0] for p in self._points], dtype=np.float64)
        secs = np.array([p[1] for p in self._points], dtype=np.float64)
        self.known = True
        if rows.min() == rows.max():  # one batch size only: all fixed cost, or all per row
            per = float(np.median(secs))
            self.a, self.b = per / 2, per / 2 / rows[0]
            return
        b, a = np.polyfit(rows, secs, 1)
        self.b = max(float(b), 0.0)
        self.a = max(float(a), 0.0)
        if self.b == 0.0:
            self.b = float(np.median(secs / rows)) / 10

    def seconds(self, rows: int) -> float:
        return self.a + self.b * rows

    def max_rows(self, budget: float) -> int:
        """The most rows one batch can hold and finish within ``budget`` seconds."""
        if self.b <= 0:
            return 1 << 30
        return max(int((budget - self.a) / self.b), 0)


@dataclass
class _Item:
    columns: Columns
    rows: int
    future: asyncio.Future[Outputs]
    enqueued: float
    ids: list[str] = field(default_factory=list)


class AdaptiveBatcher:
    """Queue requests and run ``predict`` over batches of them, on one thread.

    ``on_batch(columns, outputs, ids)`` runs on the model thread after each batch (the
    prediction log); ``observe(rows, queue_waits, model_seconds)`` reports each batch to
    the metrics.
    """

    def __init__(
        self,
        predict: Callable[[Columns], Outputs],
        *,
        max_batch_size: int,
        max_latency: float,
        max_queue_rows: int,
        max_wait: float = 0.0,
        linger: bool = True,
        on_batch: Callable[[Columns, Outputs, list[str]], None] | None = None,
        observe: Callable[[int, list[float], float], None] | None = None,
    ) -> None:
        self._predict = predict
        self.max_batch_size = max_batch_size
        self.max_latency = max_latency
        self.max_queue_rows = max_queue_rows
        self.max_wait = max_wait
        self.linger = linger
        self._on_batch = on_batch
        self._observe = observe
        self.cost = CostModel()
        self._queue: deque[_Item] = deque()
        self._queued_rows = 0
        self._busy_until = 0.0  # estimated end of the running batch (monotonic seconds)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="driftline-serve-model")

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="driftline-serve-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for item in self._queue:
            if not item.future.done():
                item.future.set_exception(OverloadedError("The server is shutting down.", 1.0))
        self._queue.clear()
        self._queued_rows = 0
        self._executor.shutdown(wait=True)

    def _estimate(self, now: float, rows: int) -> float:
        """Seconds until a request of ``rows`` rows queued now would be answered."""
        running = max(self._busy_until - now, 0.0)
        total = self._queued_rows + rows
        batches = math.ceil(total / max(self.max_batch_size, 1))
        return running + batches * self.cost.a + self.cost.b * total

    async def submit(self, columns: Columns, rows: int, ids: list[str]) -> Outputs:
        """Queue one request's rows and wait for their outputs (``OverloadedError`` if the
        objective cannot be met)."""
        now = time.monotonic()
        if self._queued_rows + rows > self.max_queue_rows and self._queue:
            raise OverloadedError(
                f"The queue is full ({self._queued_rows} rows waiting, at most "
                f"{self.max_queue_rows}).",
                self._retry_after(now, rows),
            )
        if self.cost.known and (self._queue or self._busy_until > now):
            expected = self._estimate(now, rows)
            if expected > self.max_latency:
                raise OverloadedError(
                    f"The server cannot answer within its latency objective "
                    f"({self.max_latency * 1000:.0f} ms) now: about {expected * 1000:.0f} ms "
                    "of work is ahead of this request.",
                    self._retry_after(now, rows),
                )
        future: asyncio.Future[Outputs] = asyncio.get_running_loop().create_future()
        self._queue.append(_Item(columns, rows, future, now, ids))
        self._queued_rows += rows
        assert self._wake is not None
        self._wake.set()
        return await future

    def _retry_after(self, now: float, rows: int) -> float:
        excess = self._estimate(now, rows) - self.max_latency
        return max(excess, self.max_latency, 0.001)

    # the worker ------------------------------------------------------------------------------
    def _take(self, now: float) -> list[_Item]:
        """The next batch: expired requests refused, then as many rows as fit."""
        batch: list[_Item] = []
        rows = 0
        while self._queue:
            item = self._queue[0]
            waited = now - item.enqueued
            if waited > self.max_latency:
                self._queue.popleft()
                self._queued_rows -= item.rows
                if not item.future.done():
                    item.future.set_exception(
                        OverloadedError(
                            f"The request waited {waited * 1000:.0f} ms, past the latency "
                            f"objective ({self.max_latency * 1000:.0f} ms).",
                            self._retry_after(now, 0),
                        )
                    )
                continue
            if batch:
                oldest = now - batch[0].enqueued
                cap = self.max_batch_size
                if self.cost.known:
                    cap = min(
                        cap, max(self.cost.max_rows(self.max_latency - oldest), batch[0].rows)
                    )
                if rows + item.rows > cap:
                    break
            self._queue.popleft()
            self._queued_rows -= item.rows
            if item.future.done():  # the client went away
                continue
            batch.append(item)
            rows += item.rows
        return batch

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            saturated = bool(self._queue)  # work was waiting when the model came free
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            if self.max_wait > 0:
                await self._fill(self._queue[0].enqueued + self.max_wait)
            elif saturated and self.linger and self._queued_rows < self.max_batch_size:
                await self._fill(time.monotonic() + self._linger_seconds())
            now = time.monotonic()
            batch = self._take(now)
            if not batch:
                continue
            rows = sum(item.rows for item in batch)
            self._busy_until = now + (self.cost.seconds(rows) if self.cost.known else 0.0)
            try:
                outputs, seconds = await loop.run_in_executor(self._executor, self._compute, batch)
            except Exception as exc:
                self._busy_until = 0.0
                if len(batch) == 1:
                    if not batch[0].future.done():
                        batch[0].future.set_exception(exc)
                    continue
                for item in batch:  # one request's input broke the model: not the others'
                    await self._alone(loop, item, now)
                continue
            self._busy_until = 0.0
            self.cost.add(rows, seconds)
            start = 0
            for item in batch:
                if not item.future.done():
                    item.future.set_result(outputs.slice(start, start + item.rows))
                start += item.rows
            if self._observe is not None:
                self._observe(rows, [now - item.enqueued for item in batch], seconds)

    async def _alone(self, loop: asyncio.AbstractEventLoop, item: _Item, now: float) -> None:
        try:
            outputs, seconds = await loop.run_in_executor(self._executor, self._compute, [item])
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            item.future.set_result(outputs)
        if self._observe is not None:
            self._observe(item.rows, [now - item.enqueued], seconds)

    def _linger_seconds(self) -> float:
        """How long a saturated batcher lets a batch fill: half the model's fixed cost per
        call (what one call fewer saves), within the oldest request's remaining budget."""
        if not self.cost.known or not self._queue:
            return 0.0
        waited = time.monotonic() - self._queue[0].enqueued
        slack = self.max_latency - waited - self.cost.seconds(self.max_batch_size)
        return max(min(self.cost.a / 2, slack / 2), 0.0)

    async def _fill(self, deadline: float) -> None:
        """Wait until ``deadline`` or a full batch, whichever comes first."""
        assert self._wake is not None
        while self._queued_rows < self.max_batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return

    def _compute(self, batch: list[_Item]) -> tuple[Outputs, float]:
        if len(batch) == 1:
            columns = batch[0].columns
            ids = batch[0].ids
        else:
            columns = {
                name: np.concatenate([item.columns[name] for item in batch])
                for name in batch[0].columns
            }
            ids = [i for item in batch for i in item.ids]
        started = time.perf_counter()
        outputs = self._predict(columns)
        seconds = time.perf_counter() - started
        if self._on_batch is not None:
            self._on_batch(columns, outputs, ids)
        return outputs, seconds
