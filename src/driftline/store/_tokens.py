"""API tokens: created once, stored as a SHA-256 hash, verified in constant time.

A token reads ``dl_<id>_<secret>``: ``<id>`` (16 hex characters) finds the row, the
secret carries 256 random bits, and only ``sha256(token)`` is stored. The secret is
high-entropy, so a fast hash is enough (no password-style stretching is needed).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline._params import Options, check
from driftline.exceptions import ParameterError
from driftline.store._catalog import check_name
from driftline.store._models import ROLES, ApiToken, Project, ProjectMember
from driftline.store._results import NewToken, TokenInfo
from driftline.store._types import utcnow

__all__ = ["Role", "TokenRepository", "role_allows"]

Role = Literal["viewer", "editor", "admin"]
_TOKEN: Final = re.compile(r"^dl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# Compared against when the id is unknown, so that lookups of unknown ids cost the same.
_DUMMY_HASH: Final = hashlib.sha256(b"driftline-unknown-token").hexdigest()


def _check_role(owner: str, name: str, role: str) -> None:
    check(owner, name, role, Options(*ROLES))


def role_allows(role: str, needed: str) -> bool:
    """Whether ``role`` is at least ``needed`` (viewer < editor < admin).

    >>> role_allows("editor", "viewer"), role_allows("viewer", "editor")
    (True, False)
    """
    _check_role("role_allows", "role", role)
    _check_role("role_allows", "needed", needed)
    return ROLES.index(role) >= ROLES.index(needed)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRepository:
    """Create, verify and revoke API tokens (the caller commits the session).

    >>> from driftline.store import Catalog, create_engine_from_url, migrate, session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with session_factory(engine).begin() as session:
    ...     project = Catalog(session).create_project("demo")
    ...     new = TokenRepository(session).create(project.id, name="ci", role="editor")
    ...     TokenRepository(session).verify(new.secret).role
    'editor'
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        project_id: str,
        *,
        name: str,
        role: Role,
        user_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewToken:
        """A new token for ``project_id``; its secret is returned here and never again.

        With ``user_id``, the role may not exceed the user's role in the project.
        """
        _check_role("TokenRepository.create", "role", role)
        check_name("name", name)
        if self.session.get(Project, project_id) is None:
            raise ParameterError(f"The 'project_id' parameter names no project: {project_id!r}.")
        if user_id is not None:
            member = self.session.get(ProjectMember, (project_id, user_id))
            if member is None or not role_allows(member.role, role):
                held = None if member is None else member.role
                raise ParameterError(
                    f"User {user_id!r} holds role {held!r} in project {project_id!r}; "
                    f"cannot create a token with role {role!r}."
                )
        token_id = secrets.token_hex(8)
        secret = f"dl_{token_id}_{secrets.token_urlsafe(32)}"
        self.session.add(
            ApiToken(
                id=token_id,
                project_id=project_id,
                user_id=user_id,
                name=name,
                role=role,
                secret_hash=_hash(secret),
                expires_at=expires_at,
            )
        )
        self.session.flush()
        return NewToken(TokenInfo(token_id, project_id, user_id, role), secret)

    def verify(self, secret: str) -> TokenInfo | None:
        """The token's identity, or None if the secret is wrong, revoked or expired."""
        match = _TOKEN.match(secret) if isinstance(secret, str) else None
        row = None if match is None else self.session.get(ApiToken, match.group(1))
        expected = _DUMMY_HASH if row is None else row.secret_hash
        same = hmac.compare_digest(_hash(secret if match else ""), expected)
        if row is None or not same or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
            return None
        role = row.role
        if row.user_id is not None:
            member = self.session.get(ProjectMember, (row.project_id, row.user_id))
            if member is None:
                return None
            if not role_allows(member.role, row.role):  # the user was demoted
                role = member.role
        return TokenInfo(row.id, row.project_id, row.user_id, role)

    def revoke(self, token_id: str) -> bool:
        """Revoke a token; False if there is no such token."""
        row = self.session.get(ApiToken, token_id)
        if row is None:
            return False
        row.revoked_at = utcnow()
        self.session.flush()
        return True

    def list(self, project_id: str) -> list[TokenInfo]:
        """The project's live tokens (never their secrets)."""
        rows = self.session.scalars(
            select(ApiToken).where(ApiToken.project_id == project_id, ApiToken.revoked_at.is_(None))
        )
        return [TokenInfo(r.id, r.project_id, r.user_id, r.role) for r in rows]
