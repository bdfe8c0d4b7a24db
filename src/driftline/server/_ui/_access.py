"""Who may see a dashboard page: the session's token, checked exactly as the API checks a
bearer token (:func:`verify_secret`, then :func:`check_project` with the page's role).

Order, as in the API: not signed in (401; a page redirects to the sign-in form) → the
token's rate limit (429) → another project's page (404) → role too low (403). A form is
then checked for its CSRF token (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import parse_qs, quote

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from driftline.server._auth import ProjectContext, check_project, verify_secret
from driftline.server._errors import ApiError
from driftline.server._ui._session import COOKIE, Session, SessionStore, same_secret

__all__ = [
    "MAX_FORM_BYTES",
    "SECURITY_HEADERS",
    "UiContext",
    "UiError",
    "read_form",
    "require_csrf",
    "sessions_of",
    "ui_access",
    "ui_error_handler",
]

MAX_FORM_BYTES: Final = 16_384
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class UiError(Exception):
    """A page that cannot be shown: rendered as an HTML error page with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class UiContext:
    """A page's project, the token acting and the browser's session."""

    project: ProjectContext
    session: Session

    @property
    def role(self) -> str:
        return self.project.token.role


def sessions_of(request: Request) -> SessionStore:
    """The app's dashboard sessions."""
    store: SessionStore = request.app.state.ui_sessions
    return store


async def signed_in(request: Request) -> tuple[Session, Any]:
    """The session of the request and its verified token (UiError 401 / 429)."""
    store = sessions_of(request)
    cookie = request.cookies.get(COOKIE)
    session = store.get(cookie)
    if session is None:
        raise UiError(401, "Please sign in.")
    try:
        token = await verify_secret(request, session.token_secret)
    except ApiError as exc:
        if exc.status == 401:  # revoked or expired since: the session ends
            store.delete(cookie)
            raise UiError(401, "Your token was revoked or has expired: sign in again.") from None
        raise UiError(exc.status_code, exc.message, dict(exc.headers or {})) from None
    return session, token


def ui_access(role: str) -> Any:
    """A dependency: the page's ``{project}`` if the session's token may read it (``role``)."""

    async def dependency(
        request: Request,
        project: Annotated[str, Path(max_length=200)],
    ) -> UiContext:
        session, token = await signed_in(request)
        try:
            ctx = await check_project(request, project, token, role)
        except ApiError as exc:
            raise UiError(exc.status_code, exc.message) from None
        return UiContext(ctx, session)

    return Depends(dependency)


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (at most 16 KiB), one value per field."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise UiError(415, "Send the form as application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise UiError(413, f"The form is larger than {MAX_FORM_BYTES} bytes.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise UiError(400, "The form could not be read (UTF-8 form fields expected).") from None
    return {k: v[0] for k, v in fields.items() if "\x00" not in k + v[0]}


def require_csrf(form: dict[str, str], session: Session) -> None:
    """403 unless the form carries the session's CSRF token."""
    if not same_secret(form.get("csrf", ""), session.csrf):
        raise UiError(
            403, "This form has expired or did not come from this dashboard: reload the page."
        )


def ui_error_handler(render: Callable[..., HTMLResponse]) -> Callable[..., Any]:
    """The exception handler: 401 on a page → the sign-in form; anything else → a page."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UiError)
        if exc.status == 401 and request.method == "GET":
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            return RedirectResponse(
                f"/ui/login?next={quote(target, safe='')}",
                status_code=303,
                headers=SECURITY_HEADERS,
            )
        response = render(
            request, "error.html", {"status": exc.status, "message": exc.message}, exc.status
        )
        response.headers.update(exc.headers)
        return response

    return handler
