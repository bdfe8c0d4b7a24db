"""Dashboard sessions: a signed cookie carries a random session id; the token it stands for
stays on the server.

Signing in exchanges an API token for a session (the token is verified exactly as the API
verifies a bearer token, and again on every page). The cookie is ``HttpOnly``,
``SameSite=Strict`` and ``Secure`` when the request came over HTTPS; it holds only
``<session id>.<HMAC-SHA256 of it>``, never the token. Every form carries the session's
CSRF token. Signing out forgets the session. Sessions live in the server process: a restart
(or another worker) asks people to sign in again; an idle session ends after
:data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "COOKIE",
    "IDLE_SECONDS",
    "LOGIN_COOKIE",
    "Session",
    "SessionStore",
    "same_secret",
]

COOKIE: Final = "driftline_session"
LOGIN_COOKIE: Final = "driftline_login"  # double-submit token of the sign-in form
IDLE_SECONDS: Final = 12 * 3600
_MAX_SESSIONS: Final = 10_000


@dataclass
class Session:
    """One signed-in browser: the token it stands for and its CSRF token."""

    token_secret: str
    token_id: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_seen: float = field(default_factory=time.monotonic)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


class SessionStore:
    """Sessions of this process, keyed by a random id; cookies are signed with ``key``."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _sign(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()

    def create(self, token_secret: str, token_id: str) -> tuple[str, Session]:
        """A new session; returns the cookie value and the session."""
        session_id = secrets.token_urlsafe(32)
        session = Session(token_secret, token_id)
        with self._lock:
            if len(self._sessions) >= _MAX_SESSIONS:
                self._expire(time.monotonic())
                if len(self._sessions) >= _MAX_SESSIONS:  # keep the most recently used half
                    ordered = sorted(self._sessions.items(), key=lambda kv: kv[1].last_seen)
                    self._sessions = dict(ordered[len(ordered) // 2 :])
            self._sessions[session_id] = session
        return f"{session_id}.{self._sign(session_id)}", session

    def _expire(self, now: float) -> None:
        self._sessions = {
            k: v for k, v in self._sessions.items() if now - v.last_seen < IDLE_SECONDS
        }

    def _session_id(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 200:
            return None
        session_id, _, signature = cookie.partition(".")
        if not session_id or not same_secret(signature, self._sign(session_id)):
            return None
        return session_id

    def get(self, cookie: str | None) -> Session | None:
        """The live session of a cookie value (None: absent, forged, unknown or idle)."""
        session_id = self._session_id(cookie)
        if session_id is None:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen >= IDLE_SECONDS:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def delete(self, cookie: str | None) -> None:
        """Sign out: forget the session of a cookie value."""
        session_id = self._session_id(cookie)
        if session_id is not None:
            with self._lock:
                self._sessions.pop(session_id, None)

    def forget_token(self, token_id: str) -> None:
        """End every session of a token (after its revocation)."""
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v.token_id != token_id}
