"""Bearer-token authentication, per-project authorization and rate limiting.

Order of checks, so that nothing reveals whether another project's objects exist:
401 (no or bad token) → 429 (rate limit of this token) → 404 (the path names a project
other than the token's, or no project at all) → 403 (the token's role is too low).

Failed token checks are limited per client address (``auth_failure_rate_per_second``,
``auth_failure_burst``): a token that is not in the cache is looked up in the database only
while its address has failures left; past that the answer is 429, at no database cost. A
rejected token is also remembered (negative cache) for ``token_cache_seconds``.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from driftline.server._errors import ApiError
from driftline.server._state import ServerState, state_of
from driftline.store import Model, ModelVersion, Project, TokenInfo, TokenRepository, role_allows

__all__ = [
    "ProjectContext",
    "RateLimiter",
    "TokenCache",
    "VersionContext",
    "bearer",
    "check_failures",
    "check_project",
    "client_address",
    "current_token",
    "find_model",
    "project_access",
    "project_id_of",
    "record_failure",
    "resolve_version",
    "verify_secret",
]

_MAX_ENTRIES: Final = 10_000
bearer = HTTPBearer(auto_error=False, description="An API token: `dl_<id>_<secret>`.")
_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}


class TokenCache:
    """Verified tokens (and rejected secrets), trusted for ``ttl`` seconds in this process."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, TokenInfo | None]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def get(self, secret: str) -> tuple[bool, TokenInfo | None]:
        """(found, info): ``found`` is False when the secret must be verified again."""
        if self.ttl <= 0:
            return False, None
        entry = self._entries.get(self._key(secret))
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, secret: str, info: TokenInfo | None) -> None:
        """Remember the verification result of ``secret``."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.clear()
            self._entries[self._key(secret)] = (time.monotonic() + self.ttl, info)

    def invalidate(self, token_id: str) -> None:
        """Forget every cached verification of ``token_id`` (after a revocation)."""
        with self._lock:
            self._entries = {
                k: v for k, v in self._entries.items() if v[1] is None or v[1].token_id != token_id
            }


class RateLimiter:
    """A token bucket per key: ``rate`` requests per second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """The seconds until ``key`` has a request left (0.0: now), without using one."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def acquire(self, key: str) -> float:
        """0.0 if the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > _MAX_ENTRIES:
                self._buckets.clear()
            return (1.0 - tokens) / self.rate


def client_address(request: Request) -> str:
    """The peer's address (uvicorn runs without proxy headers: the real TCP peer)."""
    client = request.client
    return client.host if client is not None else "unknown"


