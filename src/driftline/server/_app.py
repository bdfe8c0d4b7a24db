"""The app factory: settings, engine, migrations, monitor, routers, limits, errors, metrics."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from driftline._config import Settings, load_settings
from driftline._version import __version__
from driftline.audit import AuditLog
from driftline.server._admission import ByteBudget
from driftline.server._auth import RateLimiter, TokenCache
from driftline.server._docs import install_docs
from driftline.server._errors import ApiError, CatchAll, error_body, install_error_handlers
from driftline.server._ingestor import DirectIngestor
from driftline.server._json import JSONResponse, dumps
from driftline.server._metrics import ServerMetrics, install_metrics_route
from driftline.server._openapi import install_openapi
from driftline.server._state import Ingestor, ServerState
from driftline.server._ui import install_ui
from driftline.store import (
    PredictionStore,
    create_engine_from_url,
    migrate,
    session_factory,
    write_session_factory,
)

__all__ = ["create_app"]

logger = logging.getLogger("driftline.server")
API_PREFIX = "/api/v1"


class BodyLimit:
    """Refuse bodies over ``limit`` bytes: by ``Content-Length`` up front (413), and while
    streaming (the read raises a 413 error inside the route)."""

    def __init__(self, app: ASGIApp, limit: int, artifact_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.artifact_limit = limit if artifact_limit is None else artifact_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if scope.get("method") == "PUT" and scope.get("path", "").endswith("/artifact"):
            limit = self.artifact_limit  # model artifacts: max_artifact_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit or declared < 0:
                    status = 413 if declared > limit else 400
                    message = (
                        f"The body is {declared} bytes; the limit is {limit} bytes."
                        if status == 413
                        else "Content-Length is not a number."
                    )
                    code = "payload_too_large" if status == 413 else "bad_request"
                    response = Response(
                        dumps(error_body(code, message, {"limit_bytes": limit})),
                        status_code=status,
                        media_type="application/json",
                        headers={"Connection": "close"},
                    )
                    await response(scope, receive, send)
                    return
        seen = 0

        async def limited() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise ApiError(413, f"The body exceeds the limit of {limit} bytes.")
            return message

        await self.app(scope, limited, send)


class RefuseNul:
    """400 for a NUL byte in the path or the query string (raw or as ``%00``), before any
    route sees it: no name, id or parameter may hold one (PostgreSQL cannot store it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            query = scope.get("query_string", b"")
            if "\x00" in path or (query and b"\x00" in unquote_to_bytes(query)):
                response = Response(
                    dumps(
                        error_body(
                            "nul_byte",
                            "The request path or query string holds a NUL byte (%00); names, "
                            "ids and parameters must be printable text.",
                        )
                    ),
                    status_code=400,
                    media_type="application/json",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _make_ingestor(settings: Settings, store: PredictionStore) -> Ingestor:
    limit = settings.max_windows_per_request
    if settings.ingest_coalesce:
        try:  # written in parallel; a module path, so that mypy does not need it to exist
            module = importlib.import_module("driftline.server._coalesce")
        except ImportError:
            logger.info("ingest: no coalescing ingestor available; one transaction per request")
        else:
            ingestor: Ingestor = module.CoalescingIngestor(store, max_windows_per_request=limit)
            return ingestor
    return DirectIngestor(store, max_windows_per_request=limit)


class Measure:
    """Count requests and time them, labelled by route template (never by raw path)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(unmatched)"
            if route != "/metrics":
                method = scope.get("method", "")
                self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
                self.metrics.requests.labels(route, method, str(status)).inc()


def _start_monitor(state: ServerState) -> None:
    try:
        from driftline.monitor import Monitor
    except ImportError as exc:
        state.monitor_error = f"driftline.monitor is not available: {exc}"
        logger.warning("monitor: %s; windows will not be computed in this process", exc)
        return
    try:
        monitor = Monitor(state.engine)
        monitor.start()
    except Exception as exc:
        state.monitor_error = f"{type(exc).__name__}: {exc}"
        logger.exception("monitor: could not start; windows will not be computed here")
        return
    state.monitor = monitor


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, monitor: bool = True
) -> FastAPI:
    """The driftline monitoring API (FastAPI), under ``/api/v1``, with ``/metrics``.

    ``settings`` default to :func:`driftline._config.load_settings` (``DRIFTLINE_*``
    variables); ``engine`` defaults to one for ``settings.database_url``. On startup the
    database is migrated and, if ``monitor`` (and ``settings.server_monitor``), the
    monitor loop starts in a background thread.

    >>> from driftline.store import create_engine_from_url
    >>> app = create_app(engine=create_engine_from_url("sqlite://"), monitor=False)
    >>> sorted(r.path for r in app.routes if r.path.endswith("/me"))
    ['/api/v1/me']
    """
    values = settings if settings is not None else load_settings().values
    own_engine = engine is None
    db = engine if engine is not None else create_engine_from_url(values.database_url)
    store = PredictionStore(db)
    state = ServerState(
        settings=values,
        engine=db,
        sessions=session_factory(db),
        writes=write_session_factory(db),
        store=store,
        ingestor=_make_ingestor(values, store),
        tokens=TokenCache(values.token_cache_seconds),
        limiter=RateLimiter(values.rate_limit_per_second, values.rate_limit_burst),
        metrics=ServerMetrics(db),
        audit=AuditLog(db),
    )
    run_monitor = monitor and values.server_monitor

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate, db)
        if run_monitor and state.monitor is None:
            await run_in_threadpool(_start_monitor, state)
        try:
            yield
        finally:
            if state.monitor is not None:
                await run_in_threadpool(state.monitor.stop, 10.0)
                state.monitor = None
            closer = getattr(state.ingestor, "aclose", None)
            if closer is not None:
                await closer()
            if own_engine:
                db.dispose()

    app = FastAPI(
        title="driftline",
        version=__version__,
        summary="Monitoring API: ingest predictions and labels, read windows, manage alerts.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        openapi_url="/openapi.json",
        docs_url=None,  # served from the package by install_docs (works offline)
        redoc_url=None,
    )
    app.state.driftline = state
    app.state.admission = ByteBudget(values.max_inflight_bytes)
    install_error_handlers(app)

    from driftline.server import (
        _routes_alerts,
        _routes_aliases,
        _routes_artifacts,
        _routes_audit,
        _routes_ingest,
        _routes_lineage,
        _routes_meta,
        _routes_models,
        _routes_tokens,
        _routes_windows,
    )

    for module in (
        _routes_meta,
        _routes_models,
        _routes_artifacts,
        _routes_aliases,
        _routes_lineage,
        _routes_ingest,
        _routes_windows,
        _routes_alerts,
        _routes_tokens,
        _routes_audit,
    ):
        # Added flat (not include_router) so that ``app.routes`` lists every route.
        app.router.routes.extend(module.router.routes)

    install_ui(app)  # the dashboard under /ui (driftline.server._ui)
    install_metrics_route(app, state)  # only with a metrics_token (driftline.server._metrics)
    app.add_middleware(CatchAll)  # innermost: a 500 is answered (and measured), not raised
    app.add_middleware(Measure, metrics=state.metrics)
    app.add_middleware(
        BodyLimit, limit=values.max_body_bytes, artifact_limit=values.max_artifact_bytes
    )
    app.add_middleware(RefuseNul)
    for route in app.routes:
        if isinstance(route, APIRoute):
            route.operation_id = route.name
    install_openapi(app)
    install_docs(app)
    return app
