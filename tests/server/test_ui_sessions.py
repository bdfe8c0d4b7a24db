"""Dashboard sessions over HTTP (a real app, a real database): the sign-in form turns a
token into an HttpOnly, SameSite=Strict cookie (Secure over HTTPS) that holds no token;
CSRF on every form; sign-out and revocation end the session; no token in URLs or logs."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import World

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def world(sqlite_world: World) -> Iterator[World]:
    sqlite_world.api.client.cookies.clear()
    yield sqlite_world
    sqlite_world.api.client.cookies.clear()


def _nonce(world: World, base: str = "") -> str:
    r = world.api.get(f"{base}/ui/login")
    assert r.status_code == 200
    found = re.search(r'name="login_nonce" value="([^"]+)"', r.text)
    assert found is not None
    return found.group(1)


def sign_in(world: World, role: str = "viewer", key: str = "a", next: str = "") -> Any:
    nonce = _nonce(world)
    body = {"token": world.tokens[(key, role)], "login_nonce": nonce, "next": next}
    return world.api.post("/ui/login", data=body)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_sign_in_sets_a_strict_httponly_cookie_without_the_token(world: World) -> None:
    r = sign_in(world)
    assert r.status_code == 303
    project = world.projects["a"]
    assert r.headers["location"] == f"/ui/projects/{project}"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("driftline_session="))
    flags = cookie.lower()
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/ui" in flags
    assert "secure" not in flags  # plain HTTP here; see the HTTPS test
    secret = world.tokens[("a", "viewer")]
    assert secret not in cookie
    assert secret.split("_")[2] not in cookie
    page = world.api.get(f"/ui/projects/{project}")
    assert page.status_code == 200
    assert "signed in as" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_secure_cookie_over_https(world: World) -> None:
    nonce_page = world.api.get("https://testserver/ui/login")
    assert "secure" in nonce_page.headers["set-cookie"].lower()
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', nonce_page.text)
    assert nonce is not None
    r = world.api.post(
        "https://testserver/ui/login",
        data={"token": world.tokens[("a", "viewer")], "login_nonce": nonce.group(1)},
    )
    assert r.status_code == 303
    assert "; secure" in r.headers["set-cookie"].lower()


def test_sign_in_form_needs_its_nonce_and_a_valid_token(world: World) -> None:
    r = world.api.post("/ui/login", data={"token": world.tokens[("a", "admin")]})
    assert r.status_code == 403
    assert "expired" in r.text
    nonce = _nonce(world)
    bad = world.api.post("/ui/login", data={"token": "dl_0000_nope", "login_nonce": nonce})
    assert bad.status_code == 401
    assert "not valid" in bad.text
    assert "driftline_session" not in bad.headers.get("set-cookie", "")


def test_next_is_only_followed_inside_the_dashboard(world: World) -> None:
    for target in ("https://evil.example/x", "//evil.example", "/api/v1/me", "/ui/\\evil"):
        world.api.client.cookies.clear()
        r = sign_in(world, next=target)
        assert r.headers["location"] == f"/ui/projects/{world.projects['a']}", target
    world.api.client.cookies.clear()
    r = sign_in(world, next=f"/ui/projects/{world.projects['a']}/alerts")
    assert r.headers["location"].endswith("/alerts")


def test_forms_need_the_csrf_token_and_sign_out_ends_the_session(world: World) -> None:
    sign_in(world, "editor")
    project = world.projects["a"]
    page = world.api.get(f"/ui/projects/{project}").text
    csrf = _csrf(page)
    refused = world.api.post("/ui/logout", content="csrf=wrong", headers=FORM)
    assert refused.status_code == 403
    assert world.api.get(f"/ui/projects/{project}").status_code == 200  # still signed in
    old = dict(world.api.client.cookies)
    out = world.api.post("/ui/logout", content=f"csrf={csrf}", headers=FORM)
    assert out.status_code == 303
    assert out.headers["location"] == "/ui/login?signed_out=1"
    # the old cookie, replayed, opens nothing: the session is gone on the server
    world.api.client.cookies.clear()
    cookie = f"driftline_session={old['driftline_session']}"
    again = world.api.get(f"/ui/projects/{project}", headers={"Cookie": cookie})
    assert again.status_code == 303
    assert again.headers["location"].startswith("/ui/login")


def test_a_revoked_token_ends_its_sessions(world: World) -> None:
    created = world.api.post(
        f"{world.base('a')}/tokens", json={"name": "short-lived"}, headers=world.auth("a")
    ).json()
    nonce = _nonce(world)
    r = world.api.post("/ui/login", data={"token": created["secret"], "login_nonce": nonce})
    assert r.status_code == 303
    project = world.projects["a"]
    assert world.api.get(f"/ui/projects/{project}").status_code == 200
    revoke = world.api.delete(
        f"{world.base('a')}/tokens/{created['token_id']}", headers=world.auth("a")
    )
    assert revoke.status_code == 204
    after = world.api.get(f"/ui/projects/{project}")
    assert after.status_code == 303


def test_no_token_in_urls_or_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    secret = world.tokens[("a", "editor")]
    with caplog.at_level(logging.DEBUG):
        r = sign_in(world, "editor")
        pages = [world.api.get(r.headers["location"])]
        pages.append(world.api.get(f"/ui/projects/{world.projects['a']}/alerts"))
    assert secret not in r.headers["location"]
    for page in pages:
        assert secret not in page.text
        assert secret not in str(page.url)
    assert all(secret not in rec.getMessage() for rec in caplog.records)


def test_oversized_or_wrong_forms_are_refused(world: World) -> None:
    nonce = _nonce(world)
    big = world.api.post("/ui/login", content="token=" + "x" * 20_000, headers=FORM)
    assert big.status_code == 413
    json_body = world.api.post("/ui/login", json={"token": "x", "login_nonce": nonce})
    assert json_body.status_code == 415


def test_error_pages_escape_what_they_echo(world: World) -> None:
    sign_in(world)
    evil = "<img src=x onerror=alert(1)>"
    r = world.api.get(f"/ui/projects/{world.projects['a']}/models/{evil}/versions/1")
    assert r.status_code == 404
    assert "<img" not in r.text
    assert evil in html.unescape(r.text)
