"""The SDK against the real driftline server (``driftline.server.create_app`` under uvicorn in
a child process, SQLite file): register, log, label, read back, restarts, outages."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pytest

from driftline.client import ApiError, ApiNotFoundError, Client
from driftline.exceptions import NotFoundError, ParameterError

from .conftest import Deployment, count, frame, stored


def test_register_log_label_and_read_back(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token, flush_interval=0.2) as client:
        assert client.project == "acme"
        assert client.me().role == "editor"
        client.create_model("scorer")
        assert client.create_model("scorer", exist_ok=True).name == "scorer"
        reference = frame(500, seed=1)
        version = client.register_version("scorer", "1", reference=reference, target="label")
        assert version.schema.features == {
            "x": "numeric",
            "city": "categorical",
            "flag": "boolean",
        }
        assert version.has_reference_data
        assert version.has_reference_profile
        assert version.window == {"kind": "time", "size_seconds": 3600, "align": "calendar"}

        batch = frame(300, seed=2)
        ids = client.log_predictions("scorer", "1", batch.drop(columns="label"))
        records = frame(40, seed=3)
        record_ids = client.log_predictions(
            "scorer", "1", records.drop(columns="label").to_dict("records")
        )
        for row in records.drop(columns="label").head(10).to_dict("records"):
            record_ids += client.log_predictions("scorer", "1", row)  # one row per call
        polars_ids = client.log_predictions("scorer", "1", pl.from_pandas(frame(25, seed=4)))
        client.log_labels("scorer", "1", ids, batch["label"].to_numpy())
        client.flush(30)
        stats = client.stats
        windows = client.windows("scorer", "1")
        exported = pa.concat_tables(
            [client.window_predictions("scorer", "1", w.window_key) for w in windows]
        )

    everything = ids + record_ids + polars_ids
    assert len(everything) == 375 == len(set(everything))
    rows = stored(deployment.engine, "scorer", "1")
    assert sorted(rows) == sorted(everything)  # every row once, nothing else
    assert [rows[i][0] for i in ids] == pytest.approx(batch["score"].tolist())
    assert [rows[i][1] for i in ids] == batch["label"].astype(float).tolist()
    assert all(rows[i][1] is None for i in record_ids)
    assert sum(w.rows for w in windows) == 375
    assert sum(w.labels for w in windows) == 300
    assert sorted(exported["prediction_id"].to_pylist()) == sorted(everything)
    labelled = dict(
        zip(exported["prediction_id"].to_pylist(), exported["label"].to_pylist(), strict=True)
    )
    assert [labelled[i] for i in ids] == batch["label"].astype(float).tolist()
    assert (stats.rows_sent, stats.rows_rejected, stats.rows_failed) == (375, 0, 0)
    assert stats.labels_sent == 300
    assert stats.queue_rows == 0


def test_rows_the_server_refuses_are_counted_with_its_reasons(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token) as client:
        client.create_model("refusals")
        client.register_version("refusals", "1", reference=frame(100, seed=5), target="label")
        ids = client.log_predictions(
            "refusals", "1",
            {"x": [0.1, 0.2, 0.3], "city": ["oslo", "lima", "pune"],
             "flag": [True, False, True], "score": [0.4, 1.7, 0.5]},
        )  # fmt: skip
        client.flush(30)
        stats, rejections = client.stats, client.rejections
    assert (stats.rows_sent, stats.rows_rejected) == (2, 1)
    (rejection,) = rejections
    assert rejection.status == 200
    ((bad_id, reasons),) = rejection.row_reasons
    assert bad_id == ids[1]
    assert any("score" in r for r in reasons)
    assert sorted(stored(deployment.engine, "refusals", "1")) == sorted([ids[0], ids[2]])


def test_api_errors_carry_the_servers_message(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token, retries=1, backoff=0.01) as client:
        with pytest.raises(ApiError, match="No model named 'ghost'") as info:
            client.register_version("ghost", "1", schema={"x": "numeric"})
        assert (info.value.status, info.value.code) == (404, "not_found")
        assert isinstance(info.value, ApiNotFoundError)  # also a NotFoundError, a LookupError
        assert isinstance(info.value, NotFoundError)
        client.create_model("errors")
        client.register_version("errors", "1", schema={"x": "numeric"}, window="10000 rows")
        with pytest.raises(ApiError, match="already has a version") as info:
            client.register_version("errors", "1", schema={"x": "numeric"})
        assert info.value.status == 409
        with pytest.raises(ApiError, match="already exists"):
            client.create_model("errors")
        with pytest.raises(ParameterError, match="'window'"):
            client.register_version("errors", "2", schema={"x": "numeric"}, window="weekly")
        # logging to a version that does not exist: refused (404), not retried
        client.log_predictions("errors", "404", {"x": 1.0, "score": 0.5})
        client.flush(30)
        stats, rejections = client.stats, client.rejections
    assert (stats.rows_rejected, stats.retries) == (1, 0)
    assert rejections[-1].status == 404
    assert "404" in rejections[-1].message
    with Client(deployment.url, "dl_0000000000000000_" + "x" * 43) as client:
        with pytest.raises(ApiError) as info:
            client.models()
        assert info.value.status == 401


def test_reference_profile_log_profile_and_alert_rules(deployment: Deployment) -> None:
    from driftline.profiles import profile

    reference = frame(400, seed=6)
    features = reference[["x", "city", "flag"]]
    with Client(deployment.url, deployment.token) as client:
        client.create_model("profiled")
        version = client.register_version(
            "profiled", "1", reference_profile=profile(features),
            schema={"x": "numeric", "city": "categorical", "flag": "boolean"},
        )  # fmt: skip
        assert version.has_reference_profile
        assert not version.has_reference_data
        start = datetime(2026, 11, 1, 10, tzinfo=UTC)
        merged = client.log_profile(
            "profiled", "1", profile(frame(250, seed=7)[["x", "city", "flag"]]), start=start
        )
        assert merged.rows == 250
        (window,) = client.windows("profiled", "1")
        assert window.rows == 250
        assert window.window_key == merged.window_key

        rule = client.create_alert_rule("drift on profiled", "drift", {"min_drifted": 1},
                                        model="profiled", cooldown_seconds=60)  # fmt: skip
        assert any(r.id == rule.id for r in client.alert_rules())
        client.delete_alert_rule(rule.id)
        assert all(r.id != rule.id for r in client.alert_rules())
        assert client.alerts(model="profiled") == []


def test_non_blocking_with_the_server_down_returns_at_once_and_counts_drops(
    deployment: Deployment,
) -> None:
    server, engine, token = deployment.server, deployment.engine, deployment.token
    try:
        with Client(server.url, token) as admin:
            admin.create_model("outage")
            admin.register_version("outage", "1", reference=frame(200, seed=9), target="label")
        server.kill()
        client = Client(server.url, token, project="acme", block=False, max_queue_rows=1000,
                        retries=50, backoff=0.2)  # fmt: skip
        rows = frame(100, seed=10).drop(columns="label")
        one = rows.head(1).to_dict("records")[0]
        durations, kept = [], []
        for k in range(40):
            start = time.perf_counter()
            ids = client.log_predictions("outage", "1", rows if k % 2 else one)
            durations.append(time.perf_counter() - start)
            kept.append(ids)
        stats = client.stats
        # a call never waits for a connection attempt or a backoff (>= 0.1 s each)
        assert statistics.median(durations) < 0.05
        assert max(durations) < 1.0
        fits = 0  # what must fit in a 1,000-row queue that nobody drains
        for k in range(40):
            n = 100 if k % 2 else 1
            fits += n if fits + n <= 1000 else 0
        assert stats.queue_rows == fits
        assert stats.rows_dropped == 20 * 101 - fits
        server.start()
        client.flush(60)
        stats = client.stats
        client.close()
    finally:
        if server.process is None:
            server.start()  # leave the shared server running for the other tests
    assert stats.rows_sent == fits
    assert stats.rows_failed == 0
    assert count(engine, "outage", "1") == fits
    assert set(stored(engine, "outage", "1")) <= {i for ids in kept for i in ids}


def test_alert_rules_round_trip_through_the_sdk(deployment: Deployment) -> None:
    """Slack channels can be created, a rule read back can be sent back unchanged (PUT and
    PATCH keep the webhook secret and the real Slack URL), and a secret can be removed."""
    from sqlalchemy import select

    from driftline.store import AlertRule, session_factory

    slack = "https://hooks.slack.com/services/T0/B0/SLACKTOKEN"
    webhook = {"type": "webhook", "url": "https://hooks.example.com/x?key=K", "secret": "s" * 20}

    def stored(rule_id: str) -> list[dict[str, object]]:
        with session_factory(deployment.engine)() as session:
            row = session.scalar(select(AlertRule).where(AlertRule.id == rule_id))
            assert row is not None
            return list(row.config["channels"])

    with Client(deployment.url, deployment.token) as client:
        rule = client.create_alert_rule(  # was 422: slack.secret: Extra inputs are not permitted
            "sdk round trip", "drift", channels=[{"type": "slack", "url": slack}, webhook]
        )
        before = stored(rule.id)
        shown = client.alert_rule(rule.id)
        assert shown == rule
        assert "SLACKTOKEN" not in str(shown)
        assert client.replace_alert_rule(rule.id, replace(shown, enabled=False)).enabled is False
        assert client.update_alert_rule(rule.id, shown) == shown  # enabled again
        assert client.replace_alert_rule(rule.id, shown.to_dict()) == shown  # a plain dict too
        assert stored(rule.id) == before
        channels = [shown.channels[0], {**shown.channels[1], "secret": None}]
        after = client.update_alert_rule(rule.id, {"channels": channels})
        assert after.channels[1]["has_secret"] is False
        assert stored(rule.id)[0]["url"] == slack
        with pytest.raises(ApiNotFoundError):
            client.alert_rule("no-such-rule")
        client.delete_alert_rule(rule.id)
