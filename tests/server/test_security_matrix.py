"""No route lets a token read or write another project's data.

Every route of the app's route table is exercised (new routes are covered automatically):
tokens of project B, of every role, get 404 on everything under project A and change
nothing; no token gets 401; a viewer cannot write (403); an editor cannot manage tokens.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pyarrow as pa
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from driftline.store import AlertRule, ApiToken, Model, ModelVersion
from driftline.store._models import PendingLabel, Prediction

from .conftest import ROLES, World, arrow_bytes
from .test_alert_actions import fire

OPEN_ROUTES = {"/api/v1/health", "/api/v1/me", "/metrics"}  # /me: the token's own project
UI = "/ui"
# the sign-in form, sign-out, the start page (redirects to the session's project), CSS/JS
UI_OPEN_ROUTES = {"/ui", "/ui/", "/ui/login", "/ui/logout", "/ui/static/{name}"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def needed_role(method: str, path: str) -> str:
    """The convention every route must follow (a new route that breaks it fails here)."""
    if "/tokens" in path:
        return "admin"
    return "viewer" if method == "GET" else "editor"


def _all_routes(world: World) -> list[tuple[str, str]]:
    found = []
    for route in world.app.routes:
        if isinstance(route, APIRoute):
            found.extend((method, route.path) for method in sorted(route.methods))
    return found


def _routes(world: World) -> list[tuple[str, str]]:
    """The API's routes (bearer tokens)."""
    return [(m, p) for m, p in _all_routes(world) if not p.startswith(UI)]


def _ui_routes(world: World) -> list[tuple[str, str]]:
    """The dashboard's project pages and forms (session cookies)."""
    return [(m, p) for m, p in _all_routes(world) if p.startswith(UI + "/projects/{project}")]


@pytest.fixture(scope="module")
def objects(sqlite_world: World) -> dict[str, Any]:
    """Objects in project A (and the same model/version names in project B)."""
    world = sqlite_world
    out: dict[str, Any] = {}
    for key in ("a", "b"):
        url = world.add_version(key, "m", "1")
        table = pa.table(
            {
                "prediction_id": [f"{key}-1"],
                "x": [1.0],
                "city": ["a"],
                "flag": [True],
                "score": [0.5],
            }
        )
        r = world.api.post(
            f"{url}/predictions",
            content=arrow_bytes(table),
            headers={**world.auth(key), "content-type": "application/vnd.apache.arrow.stream"},
        )
        assert r.status_code == 200, r.text
        windows = world.api.get(f"{url}/windows", headers=world.auth(key)).json()
        rule = world.api.post(
            f"{world.base(key)}/alert-rules",
            json={"name": "r", "kind": "drift", "model": "m"},
            headers=world.auth(key),
        ).json()
        token = world.api.post(
            f"{world.base(key)}/tokens", json={"name": "extra"}, headers=world.auth(key)
        ).json()
        alert_id = fire(world, key, condition="matrix")
        out[key] = {
            "alert_id": alert_id,
            "project": world.projects[key],
            "model": "m",
            "version": "1",
            "window_key": windows[0]["window_key"],
            "rule_id": rule["id"],
            "token_id": token["token_id"],
        }
    return out


