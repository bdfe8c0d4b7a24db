"""Aliases of a model: move or remove one (history and current row in one transaction,
with the ``alias.moved``/``alias.removed`` audit event), list them now or at a past time,
and their full history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from driftline.exceptions import (
    DriftlineError,
    NotFoundError,
    ParameterError,
)
from driftline.registry import (
    ModelRef,
    alias_event,
    move_record,
    resolve_in,
    retrying,
)
from driftline.server._audit import record
from driftline.server._auth import ProjectContext, find_model, project_access
from driftline.server._errors import ApiError
from driftline.server._registry_common import (
    MODEL,
    actor_of,
    registry_error,
)
from driftline.server._schemas import UtcDatetime
from driftline.server._state import ServerState, state_of
from driftline.store import (
    ModelVersion,
    RegistryRepository,
    check_alias,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry"])


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


def _move(
    state: ServerState, ctx: ProjectContext, model: str, alias: str, version: str | None,
    reason: str,
) -> AliasOut:  # fmt: skip
    found = find_model(state, ctx, model)
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
        move, changed = repo.move_alias(found.id, alias, version_id, actor=actor_of(ctx.token),
                                        reason=reason)  # fmt: skip
        moved = move_record(move, model, repo.version_names(found.id), changed)
        if changed:
            record(state, session, ctx, *alias_event(moved))
        return AliasOut(**moved.to_dict())

    try:
        return retrying(state.writes, work)
    except DriftlineError as exc:
        raise registry_error(exc) from None


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
    found = find_model(state, ctx, model)
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
    found = find_model(state, ctx, model)
    with state.sessions() as session:
        repo = RegistryRepository(session)
        names = repo.version_names(found.id)
        return [
            AliasOut(**move_record(m, model, names, True).to_dict())
            for m in repo.history(found.id, alias)
        ]
