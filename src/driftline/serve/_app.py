"""The serving app: Open Inference Protocol v2 REST, MLflow's ``/invocations``, ``/metrics``.

Bodies are read with a size cap and a time limit, parsed with orjson and checked against
the model's signature before anything runs; every refusal is a 4xx JSON error
``{"error": {"code", "message", "details"}}`` naming the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import math
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from driftline._version import __version__
from driftline.serve._batcher import AdaptiveBatcher, OverloadedError
from driftline.serve._decode import decode_invocations, decode_v2
from driftline.serve._metrics import ServeMetrics
from driftline.serve._openapi import INFER_BODY, INVOCATIONS_BODY, error_responses
from driftline.serve._predlog import PredictionLog, log_table
from driftline.serve._runtime import Outputs, ServedModel
from driftline.serve._signature import RequestError

__all__ = ["create_app"]

_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


class _Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, code: str, message: str, details: Any = None, **headers: str) -> _Json:
    body = {"error": {"code": code, "message": message, "details": details}}
    return _Json(body, status_code=status, headers=headers or None)


def _labels(values: np.ndarray) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values.tolist()]


class _Service:
    """What the routes share: the model, its batcher, limits, metrics and log."""

    def __init__(
        self,
        model: ServedModel,
        *,
        max_latency: float,
        max_batch_size: int,
        max_queue_rows: int,
        max_request_rows: int,
        max_body_bytes: int,
        body_timeout: float,
        batch_wait: float,
        prediction_log: PredictionLog | None,
    ) -> None:
        self.model = model
        self.max_request_rows = max_request_rows
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.metrics = ServeMetrics(model.name, model.version)
        self.log = prediction_log
        if prediction_log is not None and prediction_log.count is None:
            prediction_log.count = self.metrics.count_log
        self.batcher = AdaptiveBatcher(
            model.predict,
            max_batch_size=max_batch_size,
            max_latency=max_latency,
            max_queue_rows=max_queue_rows,
            max_wait=batch_wait,
            on_batch=self._log_batch if prediction_log is not None else None,
            observe=self.metrics.observe_batch,
        )
        self.ready = False

    def _log_batch(self, columns: Any, outputs: Outputs, ids: list[str]) -> None:
        assert self.log is not None
        self.log.log(log_table(self.model, columns, outputs, ids))

    async def body(self, request: Request) -> Any:
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
        if kind.lower() != "application/json":
            raise RequestError(
                f"Content-Type {kind!r} is not supported; send application/json.",
                status=415, code="unsupported_media_type", field="content-type",
            )  # fmt: skip
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise RequestError(
                f"The body ({declared} bytes) is larger than this server takes "
                f"({self.max_body_bytes} bytes); split the request.",
                status=413, code="body_too_large",
            )  # fmt: skip
        chunks: list[bytes] = []
        size = 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise RequestError(
                        f"The body is larger than this server takes ({self.max_body_bytes} "
                        "bytes); split the request.",
                        status=413, code="body_too_large",
                    )  # fmt: skip
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), self.body_timeout)
        except TimeoutError as exc:
            raise RequestError(
                f"The body did not arrive within {self.body_timeout:g} s.",
                status=408, code="request_timeout",
            ) from exc  # fmt: skip
        try:
            return orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError as exc:
            raise RequestError(
                f"The body is not valid JSON: {exc}", status=400, code="invalid_json"
            ) from exc

    def request_id(self, request: Request, body_id: str | None = None) -> str:
        given = request.headers.get("x-request-id")
        if given is None:
            given = body_id
            field = "id"
        else:
            field = "X-Request-Id"
        if given is None:
            return str(uuid.uuid4())
        if not _REQUEST_ID.fullmatch(given):
            raise RequestError(
                f"{field}: {given[:40]!r} is not a request id; use 1-100 characters of "
                "letters, digits and . _ : -.",
                status=400, code="invalid_request_id", field=field,
            )  # fmt: skip
        return given

    async def predict(self, columns: Any, rows: int, request_id: str) -> Outputs:
        ids = [request_id] if rows == 1 else [f"{request_id}-{i}" for i in range(rows)]
        self.metrics.queued.set(self.batcher.queued_rows)
        try:
            return await self.batcher.submit(columns, rows, ids)
        except (OverloadedError, RequestError):
            raise
        except Exception as exc:
            raise RequestError(
                f"The model could not compute this input: {type(exc).__name__}: {exc}",
                status=422, code="model_error",
            ) from exc  # fmt: skip


def create_app(
    model: ServedModel,
    *,
    max_latency_ms: float = 100.0,
    max_batch_size: int = 256,
    max_queue_rows: int | None = None,
    max_request_rows: int = 10_000,
    max_body_bytes: int = 16 << 20,
    body_timeout: float = 10.0,
    batch_wait_ms: float = 0.0,
    prediction_log: PredictionLog | None = None,
    metrics_token: str | None = None,
) -> FastAPI:
    """A FastAPI app serving ``model`` (see :func:`driftline.serve.load_model`).

    Requests are batched adaptively (see docs/serving.md): at most ``max_batch_size`` rows
    per model call, never waiting for a batch to fill (``batch_wait_ms`` > 0 makes it a
    fixed-wait batcher, ``max_batch_size=1`` switches batching off: for comparison); a
    request that cannot be answered within ``max_latency_ms`` gets 429 with
    ``Retry-After``. ``max_queue_rows`` bounds the queue (default 20 batches).
    ``prediction_log`` (a :class:`PredictionLog`) receives every prediction with its id.
    ``metrics_token``, when set, is the bearer token ``GET /metrics`` needs.
    """
    from driftline._params import Interval, check

    positive = Interval("real", 0, None, closed="neither")
    count = Interval("int", 1, None)
    max_latency_ms = check("create_app", "max_latency_ms", max_latency_ms, positive)
    max_batch_size = check("create_app", "max_batch_size", max_batch_size, count)
    max_request_rows = check("create_app", "max_request_rows", max_request_rows, count)
    max_body_bytes = check("create_app", "max_body_bytes", max_body_bytes, count)
    body_timeout = check("create_app", "body_timeout", body_timeout, positive)
    batch_wait_ms = check("create_app", "batch_wait_ms", batch_wait_ms, Interval("real", 0, None))
    max_queue_rows = check("create_app", "max_queue_rows", max_queue_rows, count, None)
    given: object = model
    if not isinstance(given, ServedModel):
        from driftline.exceptions import ParameterError

        raise ParameterError(
            "The 'model' parameter of create_app must be a ServedModel (from "
            f"driftline.serve.load_model); got {type(given).__name__}."
        )
    service = _Service(
        model,
        max_latency=max_latency_ms / 1000,
        max_batch_size=max_batch_size,
        max_queue_rows=max_queue_rows or 20 * max_batch_size,
        max_request_rows=max_request_rows,
        max_body_bytes=max_body_bytes,
        body_timeout=body_timeout,
        batch_wait=batch_wait_ms / 1000,
        prediction_log=prediction_log,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.batcher.start()
        if service.log is not None:
            service.log.start()
        service.ready = True
        try:
            yield
        finally:
            service.ready = False
            await service.batcher.stop()
            if service.log is not None:
                await asyncio.to_thread(service.log.close)

    app = FastAPI(
        title=f"driftline serve: {model.name}",
        version=__version__,
        description=(
            "Open Inference Protocol v2 REST and an MLflow-compatible /invocations for one "
            'model. Errors are JSON {"error": {"code", "message", "details"}}.'
        ),
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(_CountRequests, count=service.metrics.count_request)
    _routes(app, service, metrics_token)
    return app


class _CountRequests:
    """Count prediction requests by route and status (a plain ASGI middleware: no body
    buffering, no task per request)."""

    def __init__(self, app: Any, count: Callable[[str, int], None]) -> None:
        self.app = app
        self.count = count

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        route = (
            "invocations"
            if path == "/invocations"
            else "infer"
            if path.endswith("/infer")
            else None
        )
        if route is None:
            await self.app(scope, receive, send)
            return

        async def counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.count(route, int(message["status"]))
            await send(message)

        await self.app(scope, receive, counted)


def _check_name(service: _Service, name: str, version: str | None = None) -> None:
    model = service.model
    if name != model.name or (version is not None and version != model.version):
        wanted = name if version is None else f"{name}/{version}"
        raise RequestError(
            f"No model {wanted!r} here; this server serves {model.name!r} version "
            f"{model.version!r}.",
            status=404, code="not_found", field="name",
        )  # fmt: skip


def _v2_outputs(model: ServedModel, outputs: Outputs, wanted: list[str] | None) -> list[Any]:
    n = len(outputs.predictions)
    result: list[dict[str, Any]] = []
    if wanted is None or "predictions" in wanted:
        datatype = model.metadata()["outputs"][0]["datatype"]
        result.append({"name": "predictions", "shape": [n], "datatype": datatype,
                       "data": _labels(outputs.predictions)})  # fmt: skip
    if outputs.probabilities is not None and (wanted is None or "probabilities" in wanted):
        proba = outputs.probabilities
        result.append({"name": "probabilities", "shape": list(proba.shape), "datatype": "FP64",
                       "data": proba.reshape(-1).tolist()})  # fmt: skip
    return result


def _routes(app: FastAPI, service: _Service, metrics_token: str | None) -> None:
    model = service.model
    errors = error_responses()

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> Response:
        details = None if exc.field is None else {"field": exc.field}
        return _error(exc.status, exc.code, exc.message, details)

    @app.exception_handler(OverloadedError)
    async def _overloaded(request: Request, exc: OverloadedError) -> Response:
        seconds = max(1, math.ceil(exc.retry_after))
        return _error(429, "overloaded", f"{exc} Retry after {seconds} s.",
                      {"retry_after": seconds}, **{"Retry-After": str(seconds)})  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover
        return _error(500, "internal_error", "An unexpected server error; see the server log.")

    @app.get("/v2/health/live", summary="Liveness (Open Inference Protocol)")
    async def live() -> dict[str, bool]:
        return {"live": True}

    @app.get("/v2/health/ready", summary="Readiness (Open Inference Protocol)",
             responses={503: {"description": "Not ready"}})  # fmt: skip
    async def ready() -> Response:
        return _Json({"ready": service.ready}, status_code=200 if service.ready else 503)

    @app.get("/ping", summary="Health (MLflow scoring server)")
    async def ping() -> Response:
        return _Json({"status": "ok"} if service.ready else {"status": "starting"},
                     status_code=200 if service.ready else 503)  # fmt: skip

    @app.get("/v2", summary="Server metadata (Open Inference Protocol)")
    async def server_metadata() -> dict[str, Any]:
        return {"name": "driftline", "version": __version__, "extensions": []}

    @app.get("/v2/models/{name}", summary="Model metadata: inputs, outputs, task",
             responses=errors)  # fmt: skip
    async def metadata(name: str) -> Response:
        _check_name(service, name)
        return _Json(model.metadata())

    @app.get("/v2/models/{name}/versions/{version}", summary="Model version metadata",
             responses=errors)  # fmt: skip
    async def version_metadata(name: str, version: str) -> Response:
        _check_name(service, name, version)
        return _Json(model.metadata())

    @app.get("/v2/models/{name}/ready", summary="Model readiness", responses=errors)
    async def model_ready(name: str) -> Response:
        _check_name(service, name)
        return _Json({"name": name, "ready": service.ready},
                     status_code=200 if service.ready else 503)  # fmt: skip

    async def infer(request: Request, name: str, version: str | None) -> Response:
        _check_name(service, name, version)
        body = await service.body(request)
        columns, rows, body_id, wanted = decode_v2(
            body, model.signature, max_rows=service.max_request_rows
        )
        request_id = service.request_id(request, body_id)
        outputs = await service.predict(columns, rows, request_id)
        payload = {"model_name": model.name, "model_version": model.version, "id": request_id,
                   "outputs": _v2_outputs(model, outputs, wanted)}  # fmt: skip
        return _Json(payload, headers={"X-Request-Id": request_id})

    infer_doc = {"requestBody": INFER_BODY}

    @app.post("/v2/models/{name}/infer", summary="Predict (Open Inference Protocol v2)",
              responses=errors, openapi_extra=infer_doc)  # fmt: skip
    async def infer_route(request: Request, name: str) -> Response:
        return await infer(request, name, None)

    @app.post("/v2/models/{name}/versions/{version}/infer", responses=errors,
              summary="Predict with a named version (Open Inference Protocol v2)",
              openapi_extra=infer_doc)  # fmt: skip
    async def infer_version_route(request: Request, name: str, version: str) -> Response:
        return await infer(request, name, version)

    @app.post("/invocations", summary="Predict (MLflow scoring server format)",
              responses=errors, openapi_extra={"requestBody": INVOCATIONS_BODY})  # fmt: skip
    async def invocations(request: Request) -> Response:
        body = await service.body(request)
        columns, rows = decode_invocations(body, model.signature,
                                           max_rows=service.max_request_rows)  # fmt: skip
        request_id = service.request_id(request)
        outputs = await service.predict(columns, rows, request_id)
        payload: dict[str, Any] = {"predictions": _labels(outputs.predictions)}
        if outputs.probabilities is not None:
            payload["probabilities"] = outputs.probabilities.tolist()
        return _Json(payload, headers={"X-Request-Id": request_id})

    @app.get("/metrics", summary="Prometheus metrics",
             responses={401: {"description": "The metrics token is needed"}})  # fmt: skip
    async def metrics(request: Request) -> Response:
        if metrics_token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
                return _error(401, "unauthorized", "GET /metrics needs the metrics token "
                              "(Authorization: Bearer <token>).")  # fmt: skip
        service.metrics.queued.set(service.batcher.queued_rows)
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