def _fill(path: str, values: dict[str, Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"the matrix does not know the path parameter {name!r} of {path}"
        return str(values[name])

    return re.sub(r"\{(\w+)\}", sub, path)


def _call(world: World, method: str, url: str, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in WRITES and method != "DELETE":
        kwargs["json"] = {}
    return world.api.request(method, url, **kwargs)


def _snapshot(world: World) -> dict[str, int]:
    engine = world.app.state.driftline.engine
    with engine.connect() as conn:
        return {
            t.__tablename__: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (Model, ModelVersion, AlertRule, ApiToken, Prediction, PendingLabel)
        } | {
            "live_tokens": int(
                conn.execute(
                    select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
                ).scalar_one()
            )
        }


def test_every_route_is_project_scoped_or_known_open(sqlite_world: World) -> None:
    for _method, path in _routes(sqlite_world):
        assert path in OPEN_ROUTES or path.startswith("/api/v1/projects/{project}"), path
    ui = [p for _m, p in _all_routes(sqlite_world) if p.startswith(UI)]
    assert len(ui) >= 10
    for path in ui:
        assert path in UI_OPEN_ROUTES or path.startswith(UI + "/projects/{project}"), path


# ---------------------------------------------------------------------------- dashboard
def _session(world: World, key: str, role: str) -> tuple[dict[str, str], str]:
    """A signed-in dashboard session of the token (key, role): its cookie header and CSRF."""
    secret = world.tokens[(key, role)]
    cookie, session = world.app.state.ui_sessions.create(secret, secret.split("_")[1])
    return {"Cookie": f"driftline_session={cookie}"}, session.csrf


def _ui_call(world: World, method: str, url: str, headers: dict[str, str], csrf: str) -> Any:
    if method == "POST":
        return world.api.post(
            url,
            content=f"csrf={csrf}&comment=matrix",
            headers={**headers, "content-type": "application/x-www-form-urlencoded"},
        )
    return world.api.request(method, url, headers=headers)


def ui_needed_role(method: str, path: str) -> str:
    """The dashboard follows the API's convention: reading is for viewers, forms for editors."""
    return "viewer" if method == "GET" else "editor"


def test_ui_pages_of_another_project_are_404(sqlite_world: World, objects: dict[str, Any]) -> None:
    world = sqlite_world
    before = _snapshot(world)
    routes = _ui_routes(world)
    assert len(routes) >= 8
    for method, path in routes:
        url = _fill(path, objects["a"])
        for role in ROLES:
            headers, csrf = _session(world, "b", role)
            r = _ui_call(world, method, url, headers, csrf)
            assert r.status_code == 404, (method, url, role, r.status_code, r.text[:300])
            assert "text/html" in r.headers["content-type"]
        crossed = _fill(path, {**objects["b"], "alert_id": objects["a"]["alert_id"]})
        if crossed != _fill(path, objects["b"]):
            headers, csrf = _session(world, "b", "admin")
            r = _ui_call(world, method, crossed, headers, csrf)
            assert r.status_code == 404, (method, crossed, r.status_code)
    assert _snapshot(world) == before


def test_ui_without_session_signs_in_first(sqlite_world: World, objects: dict[str, Any]) -> None:
    world = sqlite_world
    forged = {"Cookie": "driftline_session=abc.0123"}
    for method, path in _ui_routes(world):
        url = _fill(path, objects["a"])
        for headers in ({}, forged, world.auth("a")):  # a bearer token is no session
            r = _ui_call(world, method, url, headers, "x")
            if method == "GET":
                assert r.status_code == 303, (method, url, r.status_code)
                assert r.headers["location"].startswith("/ui/login?next=")
            else:
                assert r.status_code == 401, (method, url, r.status_code)


def test_ui_roles_and_csrf_are_enforced(sqlite_world: World, objects: dict[str, Any]) -> None:
    world = sqlite_world
    for method, path in _ui_routes(world):
        url = _fill(path, objects["a"])
        needed = ui_needed_role(method, path)
        for role in ROLES:
            headers, csrf = _session(world, "a", role)
            allowed = ROLES.index(role) >= ROLES.index(needed)
            if method == "POST":  # a form without the session's CSRF token is refused
                r = _ui_call(world, method, url, headers, "not-the-token")
                assert r.status_code in (403,), (method, url, role, r.status_code)
            r = _ui_call(world, method, url, headers, csrf)
            if not allowed:
                assert r.status_code == 403, (method, url, role, r.status_code)
                assert "needs 'editor'" in html.unescape(r.text)
            elif method == "GET":
                assert r.status_code == 200, (method, url, role, r.status_code, r.text[:500])
            else:
                assert r.status_code not in (401, 403, 404), (method, url, role, r.status_code)


def test_other_projects_tokens_get_404_everywhere(
    sqlite_world: World, objects: dict[str, Any]
) -> None:
    world = sqlite_world
    before = _snapshot(world)
    checked = 0
    for method, path in _routes(world):
        if path in OPEN_ROUTES:
            continue
        url = _fill(path, objects["a"])
        for role in ROLES:
            r = _call(world, method, url, world.auth("b", role))
            assert r.status_code == 404, (method, url, role, r.status_code, r.text)
            assert objects["a"]["project"] not in r.text or "project named" in r.text
            checked += 1
        # A's object ids through B's own project path are not found either.
        crossed = _fill(
            path,
            {**objects["b"], **{k: objects["a"][k] for k in ("rule_id", "token_id", "alert_id")}},
        )
        if crossed != _fill(path, objects["b"]):
            r = _call(world, method, crossed, world.auth("b", "admin"))
            assert r.status_code == 404, (method, crossed, r.status_code, r.text)
    assert checked >= 3 * 20
    assert _snapshot(world) == before  # nothing was written or revoked


def test_no_token_is_401_everywhere(sqlite_world: World, objects: dict[str, Any]) -> None:
    for method, path in _routes(sqlite_world):
        if path in ("/api/v1/health", "/metrics"):
            continue
        r = _call(sqlite_world, method, _fill(path, objects["a"]), {})
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_roles_are_enforced_on_every_route(sqlite_world: World, objects: dict[str, Any]) -> None:
    world = sqlite_world
    before = _snapshot(world)
    for method, path in _routes(world):
        if path in OPEN_ROUTES:
            continue
        url = _fill(path, objects["a"])
        needed = needed_role(method, path)
        for role in ROLES:
            allowed = ROLES.index(role) >= ROLES.index(needed)
            if allowed and method == "DELETE":
                continue  # checked below on throw-away objects
            r = _call(world, method, url, world.auth("a", role))
            if allowed:
                # Past authorization: the empty body is refused, or the read succeeds.
                assert r.status_code not in (401, 403, 404), (method, url, role, r.text)
                if method == "GET":
                    assert r.status_code == 200, (method, url, role, r.text)
            else:
                assert r.status_code == 403, (method, url, role, r.status_code, r.text)
                assert r.json()["error"]["details"] == {"role": role, "needed": needed}
    after = _snapshot(world)
    assert after == before


def test_allowed_deletes_work(sqlite_world: World, objects: dict[str, Any]) -> None:
    world = sqlite_world
    base = world.base("a")
    rule = world.api.post(
        f"{base}/alert-rules",
        json={"name": "tmp", "kind": "volume_drop"},
        headers=world.auth("a", "editor"),
    ).json()
    assert (
        world.api.delete(
            f"{base}/alert-rules/{rule['id']}", headers=world.auth("a", "editor")
        ).status_code
        == 204
    )
    token = world.api.post(
        f"{base}/tokens", json={"name": "tmp"}, headers=world.auth("a", "admin")
    ).json()
    assert (
        world.api.delete(
            f"{base}/tokens/{token['token_id']}", headers=world.auth("a", "admin")
        ).status_code
        == 204
    )
