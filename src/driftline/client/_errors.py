"""Errors and records of the SDK: API errors, timeouts, rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driftline.exceptions import DriftlineError

__all__ = ["ApiError", "ClientTimeoutError", "Rejection"]


class ApiError(DriftlineError):
    """The server refused a request, or could not be reached.

    ``status`` is the HTTP status (``None`` when no response arrived), ``code`` the
    server's error code (``"connection_error"`` when unreachable) and ``details`` the
    server's details, if any. The message is the server's message.

    >>> err = ApiError("No model named 'm' in project 'p'.", status=404, code="not_found")
    >>> str(err), err.status, err.code
    ("No model named 'm' in project 'p'. (HTTP 404, not_found)", 404, 'not_found')
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "error",
        details: Any = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.details = details
        self.method = method
        self.url = url
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{message} ({where}, {code})")


class ClientTimeoutError(DriftlineError, TimeoutError):
    """Rows were still waiting to be delivered when a deadline passed.

    ``pending`` maps ``"model/version"`` (suffixed ``" labels"`` for labels) to the number
    of rows not yet acknowledged by the server.
    """

    def __init__(self, message: str, pending: dict[str, int]) -> None:
        self.pending = pending
        super().__init__(message)


@dataclass(frozen=True)
class Rejection:
    """Rows the server refused, or the client gave up on, kept in ``Client.rejections``.

    ``rows`` is the number of rows concerned, ``prediction_ids`` the ids of the refused rows
    (at most the first 100 when a whole batch was refused), ``reasons`` the server's reasons
    (per row when ``row_reasons`` is set), ``status`` the HTTP status (``None`` when the
    server was unreachable and the client gave up after its retries).
    """

    model: str
    version: str
    kind: str
    rows: int
    status: int | None
    message: str
    prediction_ids: tuple[str, ...] = ()
    row_reasons: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
