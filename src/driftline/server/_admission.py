"""Admission of request bodies by the memory they will cost, before they are parsed.

Parsing costs far more memory than the bytes on the wire: a JSON records body costs about
20 times its size while orjson builds its objects and the columns are assembled. So
ingestion routes acquire a share of a byte budget (``max_inflight_bytes``) *before* the
body is read and parsed, sized from ``Content-Length`` (or, for a chunked body, from the
bytes read): ``JSON_WEIGHT`` times the body for JSON, the body itself for Arrow, Parquet
and profiles, topped up (:meth:`Lease.grow`) once the headers of an Arrow or Parquet body
tell its decoded size and rows (``ROW_BYTES`` per row), and shrunk (:meth:`Lease.shrink`)
once parsing has freed what it no longer needs. A request that does not fit waits, first
come first served, for up to ``ADMISSION_WAIT_SECONDS``, then gets 503 with
``Retry-After``: memory is never spent on a request that is then refused.

A request larger than the whole budget is admitted alone (when nothing else holds any of
it), so that every body within ``max_body_bytes`` can still be ingested.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Final

from driftline._config import Settings
from driftline.server._bodies import JSON_TYPES, read_body, too_large
from driftline.server._errors import ApiError

__all__ = [
    "ADMISSION_WAIT_SECONDS",
    "JSON_WEIGHT",
    "ROW_BYTES",
    "ByteBudget",
    "Lease",
    "admitted_body",
    "body_limit",
]

JSON_WEIGHT: Final = 24  # measured: ~21x for records, ~6x for columns
#: What each row costs beyond its bytes while it is validated and stored (ids and index
#: rows as Python objects, the ids returned, allocator slack): measured 580-900 bytes.
ROW_BYTES: Final = 1024
ADMISSION_WAIT_SECONDS: Final = 5.0
_RETRY_AFTER: Final = "1"


class _Waiter:
    __slots__ = ("future", "size")

    def __init__(self, size: int, future: asyncio.Future[None]) -> None:
        self.size = size
        self.future = future


class ByteBudget:
    """A FIFO semaphore counted in bytes (one per app, used from its event loop).

    >>> async def demo() -> list[int]:
    ...     budget = ByteBudget(100)
    ...     first = await budget.acquire(80)
    ...     held = [budget.in_use]
    ...     try:
    ...         await budget.acquire(30, wait=0.01)
    ...     except ApiError as exc:
    ...         held.append(exc.status_code)
    ...     first.release()
    ...     held.append(budget.in_use)
    ...     return held
    >>> asyncio.run(demo())
    [80, 503, 0]
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiters: deque[_Waiter] = deque()

    def _fits(self, size: int) -> bool:
        return self.in_use == 0 or self.in_use + size <= self.capacity

    async def acquire(self, size: int, *, wait: float = ADMISSION_WAIT_SECONDS) -> Lease:
        """A lease of ``size`` bytes; waits up to ``wait`` seconds, then 503."""
        size = max(0, int(size))
        if not self._waiters and self._fits(size):
            self.in_use += size
            return Lease(self, size)
        waiter = _Waiter(size, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), timeout=wait)
        except TimeoutError:
            if waiter.future.done() and not waiter.future.cancelled():
                return Lease(self, size)  # admitted just as the wait ended
            waiter.future.cancel()
            self._discard(waiter)
            raise self._busy(size) from None
        except asyncio.CancelledError:  # the client went away while waiting
            if waiter.future.done() and not waiter.future.cancelled():
                self._release(size)
            else:
                waiter.future.cancel()
                self._discard(waiter)
            raise
        return Lease(self, size)

    def _busy(self, size: int) -> ApiError:
        return ApiError(
            503,
            f"The server is busy parsing other request bodies ({self.in_use} of "
            f"{self.capacity} bytes of max_inflight_bytes in use; this body needs {size}). "
            f"Retry after {_RETRY_AFTER} s; nothing of this request was read or stored.",
            code="busy",
            headers={"Retry-After": _RETRY_AFTER},
            details={"inflight_bytes": self.in_use, "limit_bytes": self.capacity},
        )

    def _discard(self, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        self._wake()

    def _release(self, size: int) -> None:
        self.in_use -= size
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            head = self._waiters[0]
            if head.future.done():
                self._waiters.popleft()
                continue
            if not self._fits(head.size):
                return
            self._waiters.popleft()
            self.in_use += head.size
            head.future.set_result(None)


class Lease:
    """Bytes held from a :class:`ByteBudget` until :meth:`release` (or the ``with`` ends)."""

    def __init__(self, budget: ByteBudget, size: int) -> None:
        self.budget = budget
        self.size = size

    async def grow(self, size: int, *, wait: float = ADMISSION_WAIT_SECONDS) -> None:
        """Hold ``size`` bytes in all (once a body's decoded size is known): taken at once
        if it fits, else this lease is given back and the whole size queued for."""
        extra = int(size) - self.size
        if extra <= 0:
            return
        budget = self.budget
        if not budget._waiters and budget.in_use + extra <= budget.capacity:
            budget.in_use += extra
            self.size += extra
            return
        self.release()
        lease = await budget.acquire(size, wait=wait)
        self.size = lease.size

    def shrink(self, size: int) -> None:
        """Hold only ``size`` bytes from now on (once parsing has freed the rest)."""
        extra = self.size - max(0, int(size))
        if extra > 0:
            self.size -= extra
            self.budget._release(extra)

    def release(self) -> None:
        """Give the bytes back (idempotent)."""
        if self.size:
            size, self.size = self.size, 0
            self.budget._release(size)

    async def __aenter__(self) -> Lease:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()


def body_limit(settings: Settings, kind: str) -> int:
    """The largest body of media type ``kind``: ``max_json_body_bytes`` for JSON (when it
    is the smaller), else ``max_body_bytes``."""
    if kind in JSON_TYPES:
        return min(settings.max_body_bytes, settings.max_json_body_bytes)
    return settings.max_body_bytes


async def admitted_body(request: Any, settings: Settings, kind: str) -> tuple[bytes, Lease]:
    """Wait for admission (sized from ``Content-Length``), then read the body (at most
    :func:`body_limit`). A chunked body is read first and admitted by its size."""
    budget: ByteBudget = request.app.state.admission
    weight = JSON_WEIGHT if kind in JSON_TYPES else 1
    limit = body_limit(settings, kind)
    declared = request.headers.get("content-length")
    if kind in JSON_TYPES and declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(
            f"The JSON body is {declared} bytes; JSON bodies are limited to {limit} bytes "
            "(max_json_body_bytes: parsing JSON costs up to about 24 times its size). Send larger "
            "batches as Arrow IPC or Parquet, or split them.",
            limit_bytes=limit,
            content_length=int(declared),
        )
    lease = None
    if declared is not None and declared.isdigit() and int(declared) <= limit:
        lease = await budget.acquire(int(declared) * weight)
    try:
        body = await read_body(request, limit)
        if lease is None:
            lease = await budget.acquire(len(body) * weight)
    except BaseException:
        if lease is not None:
            lease.release()
        raise
    return body, lease
