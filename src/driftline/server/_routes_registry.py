"""The registry: artifacts of versions, aliases and their history, datasets, lineage.

Writes need ``editor``, reads ``viewer`` (the convention of every route). Every failure
is a 4xx naming what was wrong, and leaves nothing half-written: an artifact is checked
(size, digest, format, signature) before it is published and registered; an alias move
writes its history and current rows in one transaction. Every write that changes
something appends its audit event (``artifact.uploaded``, ``alias.moved``,
``alias.removed``, ``dataset.registered``, ``lineage.recorded``) in that same transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import (
    DataError,
    DigestMismatchError,
    DriftlineError,
    NotFoundError,
    ParameterError,
    SchemaMismatchError,
    SerializationError,
    UnsupportedInputError,
)
from driftline.registry import (
    ArtifactStore,
    ArtifactUpload,
    LineageGraph,
    ModelRef,
    alias_event,
    artifact_event,
    check_artifact,
    check_digest,
    dataset_event,
    dataset_record,
    lineage_events,
    lineage_of,
    move_record,
    resolve_in,
    retrying,
    schema_digest,
)
from driftline.server._audit import record, record_all
from driftline.server._auth import ProjectContext, project_access, resolve_version
from driftline.server._errors import ApiError
from driftline.server._schemas import UtcDatetime
from driftline.server._state import ServerState, state_of
from driftline.store import (
    FLAVORS,
    Model,
    ModelVersion,
    RegistryRepository,
    TokenInfo,
    VersionSchema,
    check_alias,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry"])
MODEL = "/projects/{project}/models/{model}"
VERSION = MODEL + "/versions/{version}"
_FLUSH: Final = 1 << 20  # bytes of an upload buffered before a write to the spool file
_SIGNATURE_HEADER: Final = "X-Driftline-Signature"


# --- schemas ------------------------------------------------------------------------------
class ArtifactOut(BaseModel):
    """A version's artifact (``digest`` null: none uploaded yet)."""

    model: str
    version: str
    digest: str | None
    flavor: str | None
    size: int | None
    signature: dict[str, Any] | None
    created: bool = False


class AliasIn(BaseModel):
    """Point ``alias`` at ``version``."""

    model_config = ConfigDict(extra="forbid")
    alias: str = Field(min_length=1, max_length=64, description="e.g. production, staging")
    version: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=1000)


class AliasOut(BaseModel):
    """One move of an alias (``version`` null: the alias was removed)."""

    model: str
    alias: str
    version: str | None
    previous: str | None
    seq: int
    actor: str
    reason: str
    moved_at: datetime
    changed: bool = True


class ResolvedOut(BaseModel):
    """An alias and the version it points at (now, or at ``at``), with its artifact."""

    model: str
    alias: str | None
    version: str
    at: datetime | None
    artifact_digest: str | None
    artifact_flavor: str | None
    artifact_size: int | None
    signature: dict[str, Any] | None
    seq: int
    actor: str
    moved_at: datetime


class DatasetIn(BaseModel):
    """A data set's fingerprint (computed where the data is: ``driftline.registry.
    fingerprint_dataset``) and facts. ``profile`` is its ``DatasetProfile`` (base64)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
    fingerprint: str = Field(min_length=64, max_length=71)
    schema_digest: str = Field(min_length=64, max_length=71)
    schema_: dict[str, str] = Field(alias="schema", max_length=10_000)
    rows: int | None = Field(default=None, ge=0)
    profile: str | None = Field(default=None, description="base64 of DatasetProfile.to_bytes()")
    source_uri: str = Field(default="", max_length=2000)
    licence: str = Field(default="", max_length=200)
    pii: bool = False


class DatasetOut(BaseModel):
    """A registered data set (``created`` false: it was registered before)."""

    id: str
    name: str
    fingerprint: str
    schema_digest: str
    rows: int | None
    source_uri: str
    licence: str
    pii: bool
    created_by: str
    created_at: datetime
    created: bool = True


class GateReportIn(BaseModel):
    """A gate report about the version (linked: version → gate report)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200)
    passed: bool
    digest: str | None = Field(default=None, max_length=71)
    uri: str = Field(default="", max_length=2000)


