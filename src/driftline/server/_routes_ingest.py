"""Ingestion: prediction batches, late labels and precomputed window profiles."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Annotated, Any, Final

import pyarrow as pa
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import SerializationError
from driftline.server._admission import ROW_BYTES, Lease, admitted_body
from driftline.server._auth import ProjectContext, VersionContext, project_access, resolve_version
from driftline.server._binary import decoded_estimate, table_from_arrow, table_from_parquet
from driftline.server._bodies import (
    ARROW_TYPES,
    JSON_TYPES,
    PARQUET_TYPES,
    PROFILE_TYPES,
    BodyLimits,
    check_rows,
    media_type,
    parse_json,
    table_from_json,
)
from driftline.server._errors import ApiError, error_body
from driftline.server._json import JSONResponse
from driftline.server._schemas import IngestOut, LabelsOut, ProfileOut, RejectedRowOut, UtcDatetime
from driftline.server._state import ServerState, state_of
from driftline.store import MAX_TIMESTAMP, MIN_TIMESTAMP, IngestResult, LabelResult

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["ingestion"])
VERSION: Final = "/projects/{project}/models/{model}/versions/{version}"
_INLINE: Final = 64 << 10  # parse bodies up to 64 KiB on the event loop, larger ones in a thread
_BINARY: Final = {"schema": {"type": "string", "format": "binary"}}
_SCALAR: Final = {"type": ["string", "number", "integer", "boolean", "null"]}
_PREDICTIONS_JSON: Final = {
    "oneOf": [
        {
            "type": "object",
            "required": ["records"],
            "properties": {
                "records": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": _SCALAR},
                }
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["columns"],
            "properties": {
                "columns": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": _SCALAR},
                }
            },
            "additionalProperties": False,
        },
    ]
}
_LABELS_JSON: Final = {
    "oneOf": [
        {
            "type": "object",
            "required": ["prediction_ids", "labels"],
            "properties": {
                "prediction_ids": {"type": "array", "items": {"type": "string"}},
                "labels": {"type": "array", "items": {"type": "number"}},
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["records"],
            "properties": {
                "records": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["prediction_id", "label"],
                        "properties": {
                            "prediction_id": {"type": "string"},
                            "label": {"type": "number"},
                        },
                    },
                }
            },
            "additionalProperties": False,
        },
    ]
}
_UNSUPPORTED = (
    "Unsupported content type {kind!r}; send application/json, "
    "application/vnd.apache.arrow.stream or application/vnd.apache.parquet."
)


async def _table(
    request: Request, state: ServerState, kind: str, columns: Collection[str]
) -> tuple[pa.Table, Lease]:
    """The body as a validated, size-checked table, and its admission lease (the caller
    releases it once the table is no longer needed). Of a Parquet body only ``columns``
    are read."""
    body, lease = await admitted_body(request, state.settings, kind)
    limits = BodyLimits.of(state.settings)
    try:
        if kind in JSON_TYPES:

            def from_json() -> pa.Table:
                return table_from_json(parse_json(body), limits)

            table = from_json() if len(body) <= _INLINE else await run_in_threadpool(from_json)
        else:
            decoded, rows = decoded_estimate(body, kind, limits, columns=columns)
            await lease.grow(max(decoded, len(body)) + ROW_BYTES * rows)

            def from_binary() -> pa.Table:
                if kind in ARROW_TYPES:
                    return table_from_arrow(body, limits)
                return table_from_parquet(body, limits, columns=columns)

            table = from_binary() if len(body) <= _INLINE else await run_in_threadpool(from_binary)
        lease.shrink(2 * table.nbytes + len(body) + ROW_BYTES * table.num_rows)
    except BaseException:
        lease.release()
        raise
    return table, lease


def _format(kind: str) -> str:
    if kind in JSON_TYPES:
        return "json"
    return "arrow" if kind in ARROW_TYPES else "parquet"


def _ingest_body(result: IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "prediction_ids": list(result.prediction_ids),
        "duplicates": list(result.duplicates),
        "rejected": [r.to_dict() for r in result.rejected],
        "stored": result.stored,
    }


@router.post(
    VERSION + "/predictions",
    response_model=IngestOut,
    summary="Ingest a batch of predictions (JSON records/columns, Arrow IPC stream, Parquet)",
    responses={
        413: {"description": "Body or row count over the limit"},
        415: {"description": "Unsupported content type"},
        422: {"description": "Schema mismatch, or all_or_nothing and a row is invalid"},
        429: {"description": "Rate limited (see Retry-After)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _PREDICTIONS_JSON},
                "application/vnd.apache.arrow.stream": _BINARY,
                "application/vnd.apache.parquet": _BINARY,
            },
        }
    },
)
async def ingest_predictions(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    all_or_nothing: Annotated[
        bool, Query(description="Refuse the whole batch (422) if any row is invalid.")
    ] = False,
) -> Any:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    kind = media_type(request.headers.get("content-type"))
    if kind not in (*JSON_TYPES, *ARROW_TYPES, *PARQUET_TYPES):
        raise ApiError(415, _UNSUPPORTED.format(kind=kind or "(none)"))
    names = (ctx.project_name, model, version)
    fmt = _format(kind)
    try:
        columns = (await run_in_threadpool(state.store.schema, vctx.version_id)).columns
        table, lease = await _table(request, state, kind, columns)
        async with lease:
            result = await state.ingestor.submit(
                vctx.version_id, table, all_or_nothing=all_or_nothing
            )
    except Exception:
        state.metrics.ingest_requests.labels(*names, fmt, "error").inc()
        raise
    metrics = state.metrics
    metrics.ingest_rows.labels(*names, "accepted").inc(result.accepted)
    metrics.ingest_rows.labels(*names, "duplicate").inc(len(result.duplicates))
    metrics.ingest_rows.labels(*names, "rejected").inc(len(result.rejected))
    body = _ingest_body(result)
    if not result.stored:
        metrics.ingest_requests.labels(*names, fmt, "refused").inc()
        message = (
            f"{len(result.rejected)} row(s) are invalid and all_or_nothing=true: nothing was "
            "stored. See 'rejected' for the reasons per row."
        )
        body.update(error_body("rows_rejected", message, {"rejected": body["rejected"]}))
        return JSONResponse(body, status_code=422)
    metrics.ingest_requests.labels(*names, fmt, "stored").inc()
    return JSONResponse(body)


def _labels_from_json(data: Any) -> tuple[list[Any], list[Any]]:
    if isinstance(data, dict) and set(data) == {"prediction_ids", "labels"}:
        ids, labels = data["prediction_ids"], data["labels"]
        if not isinstance(ids, list) or not isinstance(labels, list):
            raise ApiError(400, '"prediction_ids" and "labels" must be lists.')
    elif isinstance(data, dict) and set(data) == {"records"} and isinstance(data["records"], list):
        records = data["records"]
        if not all(isinstance(r, dict) for r in records):
            raise ApiError(400, 'Every item of "records" must be an object.')
        try:
            ids = [r["prediction_id"] for r in records]
            labels = [r["label"] for r in records]
        except KeyError as exc:
            raise ApiError(400, f"A record lacks the key {exc.args[0]!r}.") from None
    else:
        raise ApiError(
            400,
            'The JSON body must be {"prediction_ids": [...], "labels": [...]} or '
            '{"records": [{"prediction_id": ..., "label": ...}, ...]}.',
        )
    if len(ids) != len(labels):
        raise ApiError(400, f"Got {len(ids)} prediction ids but {len(labels)} labels.")
    return ids, labels


def _labels_from_table(table: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    if "prediction_id" not in table.column_names or "label" not in table.column_names:
        raise ApiError(
            400, f"The table needs 'prediction_id' and 'label' columns; got {table.column_names}."
        )
    return table["prediction_id"], table["label"]


def _store_labels(state: ServerState, version_id: str, ids: Any, labels: Any) -> LabelResult:
    if len(ids) == 0:
        raise ApiError(400, "No labels in the body; send at least one.")
    check_rows(len(ids), 2, state.settings.max_rows_per_request)
    return state.store.ingest_labels(version_id, ids, labels)


@router.post(
    VERSION + "/labels",
    response_model=LabelsOut,
    summary="Ingest labels, joined to predictions by id (early labels wait)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _LABELS_JSON},
                "application/vnd.apache.arrow.stream": _BINARY,
                "application/vnd.apache.parquet": _BINARY,
            },
        }
    },
)
async def ingest_labels(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> LabelsOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    kind = media_type(request.headers.get("content-type"))
    if kind not in (*JSON_TYPES, *ARROW_TYPES, *PARQUET_TYPES):
        raise ApiError(415, _UNSUPPORTED.format(kind=kind or "(none)"))
    if kind in JSON_TYPES:
        body, lease = await admitted_body(request, state.settings, kind)
        async with lease:
            ids, labels = _labels_from_json(await run_in_threadpool(parse_json, body))
            del body
            result = await run_in_threadpool(_store_labels, state, vctx.version_id, ids, labels)
    else:
        table, lease = await _table(request, state, kind, ("prediction_id", "label"))
        async with lease:
            id_column, label_column = _labels_from_table(table)
            result = await run_in_threadpool(
                _store_labels, state, vctx.version_id, id_column, label_column
            )
    names = (ctx.project_name, model, version)
    state.metrics.labels.labels(*names, "joined").inc(result.joined)
    state.metrics.labels.labels(*names, "pending").inc(result.pending)
    return LabelsOut(
        joined=result.joined,
        pending=result.pending,
        rejected=[RejectedRowOut(**r.to_dict()) for r in result.rejected],
    )


def _ingest_profile(
    state: ServerState,
    vctx: VersionContext,
    body: bytes,
    start: datetime | None,
    window_key: int | None,
) -> ProfileOut:
    from driftline.profiles import DatasetProfile

    try:
        from driftline.monitor import ingest_profile
    except ImportError:
        raise ApiError(
            501,
            "Profile ingestion needs driftline.monitor.ingest_profile, which this "
            "installation does not provide.",
        ) from None
    try:
        profile = DatasetProfile.from_bytes(body)
    except (SerializationError, ValueError) as exc:
        raise ApiError(400, f"The body is not a driftline profile: {exc}") from None
    window = ingest_profile(
        state.engine, vctx.version_id, profile, start=start, window_key=window_key
    )
    return ProfileOut(window_key=int(window.window_key), rows=int(window.row_count))


@router.post(
    VERSION + "/profiles",
    response_model=ProfileOut,
    summary="Merge a precomputed DatasetProfile into a window",
    responses={501: {"description": "The monitor package is not installed"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/vnd.driftline.profile": _BINARY},
        }
    },
)
async def ingest_profile_route(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    start: Annotated[
        UtcDatetime | None, Query(description="Start of the time window (ISO 8601).")
    ] = None,
    window_key: Annotated[
        int | None, Query(ge=0, le=2**62, description="Window key (row windows).")
    ] = None,
) -> ProfileOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    if (start is None) == (window_key is None):
        raise ApiError(400, "Give exactly one of the query parameters 'start' and 'window_key'.")
    if start is not None and not MIN_TIMESTAMP <= start < MAX_TIMESTAMP:
        raise ApiError(
            422,
            f"'start' must lie between {MIN_TIMESTAMP.date()} and {MAX_TIMESTAMP.date()} (UTC), "
            f"the range of prediction timestamps; got {start.isoformat()}.",
            code="invalid_request",
        )
    kind = media_type(request.headers.get("content-type"))
    if kind not in PROFILE_TYPES:
        raise ApiError(
            415,
            f"Unsupported content type {kind or '(none)'!r}; send "
            "application/vnd.driftline.profile (DatasetProfile.to_bytes()).",
        )
    body, lease = await admitted_body(request, state.settings, kind)
    async with lease:
        return await run_in_threadpool(_ingest_profile, state, vctx, body, start, window_key)
