"""Models, model versions and their reference data or profile."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import ParameterError, SchemaMismatchError, SerializationError
from driftline.server._admission import ROW_BYTES, admitted_body
from driftline.server._audit import digest, record
from driftline.server._auth import (
    ProjectContext,
    VersionContext,
    find_model,
    project_access,
    resolve_version,
)
from driftline.server._binary import decoded_estimate, table_from_arrow, table_from_parquet
from driftline.server._bodies import (
    ARROW_TYPES,
    PARQUET_TYPES,
    PROFILE_TYPES,
    BodyLimits,
    media_type,
)
from driftline.server._errors import ApiError
from driftline.server._schemas import (
    ModelIn,
    ModelOut,
    ReferenceOut,
    TimeWindow,
    VersionIn,
    VersionOut,
)
from driftline.server._state import ServerState, state_of
from driftline.store import (
    Catalog,
    Model,
    ModelVersion,
    VersionSchema,
    to_ipc,
    validate_batch,
    validate_labels,
    window_origin,
)

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["models"])
MODEL = "/projects/{project}/models/{model}"
VERSION = MODEL + "/versions/{version}"
_BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def _model_out(state: ServerState, model: Model) -> ModelOut:
    with state.sessions() as session:
        versions = session.scalars(
            select(ModelVersion.version)
            .where(ModelVersion.model_id == model.id)
            .order_by(ModelVersion.created_at)
        ).all()
    return ModelOut(name=model.name, created_at=model.created_at, versions=list(versions))


def _align(row: ModelVersion) -> str:
    """How a version's time windows are aligned (see ``TimeWindow.align``)."""
    calendar = window_origin(row.window_size, "calendar")
    return "calendar" if row.window_origin == calendar else "epoch"


def _version_out(model: str, row: ModelVersion) -> VersionOut:
    window: dict[str, Any] = (
        {"kind": "time", "size_seconds": row.window_size, "align": _align(row)}
        if row.window_kind == "time"
        else {"kind": "rows", "size": row.window_size}
    )
    return VersionOut.model_validate(
        {
            "model": model,
            "version": row.version,
            "schema": row.schema,
            "window": window,
            "has_reference_profile": row.reference_profile is not None,
            "has_reference_data": row.reference_data is not None,
            "created_at": row.created_at,
        }
    )


