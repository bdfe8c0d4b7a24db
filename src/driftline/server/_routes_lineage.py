"""Data sets registered by fingerprint, and the lineage graph of a version (data sets ->
training run -> version -> gate report -> alias moves -> monitored windows), also as
OpenLineage run events."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from driftline.exceptions import (
    DriftlineError,
    NotFoundError,
    ParameterError,
    SerializationError,
)
from driftline.registry import (
    LineageGraph,
    ModelRef,
    check_digest,
    dataset_event,
    dataset_record,
    lineage_events,
    lineage_of,
    retrying,
    schema_digest,
)
from driftline.server._audit import record, record_all
from driftline.server._auth import ProjectContext, find_model, project_access, resolve_version
from driftline.server._errors import ApiError
from driftline.server._registry_common import (
    MODEL,
    VERSION,
    actor_of,
    registry_error,
)
from driftline.server._schemas import UtcDatetime
from driftline.server._state import ServerState, state_of
from driftline.store import (
    ModelVersion,
    RegistryRepository,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry"])


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
            created_by=actor_of(ctx.token),
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
    actor = actor_of(ctx.token)
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
        raise registry_error(exc) from None
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
            raise registry_error(exc) from None
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
    found = find_model(state, ctx, model)
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
