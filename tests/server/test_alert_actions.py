"""Acknowledging and resolving an alert by hand, with a comment: recorded on the event,
scoped by project, editor or higher, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from driftline.alerts import AlertRepository, Firing

from .conftest import World


def fire(world: World, key: str = "a", *, condition: str = "drift") -> str:
    """A firing alert event on version ``m/1`` of project ``key`` (its id)."""
    world.add_version(key, "m", "1")
    rule = world.api.post(
        f"{world.base(key)}/alert-rules",
        json={"name": f"r-{condition}", "kind": "drift", "model": "m"},
        headers=world.auth(key, "editor"),
    ).json()
    firing = Firing(
        rule_id=rule["id"],
        version_id=world.version_id(key),
        kind="drift",
        condition=condition,
        severity="warning",
        message="2 of 3 features drifted in window #1",
        payload={"message": "2 of 3 features drifted in window #1", "model": "m", "version": "1"},
        window_key=1,
    )
    with world.app.state.driftline.writes.begin() as session:
        event = AlertRepository(session).record(firing)
        assert event is not None
        return str(event.id)


def _post(world: World, url: str, role: str, key: str = "a", **body: Any) -> Any:
    return world.api.post(url, json=body, headers=world.auth(key, role))


def test_acknowledge_then_resolve_records_who_when_and_why(world: World) -> None:
    alert = fire(world)
    base = f"{world.base('a')}/alerts/{alert}"
    r = _post(world, f"{base}/acknowledge", "editor", comment="Looking at the income feed.")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "firing"
    assert body["acknowledged_by"].startswith("a-editor")
    assert body["acknowledged_at"] is not None
    assert [a["comment"] for a in body["actions"]] == ["Looking at the income feed."]

    r = _post(world, f"{base}/resolve", "admin", comment="Upstream fix deployed.")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert [a["action"] for a in body["actions"]] == ["acknowledge", "resolve"]
    assert body["actions"][1]["by"].startswith("a-admin")

    listed = world.api.get(f"{world.base('a')}/alerts", headers=world.auth("a", "viewer")).json()
    mine = next(e for e in listed if e["id"] == alert)
    assert mine["actions"] == body["actions"]

    again = _post(world, f"{base}/acknowledge", "editor")
    assert again.status_code == 409
    assert "already resolved" in again.json()["error"]["message"]


def test_viewer_cannot_and_other_project_sees_nothing(world: World) -> None:
    alert = fire(world, condition="other")
    base = f"{world.base('a')}/alerts/{alert}"
    r = _post(world, f"{base}/acknowledge", "viewer", comment="x")
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"role": "viewer", "needed": "editor"}
    # B's admin through B's own project path does not find A's alert
    crossed = _post(world, f"{world.base('b')}/alerts/{alert}/acknowledge", "admin", key="b")
    assert crossed.status_code == 404
    missing = _post(world, f"{world.base('a')}/alerts/nope/resolve", "admin")
    assert missing.status_code == 404
    too_long = _post(world, f"{base}/acknowledge", "admin", comment="x" * 2001)
    assert too_long.status_code == 422
    listed = world.api.get(f"{world.base('a')}/alerts", headers=world.auth("a")).json()
    assert next(e for e in listed if e["id"] == alert)["actions"] == []