def _too_many_failures(wait: float) -> ApiError:
    return ApiError(
        429,
        f"Too many failed authentications from this address; retry in {wait:.1f} s.",
        details={"retry_after_seconds": wait},
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def check_failures(state: ServerState, address: str) -> None:
    """429 when ``address`` has no failed authentications left (nothing is looked up)."""
    wait = state.auth_failures.wait(address)
    if wait > 0:
        raise _too_many_failures(wait)


def record_failure(state: ServerState, address: str) -> None:
    """Count one failed authentication of ``address``."""
    state.auth_failures.acquire(address)


def _verify(state: ServerState, secret: str) -> TokenInfo | None:
    with state.sessions() as session:
        return TokenRepository(session).verify(secret)


async def verify_secret(request: Request, secret: str) -> TokenInfo:
    """The token of ``secret``, checked as every request's token is (cache, failure limit
    per address, revocation and expiry, then the token's rate limit): 401 or 429 otherwise.
    The dashboard's session cookie goes through this too."""
    state = state_of(request)
    address = client_address(request)
    found, info = state.tokens.get(secret)
    if not found:
        check_failures(state, address)  # before the database lookup
        info = await run_in_threadpool(_verify, state, secret)
        state.tokens.put(secret, info)
    if info is None:
        record_failure(state, address)
        raise ApiError(
            401,
            "Invalid, expired or revoked API token.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    wait = state.limiter.acquire(info.token_id)
    if wait > 0:
        raise ApiError(
            429,
            f"Rate limit of this token exceeded; retry in {wait:.2f} s.",
            details={"retry_after_seconds": wait},
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return info


async def current_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenInfo:
    """The verified token of the request (401 without a valid one; 429 over its rate)."""
    state_of(request)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "Missing API token: send 'Authorization: Bearer dl_<id>_<secret>'.",
            headers=_CHALLENGE,
        )
    info = await verify_secret(request, credentials.credentials)
    request.state.token = info
    return info


@dataclass(frozen=True)
class ProjectContext:
    """A project the request may act on, and the token acting."""

    project_id: str
    project_name: str
    token: TokenInfo


@dataclass(frozen=True)
class VersionContext:
    """A model version the request may act on."""

    project: ProjectContext
    model_id: str
    model_name: str
    version_id: str
    version: str


def _project_id(state: ServerState, name: str) -> str | None:
    cached = state.project_ids.get(name)
    if cached is not None:
        return cached
    with state.sessions() as session:
        found = session.scalar(select(Project.id).where(Project.name == name))
    if found is not None:
        if len(state.project_ids) > _MAX_ENTRIES:
            state.project_ids.clear()
        state.project_ids[name] = found
    return found


async def project_id_of(request: Request, name: str) -> str | None:
    """The id of the project named ``name`` (cached), or None."""
    state = state_of(request)
    project_id = state.project_ids.get(name)
    if project_id is None:
        project_id = await run_in_threadpool(_project_id, state, name)
    return project_id


def _not_found(what: str) -> ApiError:
    return ApiError(404, f"No {what} (or it is not visible to this token).")


async def check_project(
    request: Request, project: str, token: TokenInfo, role: str
) -> ProjectContext:
    """``project`` if ``token`` belongs to it with ``role`` or higher: 404 for a project
    that is not the token's (or does not exist), 403 for a role too low."""
    project_id = await project_id_of(request, project)
    if project_id is None or project_id != token.project_id:
        raise _not_found(f"project named {project!r}")
    if not role_allows(token.role, role):
        raise ApiError(
            403,
            f"This token's role {token.role!r} cannot do this; it needs {role!r} or higher.",
            details={"role": token.role, "needed": role},
        )
    return ProjectContext(project_id, project, token)


def project_access(role: str) -> object:
    """A dependency: the path's ``{project}`` if the token belongs to it with ``role``."""

    async def dependency(
        request: Request,
        project: Annotated[str, Path(description="Project name.", max_length=200)],
        token: Annotated[TokenInfo, Depends(current_token)],
    ) -> ProjectContext:
        return await check_project(request, project, token, role)

    return Depends(dependency)


def find_model(state: ServerState, ctx: ProjectContext, name: str) -> Model:
    """The named model of the request's project (404 naming it and the project otherwise)."""
    with state.sessions() as session:
        model = session.scalar(
            select(Model).where(Model.project_id == ctx.project_id, Model.name == name)
        )
    if model is None:
        raise ApiError(404, f"No model named {name!r} in project {ctx.project_name!r}.")
    return model


def _lookup_version(
    state: ServerState, project_id: str, model: str, version: str
) -> tuple[str, str] | None:
    with state.sessions() as session:
        row = session.execute(
            select(Model.id, ModelVersion.id)
            .join(ModelVersion, ModelVersion.model_id == Model.id)
            .where(
                Model.project_id == project_id,
                Model.name == model,
                ModelVersion.version == version,
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def resolve_version(
    request: Request, ctx: ProjectContext, model: str, version: str
) -> VersionContext:
    """The named version of the named model in the request's project (404 otherwise)."""
    state = state_of(request)
    key = (ctx.project_id, model, version)
    ids = state.version_ids.get(key)
    if ids is None:
        ids = await run_in_threadpool(_lookup_version, state, ctx.project_id, model, version)
        if ids is None:
            raise _not_found(f"version {version!r} of model {model!r}")
        if len(state.version_ids) > _MAX_ENTRIES:
            state.version_ids.clear()
        state.version_ids[key] = ids
    return VersionContext(ctx, ids[0], model, ids[1], version)
