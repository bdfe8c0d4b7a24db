"""What one app instance holds: settings, engine, sessions, store, ingestor, caches, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftline._config import Settings
from driftline.store import IngestResult, PredictionStore

if TYPE_CHECKING:
    from driftline.audit import AuditLog
    from driftline.server._auth import RateLimiter, TokenCache
    from driftline.server._metrics import ServerMetrics

__all__ = ["Ingestor", "ServerState", "state_of"]


class Ingestor(Protocol):
    """Stores a validated-to-be batch for a version; the ingest route awaits it."""

    async def submit(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool
    ) -> IngestResult: ...


@dataclass
class ServerState:
    """Everything the routes share, kept on ``app.state.driftline``."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    writes: sessionmaker[Session]  # write transactions (SQLite: BEGIN IMMEDIATE)
    store: PredictionStore
    ingestor: Ingestor
    tokens: TokenCache
    limiter: RateLimiter
    metrics: ServerMetrics
    audit: AuditLog  # governance events, appended in the transaction of the change
    # (project name) -> project id; (project id, model name, version) -> (model id, version id)
    project_ids: dict[str, str] = field(default_factory=dict)
    version_ids: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)
    monitor: Any = None
    monitor_error: str | None = None
    # failed token checks per client address (made from the settings)
    auth_failures: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        from driftline.server._auth import RateLimiter

        self.auth_failures = RateLimiter(
            self.settings.auth_failure_rate_per_second, self.settings.auth_failure_burst
        )


def state_of(request: Request) -> ServerState:
    """The app's :class:`ServerState`."""
    state: ServerState = request.app.state.driftline
    return state
