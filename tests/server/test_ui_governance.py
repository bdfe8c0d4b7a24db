"""The dashboard's governance pages over HTTP (a real app, a real database): the audit page
lists the project's entries newest first, paged, with the log's verification status (and
the problems when the log was tampered with); the lineage page shows each model's aliases,
their history and the production version's chain. Project A's viewer never sees B's."""

from __future__ import annotations

import base64
import html
import re

import pyarrow as pa
from sqlalchemy import select, update

from driftline.registry import fingerprint_dataset
from driftline.server._ui._governance import AUDIT_PAGE
from driftline.store import AuditEntry, Project

from .conftest import World
from .test_ui_sessions import sign_in

REASON = "<b>approved</b> by risk"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _project_id(world: World, key: str) -> str:
    with world.app.state.driftline.sessions() as session:
        found = session.scalar(select(Project.id).where(Project.name == world.projects[key]))
    assert found is not None
    return str(found)


def _page(world: World, key: str, path: str, role: str = "viewer") -> str:
    world.api.client.cookies.clear()
    sign_in(world, role, key)
    r = world.api.get(f"/ui/projects/{world.projects[key]}/{path}")
    assert r.status_code == 200, r.text
    return r.text


def _fresh_check(world: World) -> None:
    world.app.state.ui_audit_verify = None  # the next page verifies again


def test_empty_project_says_so(sqlite_world: World) -> None:
    lineage = _text(_page(sqlite_world, "b", "lineage"))
    assert "Nothing is registered in this project yet" in lineage
    assert "not available yet" not in lineage.lower()
    audit = _text(_page(sqlite_world, "b", "audit"))
    assert "This project has no audit entries yet" in audit
    assert "Verified: 0 entries" in audit


def test_audit_and_lineage_of_a_registered_model(sqlite_world: World) -> None:
    world = sqlite_world
    world.add_version("a", "credit", "1")
    world.add_version("a", "credit", "2")
    base, editor = world.base("a"), world.auth("a", "editor")
    fp = fingerprint_dataset(pa.table({"x": [1.0, 2.0], "city": ["a", "b"]}))
    body = {"name": "train-2026", **fp.to_dict(), "profile": base64.b64encode(fp.profile).decode(),
            "source_uri": "s3://lake/train", "licence": "internal", "pii": False}  # fmt: skip
    assert world.api.post(f"{base}/datasets", json=body, headers=editor).status_code == 200
    url = world.version_url("a", "credit", "2")
    r = world.api.post(f"{url}/lineage", json={"run": "run-7", "datasets": ["train-2026"]},
                       headers=editor)  # fmt: skip
    assert r.status_code == 200, r.text
    aliases = f"{base}/models/credit/aliases"
    for version, reason in (("1", "first release"), ("2", REASON)):
        r = world.api.put(aliases, json={"alias": "production", "version": version,
                          "reason": reason}, headers=editor)  # fmt: skip
        assert r.status_code == 200, r.text
    world.add_version("b", "secret-model", "1")
    _fresh_check(world)

    page = _page(world, "a", "lineage")
    assert "<b>approved</b>" not in page  # a reason is text, never markup
    text = _text(page)
    assert "Model credit" in text
    assert "moved from version 1 to version 2" in text
    assert f"“{REASON}”" in text
    assert "first release" in text
    assert text.index(REASON) < text.index("first release")  # newest first
    assert "Data set: train-2026" in text
    assert "Training run: run-7" in text
    assert "Model version: credit:2" in text
    assert "Alias move: credit@production #2" in text
    assert "personal data: no" in text
    assert "previous version: 1" in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text)  # dates as people read them
    assert "secret-model" not in text

    audit = _page(world, "a", "audit")
    text = _text(audit)
    assert re.search(
        r"Verified: \d+ entries, tree head signed at \d{4}-\d\d-\d\d \d\d:\d\d UTC", text
    )
    assert "An alias was moved to another version" in text
    assert "A training or evaluation data set was registered" in text
    assert "secret-model" not in audit
    moved = text.index("An alias was moved")
    assert moved < text.index("A model version was registered")  # newest first
    with world.app.state.driftline.sessions() as session:
        own = session.scalars(
            select(AuditEntry).where(AuditEntry.project_id == _project_id(world, "a"))
        ).all()
        theirs = session.scalars(
            select(AuditEntry).where(AuditEntry.project_id == _project_id(world, "b"))
        ).all()
    assert own
    assert theirs
    for e in own:
        assert f"#{e.seq} " in text
        assert e.leaf_hash.hex()[:12] in audit
    for e in theirs:
        assert e.leaf_hash.hex()[:12] not in audit
    other = _page(world, "b", "audit")
    for e in own:
        assert e.leaf_hash.hex()[:12] not in other


def test_audit_pages_newest_first(sqlite_world: World) -> None:
    world = sqlite_world
    pid = _project_id(world, "a")
    log = world.app.state.driftline.audit
    events = [("policy.changed", {"n": i}) for i in range(AUDIT_PAGE + 5)]
    log.append_many([log_event(t, p, pid) for t, p in events])
    _fresh_check(world)
    first = _page(world, "a", "audit")
    older = re.search(r'href="([^"]+/audit\?before=(\d+))"', first)
    assert older is not None
    assert first.count("A gate or promotion policy was changed") == AUDIT_PAGE
    r = world.api.get(html.unescape(older.group(1)))
    assert r.status_code == 200
    rest = _text(r.text)
    assert rest.count("A gate or promotion policy was changed") == 5
    assert f"#{older.group(2)} " not in rest  # strictly older
    assert "Newest entries" in rest
    assert world.api.get(f"/ui/projects/{world.projects['a']}/audit?before=-1").status_code == 422


def log_event(event_type: str, payload: dict[str, int], project: str) -> object:
    from driftline.audit import Event

    return Event(event_type, payload, project=project, actor="system:test")


def test_a_tampered_log_says_what_is_wrong(sqlite_world: World) -> None:
    world = sqlite_world
    pid_a = _project_id(world, "a")
    with world.app.state.driftline.writes.begin() as session:
        seq = session.scalar(
            select(AuditEntry.seq).where(AuditEntry.project_id == pid_a).order_by(AuditEntry.seq)
        )
        assert seq is not None
        record = session.get(AuditEntry, seq)
        assert record is not None
        forged = record.record.replace(b'"credit"', b'"forged"')
        assert forged != record.record
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(record=forged))
    _fresh_check(world)
    text = _text(_page(world, "a", "audit"))
    assert "Verified:" not in text
    assert "The audit log does not verify" in text
    assert f"Entry {seq} was edited" in text
    other = _text(_page(world, "b", "audit"))  # B learns the log is broken, not A's details
    assert "The audit log does not verify" in other
    assert f"(entry {seq}, of another project)" in other
    assert f"Entry {seq} was edited" not in other
