"""Alert rules and history, precomputed profiles, and the Prometheus exposition."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftline.monitor import profile_rows
from driftline.store import AlertEvent, PredictionStore, VersionSchema, session_factory

from .conftest import ARROW, SCHEMA, SCRAPE_TOKEN, World, arrow_bytes

PROFILE = {"content-type": "application/vnd.driftline.profile"}


def test_rule_crud_hides_secrets_and_validates_config(sqlite_world: World) -> None:
    world = sqlite_world
    world.add_version("a", "alerted", "1")
    rules = f"{world.base()}/alert-rules"
    body = {
        "name": "auc low",
        "kind": "estimated_metric",
        "config": {"metric": "roc_auc"},
        "model": "alerted",
        "channels": [{"type": "webhook", "url": "https://hooks.example.com/x", "secret": "s" * 32}],
    }
    r = world.api.post(rules, json=body, headers=world.auth("a", "editor"))
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["config"]["below_band"] is True
    assert rule["channels"] == [
        {
            "type": "webhook",
            "url": "https://hooks.example.com/x",
            "allow_private": False,
            "has_secret": True,
        }
    ]
    assert "s" * 32 not in r.text
    got = world.api.get(f"{rules}/{rule['id']}", headers=world.auth("a", "viewer")).json()
    assert got == rule
    # PATCH without the secret keeps it; a bad config is a 422 naming the field.
    patched = world.api.patch(
        f"{rules}/{rule['id']}",
        json={
            "enabled": False,
            "channels": [{"type": "webhook", "url": "https://hooks.example.com/x"}],
        },
        headers=world.auth("a", "editor"),
    ).json()
    assert patched["enabled"] is False
    assert patched["channels"][0]["has_secret"] is True
    bad = world.api.post(
        rules, json={**body, "config": {"metric": "auc"}}, headers=world.auth("a", "editor")
    )
    assert bad.status_code == 422
    assert "config.metric" in bad.json()["error"]["message"]
    unknown_model = world.api.post(
        rules, json={**body, "model": "nope"}, headers=world.auth("a", "editor")
    )
    assert unknown_model.status_code == 422
    assert "nope" in unknown_model.json()["error"]["message"]
    listed = world.api.get(rules, headers=world.auth("a", "viewer")).json()
    assert [r["id"] for r in listed] == [rule["id"]]
    # History: an event recorded for the rule shows, filtered by status and model.
    state = world.app.state.driftline
    vid = world.version_id("a", "alerted", "1")
    with session_factory(state.engine).begin() as session:
        session.add(
            AlertEvent(
                rule_id=rule["id"],
                model_version_id=vid,
                status="firing",
                dedupe_key="k",
                payload={"message": "roc_auc below band", "model": "alerted", "version": "1"},
            )
        )
    alerts = f"{world.base()}/alerts"
    events = world.api.get(alerts, headers=world.auth("a", "viewer")).json()
    assert [e["message"] for e in events] == ["roc_auc below band"]
    assert (
        world.api.get(f"{alerts}?status=resolved", headers=world.auth("a", "viewer")).json() == []
    )
    assert world.api.get(f"{alerts}?model=other", headers=world.auth("a", "viewer")).json() == []
    assert (
        len(world.api.get(f"{alerts}?model=alerted", headers=world.auth("a", "viewer")).json()) == 1
    )
    assert (
        world.api.delete(f"{rules}/{rule['id']}", headers=world.auth("a", "editor")).status_code
        == 204
    )
    assert (
        world.api.get(f"{rules}/{rule['id']}", headers=world.auth("a", "viewer")).status_code == 404
    )


def test_profiles_merge_into_windows(sqlite_world: World) -> None:
    world = sqlite_world
    url = world.add_version("a", "profiled", "1")
    rng = np.random.default_rng(3)
    table = pa.table(
        {"x": rng.normal(size=50), "city": ["a"] * 50, "flag": [True] * 50, "score": rng.random(50)}
    )
    prof = profile_rows(VersionSchema.from_dict(SCHEMA), table)
    start = datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    r = world.api.post(
        f"{url}/profiles",
        params={"start": start.isoformat()},
        content=prof.to_bytes(),
        headers={**world.auth(), **PROFILE},
    )
    assert r.status_code == 200, r.text
    hour = int(datetime(2024, 3, 1, 10, tzinfo=UTC).timestamp()) * 1_000_000
    assert r.json() == {"window_key": hour, "rows": 50}
    again = world.api.post(
        f"{url}/profiles?window_key={hour}",
        content=prof.to_bytes(),
        headers={**world.auth(), **PROFILE},
    )
    assert again.json() == {"window_key": hour, "rows": 100}
    for query, status in (("", 400), ("?start=2024-03-01T10:30:00Z&window_key=1", 400)):
        r = world.api.post(
            f"{url}/profiles{query}", content=prof.to_bytes(), headers={**world.auth(), **PROFILE}
        )
        assert r.status_code == status, r.text
    r = world.api.post(
        f"{url}/profiles?window_key={hour}", content=b"junk", headers={**world.auth(), **PROFILE}
    )
    assert r.status_code == 400
    r = world.api.post(
        f"{url}/profiles?window_key={hour}",
        content=prof.to_bytes(),
        headers={**world.auth(), **ARROW},
    )
    assert r.status_code == 415


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_ingestion_and_read_gauges_from_the_database(sqlite_world: World) -> None:
    world = sqlite_world
    url = world.add_version("a", "metered", "2")
    table = pa.table(
        {
            "x": pa.array(["1.0", "bad"]),
            "city": ["a", "b"],
            "flag": [True, False],
            "score": [0.5, 0.5],
        }
    )
    r = world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    assert r.status_code == 200
    state = world.app.state.driftline
    vid = world.version_id("a", "metered", "2")
    store = PredictionStore(state.engine)
    window = store.windows(vid)[0]
    results = {
        "drift": {"drifted": True, "share_drifted": 0.25},
        "estimated": {"method": "CBPE", "metrics": {"roc_auc": {"value": 0.81}}},
        "realized": {"n_labels": 0, "metrics": {}},
    }
    assert store.save_window_results(window, results)
    text = world.api.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}).text
    samples = _samples(text)
    names = (("model", "metered"), ("project", world.projects["a"]), ("version", "2"))
    assert samples[("driftline_drift_share", names)] == 0.25
    assert samples[("driftline_drifted", names)] == 1.0
    assert (
        samples[("driftline_estimated_metric", tuple(sorted((*names, ("metric", "roc_auc")))))]
        == 0.81
    )
    assert samples[("driftline_window_computations_total", names)] == 1.0
    assert (
        samples[("driftline_ingest_rows_total", tuple(sorted((*names, ("result", "accepted")))))]
        == 1.0
    )
    assert (
        samples[("driftline_ingest_rows_total", tuple(sorted((*names, ("result", "rejected")))))]
        == 1.0
    )
    route = "/api/v1/projects/{project}/models/{model}/versions/{version}/predictions"
    count = samples[
        ("driftline_http_request_duration_seconds_count", (("method", "POST"), ("route", route)))
    ]
    assert count >= 1
    # Labels are names, never ids.
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-")
    assert not uuid.search(text)
    assert vid not in text


@pytest.mark.parametrize("limit", [1])
def test_windows_limit_keeps_the_newest(sqlite_world: World, limit: int) -> None:
    world = sqlite_world
    url = world.add_version("a", "many", "1", window={"kind": "rows", "size": 100})
    n = 250
    table = pa.table({"x": [1.0] * n, "city": ["a"] * n, "flag": [True] * n, "score": [0.5] * n})
    world.api.post(
        f"{url}/predictions", content=arrow_bytes(table), headers={**world.auth(), **ARROW}
    )
    windows = world.api.get(f"{url}/windows", headers=world.auth()).json()
    assert [(w["window_key"], w["rows"]) for w in windows] == [(0, 100), (1, 100), (2, 50)]
    newest = world.api.get(f"{url}/windows?limit={limit}", headers=world.auth()).json()
    assert [w["window_key"] for w in newest] == [2]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert (
        world.api.get(f"{url}/windows", params={"since": since}, headers=world.auth()).status_code
        == 200
    )
