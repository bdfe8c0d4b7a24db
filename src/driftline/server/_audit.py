"""Recording governance events from the routes, in the transaction of the change.

An event is appended in the same database transaction as the change it records (the
``session`` of the route's write): both commit, or neither does, so the log never misses
an acknowledged change nor records one that rolled back. Appends are serialized (SQLite's
write lock, which the route's ``BEGIN IMMEDIATE`` holds already; a PostgreSQL advisory lock
until the commit); governance writes are rare, so the cost is one short wait at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from driftline.audit import canonical_json
from driftline.server._auth import ProjectContext
from driftline.server._state import ServerState

__all__ = ["digest", "record"]


def digest(value: Any) -> str:
    """The hex SHA-256 of the canonical JSON of ``value`` (content logged by its digest)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def record(
    state: ServerState,
    session: Session,
    ctx: ProjectContext,
    event_type: str,
    payload: Mapping[str, Any],
) -> None:
    """Append ``event_type`` for the request's project, acted by the request's token."""
    state.audit.append(
        event_type,
        payload,
        project=ctx.project_id,
        actor=f"token:{ctx.token.token_id}",
        session=session,
    )
