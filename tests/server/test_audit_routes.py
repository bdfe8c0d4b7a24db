"""The audit routes and the events the server records, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from driftline.audit import (
    SignedTreeHead,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_signature,
)

from .conftest import World, start_world


def _entries(world: World, key: str, role: str = "viewer", **params: Any) -> dict[str, Any]:
    r = world.api.get(
        f"{world.base(key)}/audit/entries", params=params, headers=world.auth(key, role)
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _types(body: dict[str, Any]) -> list[str]:
    return [e["event_type"] for e in body["entries"]]


def test_governance_changes_are_recorded_in_their_project(world: World) -> None:
    a, b = world.base("a"), world.base("b")
    start = _entries(world, "a", limit=1000)["entries"]
    seen = len(start)
    url = world.add_version("a", "audited", "1")
    rule = world.api.post(
        f"{a}/alert-rules",
        json={"name": "r", "kind": "volume_drop"},
        headers=world.auth("a", "editor"),
    ).json()
    patched = world.api.patch(
        f"{a}/alert-rules/{rule['id']}", json={"enabled": False}, headers=world.auth("a", "editor")
    )
    assert patched.status_code == 200, patched.text
    world.api.delete(f"{a}/alert-rules/{rule['id']}", headers=world.auth("a", "editor"))
    token = world.api.post(
        f"{a}/tokens", json={"name": "ci", "role": "viewer"}, headers=world.auth("a")
    ).json()
    world.api.delete(f"{a}/tokens/{token['token_id']}", headers=world.auth("a"))
    # refused changes record nothing
    assert world.api.post(url.rsplit("/", 1)[0], json={"version": "1", "schema": {"features": {"x": "numeric"}}}, headers=world.auth("a", "editor")).status_code == 409  # fmt: skip
    assert (
        world.api.post(f"{a}/tokens", json={"name": ""}, headers=world.auth("a")).status_code == 422
    )

    body = _entries(world, "a", limit=1000, after=start[-1]["seq"] if start else -1)
    assert _types(body) == [
        "model.created",
        "version.registered",
        "alert_rule.created",
        "alert_rule.changed",
        "alert_rule.deleted",
        "token.created",
        "token.revoked",
    ], seen
    records = [json.loads(e["record"]) for e in body["entries"]]
    assert records[5]["payload"]["token_id"] == token["token_id"]
    assert token["secret"] not in body["entries"][5]["record"]
    assert all(r["actor"].startswith("token:") for r in records)
    assert all(e["leaf_hash"] == leaf_hash(e["record"].encode()).hex() for e in body["entries"])

    # project B's viewer sees none of A's entries, and no proof of them
    b_body = _entries(world, "b", limit=1000)
    assert not {e["seq"] for e in b_body["entries"]} & {e["seq"] for e in body["entries"]}
    seq = body["entries"][0]["seq"]
    r = world.api.get(f"{b}/audit/inclusion-proof", params={"seq": seq}, headers=world.auth("b"))
    assert r.status_code == 404
    assert world.projects["a"] not in r.text
    assert world.app.state.driftline.audit.verify().ok


def test_proofs_verify_offline_against_the_signed_head(world: World) -> None:
    a = world.base("a")
    world.add_version("a", "proved", "1")
    body = _entries(world, "a", proofs="true", limit=100)
    head_json = body["tree_head"]
    head = SignedTreeHead.from_dict(head_json)
    public = bytes.fromhex(head_json["public_key"])
    assert verify_signature(public, head.message(), base64.b64decode(head_json["signature"]))
    for e in body["entries"]:
        path = [bytes.fromhex(p) for p in e["inclusion_proof"]]
        assert verify_inclusion(
            bytes.fromhex(e["leaf_hash"]), e["seq"], head.tree_size, path, head.root_hash
        )
    # one entry's proof by itself, then a consistency proof from an older head
    old = world.api.get(f"{a}/audit/tree-head", headers=world.auth("a", "viewer")).json()
    world.add_version("a", "proved", "2")
    new = world.api.get(f"{a}/audit/tree-head", headers=world.auth("a", "viewer")).json()
    r = world.api.get(
        f"{a}/audit/consistency-proof",
        params={"first": old["tree_size"], "second": new["tree_size"]},
        headers=world.auth("a", "viewer"),
    )
    assert r.status_code == 200, r.text
    proof = [bytes.fromhex(p) for p in r.json()["path"]]
    assert verify_consistency(
        old["tree_size"], new["tree_size"], bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]), proof,
    )  # fmt: skip
    latest = world.api.get(f"{a}/audit/inclusion-proof", headers=world.auth("a", "viewer")).json()
    assert latest["tree_size"] == new["tree_size"]
    past = world.api.get(
        f"{a}/audit/tree-head", params={"size": old["tree_size"]}, headers=world.auth("a", "viewer")
    ).json()
    assert past["root_hash"] == old["root_hash"]


def test_bad_audit_queries_are_4xx(world: World) -> None:
    a = world.base("a")
    world.add_version("a", "m", "1")
    h = world.auth("a", "viewer")
    size = world.api.get(f"{a}/audit/tree-head", headers=h).json()["tree_size"]
    cases = [
        ("inclusion-proof", {"seq": -1}, 422),
        ("inclusion-proof", {"seq": "x"}, 422),
        ("inclusion-proof", {"seq": 10**9}, 404),
        ("inclusion-proof", {"size": size + 5}, 422),
        ("consistency-proof", {"first": 1, "second": size + 1}, 422),
        ("consistency-proof", {"first": size, "second": 1}, 422),
        ("entries", {"limit": 0}, 422),
        ("entries", {"limit": 5000}, 422),
        ("entries", {"limit": 101, "proofs": "true"}, 422),
        ("tree-head", {"size": 10**9}, 404),
    ]
    for route, params, status in cases:
        r = world.api.get(f"{a}/audit/{route}", params=params, headers=h)
        assert r.status_code == status, (route, params, r.text)
        assert r.json()["error"]["message"]


def test_an_inconsistent_log_refuses_governance_changes_with_503(
    new_database_url: Callable[[str], str],
) -> None:
    from sqlalchemy import func, select, text

    from driftline.store import ApiToken

    worlds = start_world(new_database_url("sqlite"))
    world = next(worlds)
    try:
        a = world.base("a")
        world.add_version("a", "m", "1")
        engine = world.app.state.driftline.engine
        with engine.begin() as conn:  # an entry beyond the latest signed head
            conn.execute(
                text(
                    "INSERT INTO audit_entries (seq, event_type, project_id, record, leaf_hash, "
                    "created_at) SELECT seq + 1, event_type, project_id, record, leaf_hash, "
                    "created_at FROM audit_entries ORDER BY seq DESC LIMIT 1"
                )
            )
            tokens = conn.scalar(select(func.count()).select_from(ApiToken))
        r = world.api.post(f"{a}/tokens", json={"name": "x"}, headers=world.auth("a"))
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "audit_log_inconsistent"
        assert "driftline audit verify" in r.json()["error"]["message"]
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(ApiToken)) == tokens  # not written
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)")
            )
        r = world.api.post(f"{a}/tokens", json={"name": "x"}, headers=world.auth("a"))
        assert r.status_code == 201, r.text
    finally:
        worlds.close()
