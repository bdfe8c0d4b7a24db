"""Health, the caller's identity, and the project itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select, text
from starlette.concurrency import run_in_threadpool

from driftline._version import __version__
from driftline.server._auth import ProjectContext, current_token, project_access
from driftline.server._errors import ApiError
from driftline.server._schemas import HealthOut, MeOut, ProjectOut
from driftline.server._state import ServerState, state_of
from driftline.store import Model, Project, TokenInfo

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["meta"])


def _database_ok(state: ServerState) -> bool:
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@router.get("/health", response_model=HealthOut, summary="Liveness and database check (no auth)")
async def health(request: Request) -> HealthOut:
    state = state_of(request)
    ok = await run_in_threadpool(_database_ok, state)
    if state.monitor is not None:
        monitor = "running"
    elif state.monitor_error is not None:
        monitor = "unavailable"
    else:
        monitor = "off"
    return HealthOut(
        status="ok" if ok else "degraded",
        version=__version__,
        database="ok" if ok else "unavailable",
        monitor=monitor,
    )


def _project_name(state: ServerState, project_id: str) -> str | None:
    with state.sessions() as session:
        return session.scalar(select(Project.name).where(Project.id == project_id))


@router.get("/me", response_model=MeOut, summary="The token's project and role")
async def me(request: Request, token: Annotated[TokenInfo, Depends(current_token)]) -> MeOut:
    name = await run_in_threadpool(_project_name, state_of(request), token.project_id)
    if name is None:
        raise ApiError(401, "The token's project no longer exists.")
    return MeOut(project=name, role=token.role, token_id=token.token_id)


@router.get("/projects/{project}", response_model=ProjectOut, summary="A project")
def get_project(
    request: Request, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> ProjectOut:
    state = state_of(request)
    with state.sessions() as session:
        project = session.get(Project, ctx.project_id)
        if project is None:
            raise ApiError(404, f"No project named {ctx.project_name!r}.")
        models = session.scalars(
            select(Model.name).where(Model.project_id == ctx.project_id).order_by(Model.name)
        ).all()
        return ProjectOut(name=project.name, created_at=project.created_at, models=list(models))