class LineageIn(BaseModel):
    """Lineage of a version: the training run that produced it, the data sets it read
    (names, fingerprints or ids), the ones it was evaluated on, its gate report."""

    model_config = ConfigDict(extra="forbid")
    run: str = Field(min_length=1, max_length=200)
    run_attributes: dict[str, str] = Field(default_factory=dict, max_length=100)
    datasets: list[str] = Field(default_factory=list, max_length=1000)
    evaluation: list[str] = Field(default_factory=list, max_length=1000)
    gate_report: GateReportIn | None = None


class LineageOut(BaseModel):
    """The lineage graph (``format=json``), or OpenLineage run events (``openlineage``)."""

    subject: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    openlineage: list[dict[str, Any]] | None = None


# --- helpers ------------------------------------------------------------------------------
def _actor(token: TokenInfo) -> str:
    return f"user:{token.user_id}" if token.user_id else f"token:{token.token_id}"


def _artifacts(state: ServerState) -> ArtifactStore:
    if state.artifacts is None:
        settings = state.settings
        if settings.artifact_store_url:
            options = (
                {"endpoint_url": settings.artifact_store_endpoint_url}
                if settings.artifact_store_endpoint_url
                else {}
            )
            state.artifacts = ArtifactStore(settings.artifact_store_url, storage_options=options)
        else:
            url = state.engine.url.render_as_string(hide_password=False)
            state.artifacts = ArtifactStore.for_database(url, home=settings.home)
    store: ArtifactStore = state.artifacts
    return store


def _error(exc: DriftlineError) -> ApiError:
    """The 4xx answer to a registry error."""
    if isinstance(exc, NotFoundError):
        return ApiError(404, str(exc))
    if isinstance(exc, DigestMismatchError):
        return ApiError(422, str(exc), code="digest_mismatch",
                        details={"expected": exc.expected, "actual": exc.actual})  # fmt: skip
    if isinstance(exc, SchemaMismatchError):
        details = {"columns": getattr(exc, "columns", None),
                   "problems": getattr(exc, "problems", None)}  # fmt: skip
        return ApiError(422, str(exc), code="signature_mismatch", details=details)
    if isinstance(exc, UnsupportedInputError):
        return ApiError(422, str(exc), code="unsupported_artifact")
    if isinstance(exc, SerializationError):
        return ApiError(422, str(exc), code="invalid_artifact")
    if isinstance(exc, DataError):
        return ApiError(422, str(exc), code="invalid_data")
    if isinstance(exc, ParameterError):
        return ApiError(422, str(exc), code="invalid_parameter")
    return ApiError(400, str(exc))


def _model(state: ServerState, ctx: ProjectContext, name: str) -> Model:
    with state.sessions() as session:
        found = session.scalar(
            select(Model).where(Model.project_id == ctx.project_id, Model.name == name)
        )
    if found is None:
        raise ApiError(404, f"No model named {name!r} in project {ctx.project_name!r}.")
    return found


def _artifact_out(model: str, row: ModelVersion, created: bool = False) -> ArtifactOut:
    return ArtifactOut(model=model, version=row.version, digest=row.artifact_digest,
                       flavor=row.artifact_flavor, size=row.artifact_size,
                       signature=row.signature, created=created)  # fmt: skip


