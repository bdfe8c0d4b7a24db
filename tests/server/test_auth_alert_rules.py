"""Alert rules over HTTP: what each role may do with channels, what viewers can read back.

- Slack channels can be created by POST; a rule read with GET can be sent back to PUT and
  PATCH unchanged (``has_secret``, masked URLs); ``"secret": null`` removes a secret.
- ``allow_private`` (private/loopback receivers) needs an admin token.
- ``GET .../alerts`` never shows a channel's credentials (webhook query, Slack path) nor
  anything a receiver answered, only its status code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from driftline.alerts import (
    AlertEngine,
    AlertRepository,
    Firing,
    HttpPoster,
    default_notifiers,
)
from driftline.store import AlertEvent, AlertRule, session_factory
from driftline.testing._notifier_checks import _receiver

from .conftest import World

SECRET = "whsec-0123456789abcdef-0123"
WEBHOOK = "https://hooks.example.com/in/p4th?key=SUPERSECRET"
SLACK = "https://hooks.slack.com/services/T0/B0/SLACKTOKEN"
RETRAIN = "https://ml.example.com/retrain"


def _rules(world: World) -> str:
    return f"{world.base('a')}/alert-rules"


def _stored_channels(world: World, rule_id: str) -> list[dict[str, Any]]:
    with world.app.state.driftline.sessions() as session:
        row = session.scalar(select(AlertRule).where(AlertRule.id == rule_id))
        assert row is not None
        return list(row.config["channels"])


def _create(world: World, name: str, channels: list[dict[str, Any]], role: str = "editor") -> Any:
    body = {"name": name, "kind": "drift", "channels": channels}
    return world.api.post(_rules(world), json=body, headers=world.auth("a", role))


def test_a_slack_channel_can_be_created_by_post(world: World) -> None:
    # Was 422 "channels.0.slack.secret: Extra inputs are not permitted".
    r = _create(world, "slack", [{"type": "slack", "url": SLACK}])
    assert r.status_code == 201, r.text
    assert r.json()["channels"] == [  # has_secret null: Slack channels are not signed
        {"type": "slack", "url": "https://hooks.slack.com/***", "allow_private": False,
         "has_secret": None}
    ]  # fmt: skip
    # what a generic client sends for an unsigned channel is accepted too
    r = _create(world, "slack-null", [{"type": "slack", "url": SLACK, "secret": None}])
    assert r.status_code == 201, r.text
    r = _create(world, "slack-secret", [{"type": "slack", "url": SLACK, "secret": SECRET}])
    assert r.status_code == 422
    assert "slack channels are not signed" in r.json()["error"]["message"]


def _full_rule(world: World, name: str) -> dict[str, Any]:
    channels = [
        {"type": "webhook", "url": WEBHOOK, "secret": SECRET},
        {"type": "slack", "url": SLACK},
        {"type": "slack", "url": SLACK.replace("SLACKTOKEN", "OTHERTOKEN")},
        {"type": "retrain", "url": RETRAIN, "secret": SECRET},
    ]
    r = _create(world, name, channels)
    assert r.status_code == 201, r.text
    rule: dict[str, Any] = r.json()
    return rule


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_rule_sent_back_as_get_shows_it_keeps_urls_and_secrets(world: World, method: str) -> None:
    created = _full_rule(world, f"round-trip-{method}")
    before = _stored_channels(world, created["id"])
    url = f"{_rules(world)}/{created['id']}"
    shown = world.api.get(url, headers=world.auth("a", "viewer")).json()
    assert "SUPERSECRET" not in json.dumps(shown)
    assert "SLACKTOKEN" not in json.dumps(shown)
    assert shown["channels"][0]["has_secret"] is True
    # Was 422 "channels.0.has_secret: Extra inputs are not permitted".
    r = world.api.request(method, url, json=shown, headers=world.auth("a", "editor"))
    assert r.status_code == 200, r.text
    assert r.json() == shown
    assert _stored_channels(world, created["id"]) == before  # both Slack URLs kept, in order
    # an edit through the same round trip
    edited = {**shown, "enabled": False, "cooldown_seconds": 60}
    r = world.api.request(method, url, json=edited, headers=world.auth("a", "editor"))
    assert (r.json()["enabled"], r.json()["cooldown_seconds"]) == (False, 60)
    assert _stored_channels(world, created["id"]) == before


def test_secret_null_removes_the_secret_and_has_secret_false_too(world: World) -> None:
    created = _full_rule(world, "remove-secret")
    url = f"{_rules(world)}/{created['id']}"
    shown = created["channels"]
    # Was ignored: the stored secret stayed.
    changes = {"channels": [{**shown[0], "secret": None}, shown[1], shown[2],
                            {**shown[3], "has_secret": False}]}  # fmt: skip
    r = world.api.patch(url, json=changes, headers=world.auth("a", "editor"))
    assert r.status_code == 200, r.text
    assert [c.get("has_secret") for c in r.json()["channels"]] == [False, None, None, False]
    stored = _stored_channels(world, created["id"])
    assert [c.get("secret") for c in stored] == [None, None, None, None]
    assert stored[0]["url"] == WEBHOOK


def test_masked_urls_and_has_secret_need_a_stored_channel(world: World) -> None:
    r = _create(world, "masked", [{"type": "slack", "url": "https://hooks.slack.com/***"}])
    assert r.status_code == 422
    assert "is masked as the API shows it" in r.json()["error"]["message"]
    r = _create(world, "has-secret", [{"type": "webhook", "url": RETRAIN, "has_secret": True}])
    assert r.status_code == 422
    assert "has_secret" in r.json()["error"]["message"]
    created = _full_rule(world, "changed-url")
    url = f"{_rules(world)}/{created['id']}"
    moved = {**created["channels"][0], "url": "https://other.example.com/x"}
    r = world.api.patch(url, json={"channels": [moved]}, headers=world.auth("a", "editor"))
    assert r.status_code == 422  # a new URL with has_secret: true has no secret to keep


def test_an_id_in_the_body_must_be_the_rule_of_the_path(world: World) -> None:
    a, b = _full_rule(world, "id-a"), _full_rule(world, "id-b")
    r = world.api.put(f"{_rules(world)}/{a['id']}", json=b, headers=world.auth("a", "editor"))
    assert r.status_code == 422
    assert "is not the rule" in r.json()["error"]["message"]


PRIVATE = {"type": "webhook", "url": "http://10.1.2.3/hook", "allow_private": True}


def test_only_admins_may_set_allow_private(world: World) -> None:
    r = _create(world, "private-by-editor", [PRIVATE], role="editor")
    assert r.status_code == 403, r.text
    assert r.json()["error"]["details"] == {"role": "editor", "needed": "admin"}
    r = _create(world, "private-by-admin", [PRIVATE], role="admin")
    assert r.status_code == 201, r.text
    rule = r.json()
    url = f"{_rules(world)}/{rule['id']}"
    editor = world.auth("a", "editor")
    # an editor may change other fields, and send the channel back unchanged
    assert world.api.patch(url, json={"enabled": False}, headers=editor).status_code == 200
    assert world.api.put(url, json=rule, headers=editor).status_code == 200
    # ... but not point it elsewhere, nor add another private channel
    moved = {**rule["channels"][0], "url": "http://10.9.9.9/hook"}
    r = world.api.patch(url, json={"channels": [moved]}, headers=editor)
    assert r.status_code == 403
    other = {**PRIVATE, "url": "http://192.168.0.9/x"}
    r = world.api.patch(url, json={"channels": [rule["channels"][0], other]}, headers=editor)
    assert r.status_code == 403
    assert _stored_channels(world, rule["id"])[0]["url"] == "http://10.1.2.3/hook"
    r = world.api.patch(url, json={"channels": [moved]}, headers=world.auth("a", "admin"))
    assert r.status_code == 200


def _fire(world: World, rule_id: str) -> None:
    version_id = world.version_id("a")
    firing = Firing(
        rule_id=rule_id, version_id=version_id, kind="drift", condition="drift",
        severity="warning", message="drift in 1 of 3 columns",
        payload={"rule": {"id": rule_id, "name": "r", "kind": "drift"},
                 "project": world.projects["a"], "model": "m", "version": "1"},
    )  # fmt: skip
    with session_factory(world.app.state.driftline.engine).begin() as session:
        assert AlertRepository(session).record(firing) is not None


def test_viewers_never_read_credentials_or_receiver_answers(world: World) -> None:
    world.add_version("a", "m", "1")
    with _receiver() as rec:
        rec.answer = (500, {}, b"internal-secret-data from the metadata service")
        base = f"http://127.0.0.1:{rec.port}"
        channels = [
            {"type": "webhook", "url": f"{base}/hook/p4th?key=SUPERSECRET",
             "allow_private": True, "secret": SECRET},
            {"type": "slack", "url": f"{base}/services/T0/B0/SLACKTOKEN", "allow_private": True},
        ]  # fmt: skip
        r = _create(world, "leaky", channels, role="admin")
        assert r.status_code == 201, r.text
        _fire(world, r.json()["id"])
        poster = HttpPoster(max_attempts=1, sleep=lambda s: None)
        engine = AlertEngine(
            session_factory(world.app.state.driftline.engine),
            notifiers=default_notifiers(poster),
            max_attempts=1,
        )
        stats = engine.deliver_pending()
        assert stats.gave_up >= 1
        assert len(rec.requests) == 2
    events = world.api.get(f"{world.base('a')}/alerts", headers=world.auth("a", "viewer")).json()
    mine = [e for e in events if e["rule_id"] == r.json()["id"]]
    assert len(mine) == 1
    error = mine[0]["delivery_error"]
    assert "HTTP 500" in error
    assert f"webhook {base}/***" in error
    for hidden in ("SUPERSECRET", "SLACKTOKEN", "p4th", "T0/B0", "internal-secret-data", SECRET):
        assert hidden not in json.dumps(events), hidden


def test_errors_stored_by_earlier_versions_are_redacted_when_read(world: World) -> None:
    created = _full_rule(world, "legacy")
    _fire(world, created["id"])
    legacy = (
        "gave up after 4 attempts: webhook https://hooks.example.com/in/p4th?***: HTTP 500 "
        f"from {WEBHOOK}: internal-secret-data (after 4 attempts); slack "
        f"https://hooks.slack.com/***: HTTP 404 from {SLACK}: no_team"
    )
    with session_factory(world.app.state.driftline.engine).begin() as session:
        session.execute(
            update(AlertEvent)
            .where(AlertEvent.rule_id == created["id"])
            .values(delivery_error=legacy)
        )
    events = world.api.get(f"{world.base('a')}/alerts", headers=world.auth("a", "viewer")).json()
    error = next(e for e in events if e["rule_id"] == created["id"])["delivery_error"]
    assert error == (
        "gave up after 4 attempts: webhook https://hooks.example.com/***: HTTP 500 from "
        "https://hooks.example.com/*** (answer not shown) (after 4 attempts); slack "
        "https://hooks.slack.com/***: HTTP 404 from https://hooks.slack.com/*** (answer not shown)"
    )
