"""API tokens of a project (admin only); a new token's secret is returned once."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from driftline.server._audit import record
from driftline.server._auth import ProjectContext, project_access
from driftline.server._errors import ApiError
from driftline.server._schemas import TokenCreated, TokenIn, TokenOut
from driftline.server._state import state_of
from driftline.store import ApiToken, TokenRepository

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["tokens"])


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(
        token_id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


@router.get("/projects/{project}/tokens", response_model=list[TokenOut], summary="Live tokens")
def list_tokens(
    request: Request, ctx: Annotated[ProjectContext, project_access("admin")]
) -> list[TokenOut]:
    with state_of(request).sessions() as session:
        rows = session.scalars(
            select(ApiToken)
            .where(ApiToken.project_id == ctx.project_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at)
        ).all()
    return [_out(r) for r in rows]


@router.post(
    "/projects/{project}/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Create a token (its secret is shown once)",
)
def create_token(
    request: Request, body: TokenIn, ctx: Annotated[ProjectContext, project_access("admin")]
) -> TokenCreated:
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    state = state_of(request)
    with state.writes.begin() as session:
        new = TokenRepository(session).create(
            ctx.project_id, name=body.name, role=body.role, expires_at=expires
        )
        row = session.get(ApiToken, new.info.token_id)
        assert row is not None
        out = _out(row)
        expiry = None if row.expires_at is None else row.expires_at.isoformat()
        payload = {"token_id": row.id, "role": row.role, "expires_at": expiry}
        record(state, session, ctx, "token.created", payload)
    return TokenCreated(**out.model_dump(), secret=new.secret)


@router.delete(
    "/projects/{project}/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke a token",
)
def revoke_token(
    request: Request, token_id: str, ctx: Annotated[ProjectContext, project_access("admin")]
) -> Response:
    state = state_of(request)
    with state.writes.begin() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.project_id != ctx.project_id or row.revoked_at is not None:
            raise ApiError(404, f"No live token {token_id!r} in project {ctx.project_name!r}.")
        TokenRepository(session).revoke(token_id)
        record(state, session, ctx, "token.revoked", {"token_id": token_id})
    state.tokens.invalidate(token_id)
    return Response(status_code=204)