# --- artifacts ----------------------------------------------------------------------------
@router.put(
    VERSION + "/artifact",
    response_model=ArtifactOut,
    summary="Upload the version's model artifact (ONNX, skops; pickle only if allowed)",
    responses={
        409: {"description": "The version has another artifact (artifacts are immutable)"},
        413: {"description": "Larger than max_artifact_bytes"},
        422: {
            "description": "Digest mismatch, bad flavor, unreadable artifact, or a "
            "signature that does not match the version's schema"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_artifact(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    flavor: Annotated[
        str | None, Query(max_length=16, description=f"One of {list(FLAVORS)}.")
    ] = None,
    sha256: Annotated[
        str | None, Query(max_length=71, description="The sha256 the content must hash to.")
    ] = None,
    signature: Annotated[
        str | None,
        Header(alias=_SIGNATURE_HEADER, description="The signature as JSON (inputs, outputs)."),
    ] = None,
) -> ArtifactOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    if flavor is None or flavor not in FLAVORS:
        raise ApiError(
            422,
            f"Unknown artifact flavor {flavor!r}: pass ?flavor= one of {list(FLAVORS)}.",
            code="unsupported_artifact",
        )
    if flavor == "pickle" and not state.settings.allow_pickle:
        raise ApiError(
            422,
            "This server does not accept pickle artifacts (loading one runs arbitrary code); "
            "upload ONNX or skops, or have the operator opt in with allow_pickle.",
            code="pickle_not_allowed",
        )
    if sha256 is None:
        raise ApiError(
            422,
            "Pass ?sha256= the artifact's sha256 hex digest, so that a corrupted upload is "
            "detected.",
            code="digest_required",
        )
    try:
        expected = check_digest(sha256, "sha256")
        declared = None if signature is None else json.loads(signature)
        if declared is not None and not isinstance(declared, dict):
            raise ParameterError(f"The {_SIGNATURE_HEADER} header must hold a JSON object.")
    except (ParameterError, ValueError) as exc:
        raise ApiError(422, str(exc), code="invalid_parameter") from None
    with state.sessions() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
        schema = VersionSchema.from_dict(row.schema)
        if row.artifact_digest is not None and row.artifact_digest != expected:
            raise ApiError(
                409,
                f"Version {version!r} of model {model!r} already has the artifact sha256 "
                f"{row.artifact_digest}; artifacts are immutable: register a new version.",
            )
    store = _artifacts(state)
    upload = await run_in_threadpool(
        store.begin, expected_sha256=expected, max_bytes=state.settings.max_artifact_bytes
    )
    with upload:
        await _receive(request, upload)
        try:
            await run_in_threadpool(upload.finish)
            checked = await run_in_threadpool(
                lambda: check_artifact(
                    upload.path,
                    flavor,
                    schema,
                    declared=declared,
                    allow_pickle=state.settings.allow_pickle,
                )
            )
            info = await run_in_threadpool(upload.commit)
        except DriftlineError as exc:
            raise _error(exc) from None
    sig = None if checked is None else checked.to_dict()

    def register(session: Session) -> tuple[ModelVersion, bool]:
        created = RegistryRepository(session).set_artifact(
            vctx.version_id, digest=info.digest, flavor=flavor, size=info.size, signature=sig
        )
        found = session.get(ModelVersion, vctx.version_id)
        assert found is not None
        if created:
            record(state, session, ctx, *artifact_event(
                model, found.version, found.id, digest=info.digest, flavor=flavor,
                size=info.size, signature=sig))  # fmt: skip
        return found, created

    try:
        registered, created = await run_in_threadpool(retrying, state.writes, register)
    except ParameterError as exc:  # a concurrent upload registered another artifact first
        raise ApiError(409, str(exc)) from None
    return _artifact_out(model, registered, created)


async def _receive(request: Request, upload: ArtifactUpload) -> None:
    """Stream the request body into ``upload`` (1 MiB at a time; 413 past the limit)."""
    buffer = bytearray()
    try:
        async for chunk in request.stream():
            buffer += chunk
            if len(buffer) >= _FLUSH:
                data, buffer = bytes(buffer), bytearray()
                await run_in_threadpool(upload.write, data)
        if buffer:
            await run_in_threadpool(upload.write, bytes(buffer))
    except DataError as exc:
        raise ApiError(413, str(exc), code="payload_too_large",
                       details={"limit_bytes": upload.max_bytes}) from None  # fmt: skip


@router.get(
    VERSION + "/artifact",
    response_model=ArtifactOut,
    summary="The version's artifact: its description, or (download=true) its bytes",
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "JSON description; the bytes with download=true (header "
            "X-Driftline-Sha256: verify it after the download)",
        },
        404: {"description": "download=true on a version without an artifact"},
    },
)
async def get_artifact(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    download: Annotated[bool, Query(description="Send the artifact's bytes.")] = False,
) -> Any:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    with state.sessions() as session:
        row = session.get(ModelVersion, vctx.version_id)
        assert row is not None
    if not download:
        return _artifact_out(model, row)
    digest = row.artifact_digest
    if digest is None:
        raise ApiError(
            404,
            f"Version {version!r} of model {model!r} has no artifact; upload one with "
            f"PUT .../versions/{version}/artifact.",
            code="no_artifact",
        )
    store = _artifacts(state)
    try:
        chunks: Iterator[bytes] = await run_in_threadpool(store.iter_chunks, digest)
    except NotFoundError:
        raise ApiError(
            404,
            f"The artifact sha256 {digest} of version {version!r} is missing from the "
            f"artifact store {store.url!r}.",
            code="artifact_missing",
        ) from None
    suffix = {"onnx": ".onnx", "skops": ".skops", "pickle": ".pkl"}.get(
        row.artifact_flavor or "", ""
    )
    filename = re.sub(r"[^A-Za-z0-9._~-]", "_", f"{model}-{version}")[:200] + suffix
    headers = {
        "X-Driftline-Sha256": digest,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if row.artifact_size is not None:
        headers["Content-Length"] = str(row.artifact_size)
    # A stored artifact that no longer hashes to its digest breaks the stream at the end
    # (the client verifies X-Driftline-Sha256 and discards it).
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


# --- aliases -------------------------------------------------------------------------------
def _move(
    state: ServerState, ctx: ProjectContext, model: str, alias: str, version: str | None,
    reason: str,
) -> AliasOut:  # fmt: skip
    found = _model(state, ctx, model)
    try:
        check_alias(alias)
    except ParameterError as exc:
        raise ApiError(422, str(exc), code="invalid_alias") from None
    if "\x00" in reason:
        raise ApiError(422, "The reason holds a NUL byte.", code="invalid_parameter")

    def work(session: Session) -> AliasOut:
        repo = RegistryRepository(session)
        version_id = None
        if version is not None:
            row = repo.version_of(found.id, version)
            if row is None:
                raise NotFoundError(f"No version {version!r} of model {model!r}.")
            version_id = row.id
        move, changed = repo.move_alias(found.id, alias, version_id, actor=_actor(ctx.token),
                                        reason=reason)  # fmt: skip
        moved = move_record(move, model, repo.version_names(found.id), changed)
        if changed:
            record(state, session, ctx, *alias_event(moved))
        return AliasOut(**moved.to_dict())

    try:
        return retrying(state.writes, work)
    except DriftlineError as exc:
        raise _error(exc) from None


@router.put(
    MODEL + "/aliases",
    response_model=AliasOut,
    summary="Point an alias at a version (the move is kept in the alias's history)",
    responses={404: {"description": "Unknown model or version"}},
)
def put_alias(
    request: Request,
    model: str,
    body: AliasIn,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> AliasOut:
    return _move(state_of(request), ctx, model, body.alias, body.version, body.reason)


@router.delete(
    MODEL + "/aliases",
    response_model=AliasOut,
    summary="Remove an alias (the removal is kept in its history)",
    responses={404: {"description": "Unknown model or alias"}},
)
def delete_alias(
    request: Request,
    model: str,
    ctx: Annotated[ProjectContext, project_access("editor")],
    alias: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str, Query(max_length=1000)] = "",
) -> AliasOut:
    if alias is None:
        raise ApiError(422, "Pass ?alias= the alias to remove.", code="invalid_parameter")
    return _move(state_of(request), ctx, model, alias, None, reason)


@router.get(
    MODEL + "/aliases",
    response_model=list[ResolvedOut],
    summary="The model's aliases and their versions, now or at a time (resolve)",
    responses={404: {"description": "alias= names an alias the model did not have then"}},
)
def list_aliases(
    request: Request,
    model: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    alias: Annotated[str | None, Query(max_length=64, description="Only this alias.")] = None,
    at: Annotated[UtcDatetime | None, Query(description="What the aliases were then.")] = None,
) -> list[ResolvedOut]:
    state = state_of(request)
    found = _model(state, ctx, model)
    with state.sessions() as session:
        repo = RegistryRepository(session)
        moves = repo.aliases_at(found.id, at) if at is not None else repo.current_moves(found.id)
        if alias is not None:
            if alias not in moves:
                try:
                    resolve_in(session, ctx.project_id, ModelRef(model, alias=alias), at)
                except NotFoundError as exc:
                    raise ApiError(404, str(exc), code="unknown_alias") from None
            moves = {alias: moves[alias]}
        out = []
        for name, move in sorted(moves.items()):
            row = session.get(ModelVersion, move.model_version_id)
            assert row is not None
            out.append(ResolvedOut(
                model=model, alias=name, version=row.version, at=at,
                artifact_digest=row.artifact_digest, artifact_flavor=row.artifact_flavor,
                artifact_size=row.artifact_size, signature=row.signature, seq=move.seq,
                actor=move.actor, moved_at=move.moved_at,
            ))  # fmt: skip
    return out


@router.get(
    MODEL + "/aliases/history",
    response_model=list[AliasOut],
    summary="Every move of the model's aliases (of one alias with alias=), oldest first",
)
def alias_history(
    request: Request,
    model: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    alias: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AliasOut]:
    state = state_of(request)
    found = _model(state, ctx, model)
    with state.sessions() as session:
        repo = RegistryRepository(session)
        names = repo.version_names(found.id)
        return [
            AliasOut(**move_record(m, model, names, True).to_dict())
            for m in repo.history(found.id, alias)
        ]


# --- datasets ------------------------------------------------------------------------------
@router.post(
    "/projects/{project}/datasets",
    response_model=DatasetOut,
    summary="Register a training or evaluation data set by fingerprint",
    responses={422: {"description": "Bad fingerprint, schema digest or profile"}},
)
def post_dataset(
    request: Request,
    body: DatasetIn,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> DatasetOut:
    import pyarrow as pa

    state = state_of(request)
    try:
        fingerprint = check_digest(body.fingerprint, "fingerprint")
        digest = check_digest(body.schema_digest, "schema_digest")
        fields = [pa.field(k, pa.type_for_alias(v)) for k, v in body.schema_.items()]
    except (ParameterError, ValueError, KeyError) as exc:
        raise ApiError(422, f"Invalid data set: {exc}", code="invalid_dataset") from None
    if schema_digest(pa.schema(fields)) != digest:
        raise ApiError(
            422,
            "The schema_digest is not the digest of the schema sent (sha256 of its column "
            "names and Arrow types, in order): compute both with fingerprint_dataset().",
            code="invalid_dataset",
        )
    profile = None
    if body.profile is not None:
        from driftline.profiles import DatasetProfile

        try:
            profile = base64.b64decode(body.profile, validate=True)
            parsed = DatasetProfile.from_bytes(profile)
        except (binascii.Error, ValueError, SerializationError) as exc:
            raise ApiError(422, f"The profile is not a driftline profile: {exc}",
                           code="invalid_dataset") from None  # fmt: skip
        missing = [c for c in body.schema_ if c not in parsed]
        if missing:
            raise ApiError(422, f"The profile lacks the schema's column(s) {missing}.",
                           code="invalid_dataset")  # fmt: skip

    def work(session: Session) -> DatasetOut:
        row, created = RegistryRepository(session).add_dataset(
            ctx.project_id, body.name, fingerprint=fingerprint, schema_digest=digest,
            schema=dict(body.schema_), profile=profile, rows=body.rows,
            source_uri=body.source_uri, licence=body.licence, pii=body.pii,
            created_by=_actor(ctx.token),
        )  # fmt: skip
        registered = dataset_record(row, created)
        if created:
            record(state, session, ctx, *dataset_event(registered))
        return DatasetOut(**registered.to_dict())

    return retrying(state.writes, work)


@router.get(
    "/projects/{project}/datasets",
    response_model=list[DatasetOut],
    summary="The project's registered data sets (of one name with name=)",
)
def list_datasets(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> list[DatasetOut]:
    state = state_of(request)
    with state.sessions() as session:
        rows = RegistryRepository(session).datasets(ctx.project_id, name)
        return [DatasetOut(**dataset_record(r, False).to_dict()) for r in rows]


# --- lineage -------------------------------------------------------------------------------
@router.post(
    VERSION + "/lineage",
    response_model=LineageOut,
    summary="Record the version's lineage: training run, data sets, gate report",
    responses={404: {"description": "An unknown data set"}},
)
async def post_lineage(
    request: Request,
    model: str,
    version: str,
    body: LineageIn,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> LineageOut:
    state = state_of(request)
    vctx = await resolve_version(request, ctx, model, version)
    actor = _actor(ctx.token)
    for text in (body.run, *body.datasets, *body.evaluation):
        if "\x00" in text:
            raise ApiError(422, "A name holds a NUL byte.", code="invalid_parameter")

    def work(session: Session) -> None:
        repo = RegistryRepository(session)
        pid = ctx.project_id
        wanted: list[tuple[tuple[str, str], tuple[str, str], str, dict[str, Any] | None]] = []
        for names, relation in ((body.datasets, "trained_on"), (body.evaluation, "evaluated_on")):
            for item in names:
                found = repo.dataset(pid, item)
                if found is None:
                    raise NotFoundError(f"No data set {item!r} is registered; register it first.")
                wanted.append((("dataset", found.id), ("run", body.run), relation, None))
        produced = ("model_version", vctx.version_id)
        wanted.append((("run", body.run), produced, "produced",
                       {"name": body.run, **body.run_attributes}))  # fmt: skip
        if body.gate_report is not None:
            report = body.gate_report
            wanted.append((produced, ("gate_report", report.id), "gated_by",
                           {"name": report.id, "passed": report.passed, "digest": report.digest,
                            "uri": report.uri}))  # fmt: skip
        added = []
        for edge in wanted:
            source, target, relation, attrs = edge
            if repo.add_edge(pid, source, target, relation, attributes=attrs, created_by=actor)[1]:
                added.append(edge)
        record_all(state, session, ctx, lineage_events(model, vctx.version, added))

    try:
        await run_in_threadpool(retrying, state.writes, work)
    except DriftlineError as exc:
        raise _error(exc) from None
    return await run_in_threadpool(
        _lineage, state, ctx, ModelRef(model, version=version), None, "json"
    )


def _lineage(
    state: ServerState, ctx: ProjectContext, ref: ModelRef, at: datetime | None, fmt: str
) -> LineageOut:
    with state.sessions() as session:
        try:
            graph: LineageGraph = lineage_of(session, ctx.project_id, ref, at)
        except DriftlineError as exc:
            raise _error(exc) from None
    data = graph.to_dict()
    if fmt == "openlineage":
        data["openlineage"] = graph.to_openlineage(f"driftline://{ctx.project_name}")
    return LineageOut(**data)


@router.get(
    MODEL + "/lineage",
    response_model=LineageOut,
    summary="The lineage of a version (alias= or version=; default the newest version)",
    responses={404: {"description": "Unknown alias or version"}},
)
def get_lineage(
    request: Request,
    model: str,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    alias: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[str | None, Query(max_length=64)] = None,
    at: Annotated[UtcDatetime | None, Query(description="Resolve the alias at this time.")] = None,
    format: Annotated[Literal["json", "openlineage"], Query()] = "json",
) -> LineageOut:
    state = state_of(request)
    found = _model(state, ctx, model)
    if alias is not None and version is not None:
        raise ApiError(422, "Pass alias= or version=, not both.", code="invalid_parameter")
    if alias is None and version is None:
        with state.sessions() as session:
            newest = session.scalar(
                select(ModelVersion.version)
                .where(ModelVersion.model_id == found.id)
                .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
                .limit(1)
            )
        if newest is None:
            return LineageOut(subject=model, nodes=[], edges=[],
                              openlineage=[] if format == "openlineage" else None)  # fmt: skip
        version = newest
    ref = ModelRef(model, alias=alias) if alias is not None else ModelRef(model, version=version)
    return _lineage(state, ctx, ref, at, format)