@router.get("/projects/{project}/models", response_model=list[ModelOut], summary="List models")
def list_models(
    request: Request, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> list[ModelOut]:
    state = state_of(request)
    with state.sessions() as session:
        models = session.scalars(
            select(Model).where(Model.project_id == ctx.project_id).order_by(Model.name)
        ).all()
    return [_model_out(state, m) for m in models]


@router.post(
    "/projects/{project}/models",
    response_model=ModelOut,
    status_code=201,
    summary="Create a model",
    responses={409: {"description": "A model of this name exists"}},
)
def create_model(
    request: Request, body: ModelIn, ctx: Annotated[ProjectContext, project_access("editor")]
) -> ModelOut:
    state = state_of(request)
    try:
        with state.writes.begin() as session:
            model = Catalog(session).create_model(ctx.project_id, body.name)
            record(
                state, session, ctx, "model.created", {"model": model.name, "model_id": model.id}
            )
    except IntegrityError:
        raise ApiError(
            409, f"A model named {body.name!r} already exists in project {ctx.project_name!r}."
        ) from None
    return ModelOut(name=model.name, created_at=model.created_at, versions=[])


@router.get(MODEL, response_model=ModelOut, summary="A model and its versions")
def get_model(
    request: Request, model: str, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> ModelOut:
    state = state_of(request)
    return _model_out(state, find_model(state, ctx, model))


@router.get(MODEL + "/versions", response_model=list[VersionOut], summary="List versions")
def list_versions(
    request: Request, model: str, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> list[VersionOut]:
    state = state_of(request)
    found = find_model(state, ctx, model)
    with state.sessions() as session:
        rows = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.model_id == found.id)
            .order_by(ModelVersion.created_at)
        ).all()
    return [_version_out(model, r) for r in rows]


@router.post(
    MODEL + "/versions",
    response_model=VersionOut,
    status_code=201,
    summary="Register a version (schema and window)",
    responses={409: {"description": "The version exists"}},
)
def create_version(
    request: Request,
    model: str,
    body: VersionIn,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> VersionOut:
    state = state_of(request)
    found = find_model(state, ctx, model)
    try:
        schema = VersionSchema(**body.schema_.model_dump())
        schema.check_reserved()
    except ParameterError as exc:
        raise ApiError(422, str(exc), code="invalid_schema") from None
    window = body.window
    settings = state.settings
    if isinstance(window, TimeWindow) and window.size_seconds < settings.min_window_seconds:
        raise ApiError(
            422,
            f"A time window must be at least {settings.min_window_seconds} seconds long "
            f"(min_window_seconds); got {window.size_seconds}.",
            code="window_too_small",
        )
    if not isinstance(window, TimeWindow) and window.size < settings.min_window_rows:
        raise ApiError(
            422,
            f"A row window must hold at least {settings.min_window_rows} rows "
            f"(min_window_rows); got {window.size}.",
            code="window_too_small",
        )
    try:
        with state.writes.begin() as session:
            catalog = Catalog(session)
            if isinstance(window, TimeWindow):
                row = catalog.create_version(
                    found.id,
                    body.version,
                    schema,
                    window_kind="time",
                    window_size=window.size_seconds,
                    window_align=window.align,
                )
            else:
                row = catalog.create_version(
                    found.id, body.version, schema, window_kind="rows", window_size=window.size
                )
            payload = {
                "model": model,
                "version": row.version,
                "version_id": row.id,
                "schema_sha256": digest(row.schema),
                "window": {"kind": row.window_kind, "size": row.window_size},
            }
            record(state, session, ctx, "version.registered", payload)
    except IntegrityError:
        raise ApiError(
            409, f"Model {model!r} already has a version {body.version!r}; versions are immutable."
        ) from None
    return _version_out(model, row)


@router.get(VERSION, response_model=VersionOut, summary="A version")
async def get_version(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
) -> VersionOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)

    def read() -> VersionOut:
        with state.sessions() as session:
            row = session.get(ModelVersion, vctx.version_id)
            if row is None:
                raise ApiError(404, f"No version {version!r} of model {model!r}.")
            return _version_out(model, row)

    return await run_in_threadpool(read)


def _record_reference(
    state: ServerState, session: Session, vctx: VersionContext, kind: str, profile: bytes
) -> None:
    payload = {
        "model": vctx.model_name,
        "version": vctx.version,
        "kind": kind,
        "profile_sha256": hashlib.sha256(profile).hexdigest(),
    }
    record(state, session, vctx.project, "reference.attached", payload)


def _reference_from_table(
    state: ServerState, vctx: VersionContext, table: pa.Table, target: str | None
) -> ReferenceOut:
    from driftline.monitor import profile_rows

    with state.sessions() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
        schema = VersionSchema.from_dict(row.schema)
    names = set(table.column_names)
    missing = [c for c in schema.features if c not in names]
    if missing:
        raise SchemaMismatchError(
            f"The reference lacks the feature column(s) {missing}; the version's schema needs "
            f"{list(schema.features)}."
        )
    if target is not None and target not in names:
        raise SchemaMismatchError(
            f"The target column {target!r} is not in the reference; columns: {sorted(names)}."
        )
    kept: dict[str, pa.ChunkedArray | pa.Array] = {}
    body = table.drop_columns([target]) if target is not None else table
    checked = validate_batch(schema, body, now=datetime.now(UTC), require_output=False)
    reasons = dict(checked.reasons)
    if target is not None:
        # (the reference defines the classes of a multiclass model: none to check against)
        labels = validate_labels(schema.task, None, table[target])
        for r, why in labels.reasons.items():
            reasons.setdefault(r, []).extend(f"{target}: {w.split(': ', 1)[1]}" for w in why)
        kept["label"] = pa.array(labels.values, pa.float64())
    if reasons:
        bad = sorted(reasons)[:100]
        raise ApiError(
            422,
            f"{len(reasons)} reference row(s) are invalid; fix or drop them.",
            code="invalid_rows",
            details=[{"row": r, "reasons": reasons[r]} for r in bad],
        )
    rows = checked.table
    outputs = {r: rows[r] for r in ("score", "prediction") if r in rows.column_names}
    kept = {**outputs, **kept}
    # Profiled as the monitor profiles windows (features, score, prediction), so they compare.
    ref_profile = profile_rows(schema, rows)
    reference_data = pa.table(kept) if kept else None
    with state.writes.begin() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
        row.reference_profile = ref_profile.to_bytes()
        row.reference_data = None if reference_data is None else to_ipc(reference_data)
        _record_reference(state, session, vctx, "data", row.reference_profile)
    return ReferenceOut(
        version=vctx.version,
        kind="data",
        rows=table.num_rows,
        profiled_columns=ref_profile.column_names,
        kept_columns=list(kept),
    )


def _reference_from_profile(state: ServerState, vctx: VersionContext, body: bytes) -> ReferenceOut:
    from driftline.profiles import DatasetProfile

    try:
        ref = DatasetProfile.from_bytes(body)
    except (SerializationError, ValueError) as exc:
        raise ApiError(400, f"The body is not a driftline profile: {exc}") from None
    with state.writes.begin() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
        schema = VersionSchema.from_dict(row.schema)
        missing = [c for c in schema.features if c not in ref]
        if missing:
            raise SchemaMismatchError(
                f"The profile lacks the feature column(s) {missing}; the version's schema "
                f"needs {list(schema.features)}."
            )
        row.reference_profile = body
        _record_reference(state, session, vctx, "profile", body)
    return ReferenceOut(
        version=vctx.version,
        kind="profile",
        rows=ref.n_rows,
        profiled_columns=ref.column_names,
        kept_columns=[],
    )


@router.put(
    VERSION + "/reference",
    response_model=ReferenceOut,
    summary="Set the reference: raw rows (Arrow/Parquet) or a DatasetProfile",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/vnd.apache.arrow.stream": _BINARY["application/octet-stream"],
                "application/vnd.apache.parquet": _BINARY["application/octet-stream"],
                "application/vnd.driftline.profile": _BINARY["application/octet-stream"],
            },
        }
    },
)
async def put_reference(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    target: Annotated[
        str | None, Query(max_length=200, description="The label column of the reference rows.")
    ] = None,
) -> ReferenceOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    kind = media_type(request.headers.get("content-type"))
    if kind not in (*ARROW_TYPES, *PARQUET_TYPES, *PROFILE_TYPES):
        raise ApiError(
            415,
            f"Unsupported content type {kind or '(none)'!r} for a reference; send "
            "application/vnd.apache.arrow.stream, application/vnd.apache.parquet or "
            "application/vnd.driftline.profile.",
        )
    body, lease = await admitted_body(request, state.settings, kind)
    async with lease:
        if kind in PROFILE_TYPES:
            return await run_in_threadpool(_reference_from_profile, state, vctx, body)
        limits = BodyLimits.of(state.settings)
        schema = await run_in_threadpool(state.store.schema, vctx.version_id)
        columns = [*schema.columns, *([target] if target is not None else [])]
        decoded, rows = decoded_estimate(body, kind, limits, columns=columns)
        await lease.grow(max(decoded, len(body)) + ROW_BYTES * rows)
        if kind in ARROW_TYPES:
            table = await run_in_threadpool(table_from_arrow, body, limits)
        else:
            table = await run_in_threadpool(
                functools.partial(table_from_parquet, body, limits, columns=columns)
            )
        del body
        return await run_in_threadpool(_reference_from_table, state, vctx, table, target)
