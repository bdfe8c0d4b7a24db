"""Sign in (an API token becomes a session cookie), sign out, the start page and the
dashboard's static files."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from driftline.server._auth import verify_secret
from driftline.server._errors import ApiError
from driftline.server._state import state_of
from driftline.server._ui._access import (
    SECURITY_HEADERS,
    UiError,
    read_form,
    require_csrf,
    sessions_of,
    signed_in,
)
from driftline.server._ui._render import render
from driftline.server._ui._session import COOKIE, IDLE_SECONDS, LOGIN_COOKIE, same_secret
from driftline.store import Project

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
_STATIC: Final = Path(__file__).parent / "static"
_STATIC_FILES: Final = {
    "dashboard.css": "text/css; charset=utf-8",
    "timeline.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


def _safe_next(target: str | None) -> str | None:
    """Only a path of this dashboard (no scheme, host or ``//``): no open redirect."""
    if not target or not target.startswith("/ui/") or target.startswith("//"):
        return None
    if any(c in target for c in ("\\", "\r", "\n", "\x00")) or len(target) > 1000:
        return None
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _project_name(request: Request, project_id: str) -> str:
    with state_of(request).sessions() as session:
        name = session.scalar(select(Project.name).where(Project.id == project_id))
    return str(name)


@router.get("", name="ui_root")
@router.get("/", name="ui_home")
async def home(request: Request) -> Response:
    """The token's project, or the sign-in form."""
    _session, token = await signed_in(request)
    name = await run_in_threadpool(_project_name, request, token.project_id)
    return RedirectResponse(f"/ui/projects/{quote(name, safe='')}", status_code=303)


@router.get("/login", name="ui_login_form")
def login_form(request: Request, next: str | None = None, signed_out: int = 0) -> Response:
    """The sign-in form (with a double-submit token against login CSRF)."""
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"login_nonce": nonce, "next": _safe_next(next) or "", "signed_out": bool(signed_out)},
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, max_age=600, httponly=True, samesite="strict",
        secure=_secure(request), path="/ui",
    )  # fmt: skip
    return response


@router.post("/login", name="ui_login")
async def login(request: Request) -> Response:
    """Exchange an API token for a session (verified as the API verifies it)."""
    form = await read_form(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same_secret(form.get("login_nonce", ""), nonce):
        raise UiError(403, "The sign-in form has expired: reload the page and sign in again.")
    secret = form.get("token", "").strip()
    try:
        token = await verify_secret(request, secret)
    except ApiError as exc:
        message = (
            "That token is not valid (wrong, revoked or expired). Paste the full token, "
            "dl_<id>_<secret>, as printed when it was created."
            if exc.status == 401
            else exc.message
        )
        fresh = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            {"login_nonce": fresh, "next": _safe_next(form.get("next")) or "", "error": message},
            exc.status_code,
        )
        response.set_cookie(
            LOGIN_COOKIE, fresh, max_age=600, httponly=True, samesite="strict",
            secure=_secure(request), path="/ui",
        )  # fmt: skip
        return response
    cookie, _session = sessions_of(request).create(secret, token.token_id)
    name = await run_in_threadpool(_project_name, request, token.project_id)
    target = _safe_next(form.get("next")) or f"/ui/projects/{quote(name, safe='')}"
    redirect = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    redirect.set_cookie(
        COOKIE, cookie, max_age=IDLE_SECONDS, httponly=True, samesite="strict",
        secure=_secure(request), path="/ui",
    )  # fmt: skip
    redirect.delete_cookie(LOGIN_COOKIE, path="/ui")
    return redirect


@router.post("/logout", name="ui_logout")
async def logout(request: Request) -> Response:
    """Sign out: the session is forgotten on the server and the cookie cleared."""
    store = sessions_of(request)
    cookie = request.cookies.get(COOKIE)
    session = store.get(cookie)
    if session is None:
        raise UiError(401, "You are not signed in.")
    require_csrf(await read_form(request), session)
    store.delete(cookie)
    response = RedirectResponse("/ui/login?signed_out=1", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/static/{name}", name="ui_static")
def static(name: str) -> Response:
    """The dashboard's own CSS and script (no CDN: the dashboard works offline)."""
    media = _STATIC_FILES.get(name)
    if media is None:
        raise UiError(404, f"No static file {name!r}.")
    return Response(
        (_STATIC / name).read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
