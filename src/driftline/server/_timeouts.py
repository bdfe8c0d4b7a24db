"""Header and body read timeouts for uvicorn's HTTP/1.1 protocols (slow-client defence).

uvicorn's ``timeout_keep_alive`` only covers the idle time *between* requests and is reset
by every byte received, so a client that trickles a request's headers (slowloris) or its
body holds a connection for ever; ASGI middleware cannot help, as it runs only once the
headers are complete. These protocol classes add, per connection:

- a **header timeout**: a request's line and headers must be complete within
  ``server_header_timeout_seconds`` of the connection opening (or of the first byte of the
  next request on a kept-alive connection); else the server answers 408 and closes;
- a **body timeout**: the body must be complete within ``server_body_timeout_seconds`` of
  its headers; time during which the server itself does not read (flow control: the
  application has not consumed what arrived) does not count. Else the connection is closed
  (the application sees a disconnect).

Timers run only while the server waits on the client, never while it works on a request.
``driftline server`` uses them (``http=`` of ``uvicorn.run``, also in worker processes,
which read the same settings).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["H11TimeoutProtocol", "HttpToolsTimeoutProtocol", "protocol_class"]

logger = logging.getLogger("driftline.server")
_TIMEOUT_TEXT = b"The request did not arrive in time; the connection is closed."
_TIMEOUT_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: "
    + str(len(_TIMEOUT_TEXT)).encode()
    + b"\r\n\r\n"
    + _TIMEOUT_TEXT
)


@functools.cache
def _timeouts() -> tuple[float, float]:
    from driftline._config import load_settings

    values = load_settings().values
    return values.server_header_timeout_seconds, values.server_body_timeout_seconds


class _WatchedFlow(FlowControl):
    """uvicorn's flow control, telling the protocol when reading pauses and resumes."""

    def __init__(self, transport: asyncio.Transport, owner: _Deadlines) -> None:
        super().__init__(transport)
        self._owner = owner

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._owner._reading_paused()
        super().pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused:
            self._owner._reading_resumed()
        super().resume_reading()


class _Deadlines:
    """Mixin for uvicorn's ``H11Protocol`` and ``HttpToolsProtocol`` (same attributes:
    ``transport``, ``flow``, ``cycle``, ``loop``, ``client``)."""

    header_timeout: float | None = None  # None: from the settings
    body_timeout: float | None = None

    transport: asyncio.Transport
    flow: FlowControl
    cycle: Any
    loop: asyncio.AbstractEventLoop
    client: tuple[str, int] | None

    def _init_deadlines(self) -> None:
        header, body = _timeouts()
        self._header_seconds = header if self.header_timeout is None else self.header_timeout
        self._body_seconds = body if self.body_timeout is None else self.body_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._phase = "idle"  # idle | headers | body
        self._seen_cycle: Any = None
        self._body_left = 0.0
        self._body_since = 0.0

    # timers ---------------------------------------------------------------------------------
    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _start_headers(self) -> None:
        self._phase = "headers"
        self._arm(self._header_seconds)

    def _start_body(self) -> None:
        self._phase = "body"
        self._body_left = self._body_seconds
        self._body_since = self.loop.time()
        if not self.flow.read_paused:
            self._arm(self._body_left)

    def _reading_paused(self) -> None:
        if self._phase == "body":
            self._body_left -= self.loop.time() - self._body_since
            self._cancel()

    def _reading_resumed(self) -> None:
        if self._phase == "body":
            self._body_since = self.loop.time()
            self._arm(max(self._body_left, 0.0))

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        busy = self.cycle is not None and not self.cycle.response_complete
        if self._phase == "headers" and busy:
            # bytes of a pipelined request wait for the server, not the other way round
            self._arm(self._header_seconds)
            return
        if self._phase == "body" and self.flow.read_paused:
            return  # resumed later with the time left
        what = "headers" if self._phase == "headers" else "body"
        limit = self._header_seconds if what == "headers" else self._body_seconds
        logger.debug("closing a connection from %s: request %s not received within %.1f s",
                     self.client, what, limit)  # fmt: skip
        if what == "headers" and not busy:
            self.transport.write(_TIMEOUT_408)
        self._phase = "idle"
        self.transport.close()

    # protocol hooks -------------------------------------------------------------------------
    def _after_connection_made(self) -> None:
        self._init_deadlines()
        self.flow = _WatchedFlow(self.transport, self)
        self._start_headers()

    def _after_data(self) -> None:
        cycle = self.cycle
        if cycle is not None and cycle is not self._seen_cycle:  # a request's headers arrived
            self._seen_cycle = cycle
            if cycle.more_body and not cycle.response_complete:
                self._start_body()
            else:
                self._phase = "idle"
                self._cancel()
        elif self._phase == "body" and (cycle is None or not cycle.more_body):
            self._phase = "idle"
            self._cancel()
        elif self._phase == "idle" and (cycle is None or not cycle.more_body):
            self._start_headers()  # the first bytes of the next request

    def _after_response(self) -> None:
        cycle = self.cycle
        if cycle is not None and cycle is not self._seen_cycle:  # a pipelined request parsed
            self._after_data()
        elif self._phase == "headers":
            self._start_headers()  # part of the next request waited for us: count from now
        elif self._phase != "body":
            self._phase = "idle"
            self._cancel()  # idle: uvicorn's keep-alive timeout applies

    def _lost(self) -> None:
        self._phase = "idle"
        self._cancel()


class H11TimeoutProtocol(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol with header and body read timeouts."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._after_connection_made()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.transport.is_closing():
            self._after_data()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._after_response()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost()
        super().connection_lost(exc)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 only
    HttpToolsTimeoutProtocol: type[asyncio.Protocol] | None = None
else:

    class _HttpToolsTimeoutProtocol(_Deadlines, HttpToolsProtocol):
        """uvicorn's httptools protocol with header and body read timeouts."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._after_connection_made()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self.transport.is_closing():
                self._after_data()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._after_response()

        def connection_lost(self, exc: Exception | None) -> None:
            self._lost()
            super().connection_lost(exc)

    HttpToolsTimeoutProtocol = _HttpToolsTimeoutProtocol


def protocol_class() -> str:
    """The import path ``uvicorn.run(http=...)`` takes: httptools when installed, else h11."""
    if HttpToolsTimeoutProtocol is not None:
        return "driftline.server._timeouts:HttpToolsTimeoutProtocol"
    return "driftline.server._timeouts:H11TimeoutProtocol"
