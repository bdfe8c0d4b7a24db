"""One JSON error shape for every error: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from driftline.exceptions import ApiError as _SharedApiError
from driftline.exceptions import (
    AuditIntegrityError,
    DataError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.server._json import JSONResponse

__all__ = ["ApiError", "CatchAll", "error_body", "install_error_handlers", "unexpected_response"]

logger = logging.getLogger("driftline.server")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


class ApiError(StarletteHTTPException, _SharedApiError):
    """An error answered as ``{"error": {"code", "message", "details"}}`` with ``status``.

    It derives from Starlette's ``HTTPException`` so that FastAPI re-raises it unchanged
    when it happens while a request body is being read (e.g. the body-size limit), and
    from :class:`driftline.exceptions.ApiError` (the one error tree).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        StarletteHTTPException.__init__(self, status_code=status, detail=message, headers=headers)
        self.status = status
        self.method = self.url = None
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": {"code": code, "message": message, "details": details}}


def _response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        out.append(item)
    return out


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        headers = dict(exc.headers) if exc.headers else None
        return _response(exc.status_code, exc.code, exc.message, exc.details, headers)
    message = str(exc.detail) if exc.detail else "HTTP error"
    if exc.status_code == 404 and message == "Not Found":
        message = "No such route or object."
    code = _CODES.get(exc.status_code, "error")
    headers = getattr(exc, "headers", None)
    return _response(exc.status_code, code, message, None, dict(headers) if headers else None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _jsonable_errors(exc.errors())
    parts = [f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5]]
    body_unreadable = any(d["type"] == "json_invalid" for d in details)
    status = 400 if body_unreadable else 422
    return _response(status, "invalid_request", "Invalid request: " + "; ".join(parts), details)


async def _driftline_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, SchemaMismatchError | UnsupportedInputError):
        return _response(422, "schema_mismatch", str(exc))
    if isinstance(exc, SerializationError):
        return _response(400, "bad_request", str(exc))
    if isinstance(exc, DataError):
        return _response(422, "invalid_data", str(exc))
    return _response(400, "bad_request", str(exc))


async def _audit_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("audit log: %s", exc)
    return _response(503, "audit_log_inconsistent", str(exc))


def _database_busy(exc: Exception) -> bool:
    """SQLite's write lock was not free within its busy timeout (a transient condition)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def unexpected_response(exc: BaseException) -> JSONResponse:
    """The answer to an error no handler expected: 503 when SQLite's write lock stayed
    busy (transient), else a 500 with a correlation id (logged with the traceback)."""
    if isinstance(exc, Exception) and _database_busy(exc):
        logger.warning("database busy: %s", exc)
        return _response(
            503,
            "database_busy",
            "The database is busy with other writes; retry the request shortly.",
            None,
            {"Retry-After": "1"},
        )
    correlation = uuid.uuid4().hex
    logger.error("unhandled error (correlation id %s)", correlation, exc_info=exc)
    return _response(
        500,
        "internal_error",
        f"Internal server error; quote correlation id {correlation} when reporting it.",
        {"correlation_id": correlation},
    )


class CatchAll:
    """Answer any unexpected error inside the app as a proper JSON response.

    Starlette's outermost error middleware sends its 500 and then *re-raises* the error so
    that the server logs it; uvicorn then closes the connection, and a pooled keep-alive
    client's next request on it fails. Here the error is answered (500 with a correlation
    id, or 503 when the database is busy) and not re-raised, so the connection stays
    usable. Only an error after the response has started (nothing can be answered any
    more) still escapes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                raise
            await unexpected_response(exc)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the one JSON error shape (add :class:`CatchAll` too)."""
    app.add_exception_handler(StarletteHTTPException, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ParameterError, _driftline_error)
    # a governance change cannot be recorded: refused (nothing is written), not a 500
    app.add_exception_handler(AuditIntegrityError, _audit_error)
    app.add_exception_handler(DataError, _driftline_error)
    app.add_exception_handler(SerializationError, _driftline_error)
