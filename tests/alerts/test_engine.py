"""AlertEngine on SQLite and PostgreSQL: evaluate stored windows, deliver to a real HTTP
receiver, retry and give up, and deliver each event once from two concurrent callers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from driftline.alerts import (
    AlertEngine,
    AlertRepository,
    HttpPoster,
    RuleSpec,
    default_notifiers,
    event_to_dict,
)
from driftline.store import AlertEvent, AlertRule, Catalog, session_factory

from .conftest import FakeClock, Receiver, Setup, estimated

SECRET = "s3cr3t-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_pending_events_from_other_tests(engine: Engine) -> None:
    """deliver_pending works on every pending event of the database: the tests share one
    database per backend, so events other tests left undelivered are set aside first."""
    with session_factory(engine).begin() as session:
        session.execute(
            update(AlertEvent)
            .where(AlertEvent.notified_at.is_(None))
            .values(delivery_error="gave up: set aside by the test suite")
        )


def _engine(engine: Engine, clock: FakeClock, **kw: Any) -> AlertEngine:
    poster = HttpPoster(sleep=lambda s: None, max_attempts=kw.pop("http_attempts", 1))
    return AlertEngine(
        session_factory(engine), clock=clock, notifiers=default_notifiers(poster), **kw
    )


def _rule(setup: Setup, receiver: Receiver | None = None, **kw: Any) -> str:
    data: dict[str, Any] = {
        "name": "auc",
        "kind": "estimated_metric",
        "config": {"metric": "roc_auc"},
        "model": "churn",
        "cooldown_seconds": 3600,
    }
    if receiver is not None:
        data["channels"] = [
            {
                "type": "webhook",
                "url": f"{receiver.url}/hook",
                "secret": SECRET,
                "allow_private": True,
            }
        ]
    data.update(kw)
    with session_factory(setup.engine).begin() as session:
        return (
            AlertRepository(session).create_rule(setup.project_id, RuleSpec.model_validate(data)).id
        )


def _events(engine: Engine, rule_id: str) -> list[AlertEvent]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(AlertEvent)
                .where(AlertEvent.rule_id == rule_id)
                .order_by(AlertEvent.fired_at)
            ).all()
        )


def test_evaluate_window_opens_dedupes_resolves_and_cools_down(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    rule_id = _rule(setup)
    alerts = _engine(engine, clock)
    w1 = setup.add_window(0, 50, results={"estimated": estimated("roc_auc", 0.71)})
    (event,) = alerts.evaluate_window(setup.version_id, w1.id)
    assert event.status == "firing"
    assert event.payload["message"] == (
        "estimated roc_auc 0.71 below its band [0.74, 0.80] in window 2026-11-20 10:00"
    )
    assert event.payload["window"]["id"] == w1.id
    assert (event.payload["project"], event.payload["model"], event.payload["version"]) == (
        setup.project, "churn", "3",
    )  # fmt: skip
    assert event.model_version_id == setup.version_id
    assert event.window_id == w1.id

    clock.advance(3600)
    w2 = setup.add_window(1, 50, results={"estimated": estimated("roc_auc", 0.69)})
    assert alerts.evaluate_window(setup.version_id, w2.id) == []  # same alert, still open
    assert alerts.evaluate_window(setup.version_id, w1.id) == []  # re-evaluation is idempotent

    clock.advance(3600)
    w3 = setup.add_window(2, 50, results={"estimated": estimated("roc_auc", 0.77)})
    assert alerts.evaluate_window(setup.version_id, w3.id) == []
    (resolved,) = _events(engine, rule_id)
    assert resolved.status == "resolved"
    assert resolved.resolved_at == clock.now

    clock.advance(1800)  # within the cooldown
    w4 = setup.add_window(3, 50, results={"estimated": estimated("roc_auc", 0.60)})
    assert alerts.evaluate_window(setup.version_id, w4.id) == []
    clock.advance(1800)  # cooldown over
    assert len(alerts.evaluate_window(setup.version_id, w4.id)) == 1
    assert [e.status for e in _events(engine, rule_id)] == ["resolved", "firing"]


def test_unknown_outcomes_neither_fire_nor_resolve(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    rule_id = _rule(setup)
    alerts = _engine(engine, clock)
    w1 = setup.add_window(0, 50, results={"estimated": estimated("roc_auc", 0.5)})
    assert len(alerts.evaluate_window(setup.version_id, w1.id)) == 1
    w2 = setup.add_window(1, 50)  # no estimation for this window
    assert alerts.evaluate_window(setup.version_id, w2.id) == []
    assert [e.status for e in _events(engine, rule_id)] == ["firing"]


def test_rules_apply_to_their_model_and_only_when_enabled(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    with session_factory(engine).begin() as session:
        Catalog(session).create_model(setup.project_id, "other")
    for_other = _rule(setup, model="other")
    disabled = _rule(setup, enabled=False)
    project_wide = _rule(setup, model=None)
    w = setup.add_window(0, 20, results={"estimated": estimated("roc_auc", 0.5)})
    events = _engine(engine, clock).evaluate_window(setup.version_id, w.id)
    assert [e.rule_id for e in events] == [project_wide]
    assert _events(engine, for_other) == []
    assert _events(engine, disabled) == []


def test_volume_drop_uses_previous_closed_windows(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    rule_id = _rule(setup, kind="volume_drop", config={"fraction": 0.5, "min_baseline": 3})
    alerts = _engine(engine, clock)
    for hour, rows in enumerate([40, 60, 50]):
        w = setup.add_window(hour, rows)
        assert alerts.evaluate_window(setup.version_id, w.id) == []  # baseline too short
    quiet = setup.add_window(3, 24)  # < 0.5 × median(40, 60, 50) = 25
    (event,) = alerts.evaluate_window(setup.version_id, quiet.id)
    assert event.payload["values"]["baseline_median"] == 50.0
    assert event.payload["values"]["rows"] == 24
    open_window = setup.add_window(4, 1, closed=False)
    assert alerts.evaluate_window(setup.version_id, open_window.id) == []  # still open
    normal = setup.add_window(5, 45)
    assert alerts.evaluate_window(setup.version_id, normal.id) == []
    assert [e.status for e in _events(engine, rule_id)] == ["resolved"]


def test_deliver_pending_sends_signed_webhooks_and_records_it(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    rule_id = _rule(setup, receiver)
    retrain = _rule(setup, receiver, name="retrain", channels=[
        {"type": "retrain", "url": f"{receiver.url}/retrain", "secret": SECRET, "allow_private": True}
    ])  # fmt: skip
    alerts = _engine(engine, clock, public_url="https://driftline.example/")
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    assert len(alerts.evaluate_window(setup.version_id, w.id)) == 2
    stats = alerts.deliver_pending()
    assert stats.to_dict() == {"claimed": 2, "delivered": 2, "failed": 0, "gave_up": 0}
    assert alerts.deliver_pending().claimed == 0  # nothing left
    by_path = {r.path: r for r in receiver.requests}
    assert set(by_path) == {"/hook", "/retrain"}
    hook = by_path["/hook"].json()
    (event,) = _events(engine, rule_id)
    assert hook["event"]["id"] == event.id
    assert event.notified_at == clock.now
    assert event.delivery_attempts == 1
    assert event.delivery_error is None
    body = by_path["/retrain"].json()
    assert body["project"] == setup.project
    assert body["model"] == "churn"
    assert body["version"] == "3"
    assert body["window"]["key"] == w.window_key
    assert w.start_at is not None
    assert body["window"]["start"] == w.start_at.isoformat()
    assert body["data"]["window_url"] == (
        f"https://driftline.example/api/v1/projects/{setup.project}/models/churn/versions/3/"
        f"windows/{w.window_key}"
    )
    assert body["trigger"]["values"]["value"] == 0.7
    public = event_to_dict(_events(engine, retrain)[0])
    assert public["channels_delivered"] == 1
    assert "_delivery" not in repr(public)


def test_failed_delivery_is_retried_later_then_given_up(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.default = (503, {}, b"down")
    rule_id = _rule(setup, receiver)
    alerts = _engine(engine, clock, max_attempts=3, retry_base_seconds=30)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    alerts.evaluate_window(setup.version_id, w.id)

    assert alerts.deliver_pending().failed == 1
    (event,) = _events(engine, rule_id)
    assert event.delivery_attempts == 1
    assert event.notified_at is None
    assert "HTTP 503" in (event.delivery_error or "")
    assert alerts.deliver_pending().claimed == 0  # waits 30 s before the next round
    clock.advance(29)
    assert alerts.deliver_pending().claimed == 0
    clock.advance(1)
    assert alerts.deliver_pending().failed == 1
    clock.advance(119)
    assert alerts.deliver_pending().claimed == 0  # second wait: 30 × 4 = 120 s
    clock.advance(1)
    assert alerts.deliver_pending().gave_up == 1
    (event,) = _events(engine, rule_id)
    assert event.delivery_attempts == 3
    assert (event.delivery_error or "").startswith("gave up after 3 attempts: webhook")
    clock.advance(10**6)
    assert alerts.deliver_pending().claimed == 0
    assert len(receiver.requests) == 3


def test_a_4xx_gives_up_at_once_and_retry_after_delays_the_next_round(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    rule_id = _rule(setup, receiver)
    alerts = _engine(engine, clock)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    alerts.evaluate_window(setup.version_id, w.id)
    receiver.answer((429, {"Retry-After": "300"}))
    assert alerts.deliver_pending().failed == 1
    clock.advance(299)
    assert alerts.deliver_pending().claimed == 0  # Retry-After (300 s) beats the 30 s backoff
    clock.advance(1)
    receiver.answer(400)
    assert alerts.deliver_pending().gave_up == 1
    (event,) = _events(engine, rule_id)
    assert "HTTP 400" in (event.delivery_error or "")
    assert event.delivery_attempts == 2


def test_a_crashed_claim_is_retried_after_its_lease(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    rule_id = _rule(setup, receiver)
    alerts = _engine(engine, clock, lease_seconds=60)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    alerts.evaluate_window(setup.version_id, w.id)
    assert len(alerts._claim(10, clock.now)) == 1  # a process claims the event and dies
    assert alerts.deliver_pending().claimed == 0
    clock.advance(61)
    assert alerts.deliver_pending().delivered == 1
    (event,) = _events(engine, rule_id)
    assert event.delivery_attempts == 2
    assert event.notified_at is not None
    assert len(receiver.requests) == 1


def test_concurrent_deliver_pending_delivers_each_event_once(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.delay = 0.005
    n_rules = 24
    for i in range(n_rules):
        _rule(setup, receiver, name=f"auc-{i}")
    alerts = _engine(engine, clock)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    assert len(alerts.evaluate_window(setup.version_id, w.id)) == n_rules

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        other = _engine(engine, clock)  # its own engine object, as in another process
        try:
            barrier.wait()
            while other.deliver_pending(max_events=3).claimed:
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    counts = Counter(r.headers["X-Driftline-Event"] for r in receiver.requests)
    assert len(counts) == n_rules
    assert set(counts.values()) == {1}
    with session_factory(engine)() as session:
        rows = session.scalars(select(AlertEvent).where(AlertEvent.id.in_(list(counts)))).all()
    assert all(r.notified_at is not None and r.delivery_attempts == 1 for r in rows)


def test_events_of_a_rule_without_channels_are_marked_done(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    rule_id = _rule(setup)
    alerts = _engine(engine, clock)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    alerts.evaluate_window(setup.version_id, w.id)
    assert alerts.deliver_pending().delivered == 1
    assert _events(engine, rule_id)[0].notified_at is not None


def test_due_events_behind_a_page_of_waiting_ones_are_found(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    # 60 events fired at the same instant; the first 55 (by id) wait for a later round.
    # A claim scans pages of 50 rows: the due ones must be reached on the second page.
    for i in range(60):
        _rule(setup, receiver, name=f"r{i}")
    alerts = _engine(engine, clock)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    events = sorted(alerts.evaluate_window(setup.version_id, w.id), key=lambda e: e.id)
    assert len(events) == 60
    later = (clock.now + timedelta(hours=1)).isoformat()
    with session_factory(engine).begin() as session:
        for event in events[:55]:
            session.execute(
                update(AlertEvent)
                .where(AlertEvent.id == event.id)
                .values(payload={**event.payload, "_delivery": {"not_before": later}})
            )
    assert alerts.deliver_pending(max_events=1).delivered == 1
    (request,) = receiver.requests
    assert request.headers["X-Driftline-Event"] == events[55].id
    assert alerts.deliver_pending(max_events=10).delivered == 4


def test_concurrent_evaluation_of_one_window_opens_one_event(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    rule_ids = [_rule(setup, name=f"auc-{i}") for i in range(5)]
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    barrier = threading.Barrier(4)
    opened: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            opened.append(len(_engine(engine, clock).evaluate_window(setup.version_id, w.id)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(opened) == len(rule_ids)
    assert all(len(_events(engine, r)) == 1 for r in rule_ids)


def test_a_broken_stored_rule_does_not_stop_the_others(
    engine: Engine, setup: Setup, clock: FakeClock
) -> None:
    good = _rule(setup)
    with session_factory(engine).begin() as session:
        session.add(
            AlertRule(project_id=setup.project_id, name="broken", kind="estimated_metric",
                      config={"metric": "no-such-metric"}, enabled=True, cooldown_seconds=0)
        )  # fmt: skip
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    events = _engine(engine, clock).evaluate_window(setup.version_id, w.id)
    assert [e.rule_id for e in events] == [good]


def test_a_retry_only_resends_to_the_channels_that_failed(
    engine: Engine, setup: Setup, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.routes["/fail"] = (500, {}, b"down")
    channels = [
        {"type": "webhook", "url": f"{receiver.url}/ok", "allow_private": True},
        {"type": "slack", "url": f"{receiver.url}/fail", "allow_private": True},
    ]
    rule_id = _rule(setup, channels=channels)
    alerts = _engine(engine, clock)
    w = setup.add_window(0, 30, results={"estimated": estimated("roc_auc", 0.7)})
    alerts.evaluate_window(setup.version_id, w.id)
    assert alerts.deliver_pending().failed == 1
    assert [r.path for r in receiver.requests] == ["/ok", "/fail"]
    (event,) = _events(engine, rule_id)
    assert (event.delivery_error or "").startswith("slack http://127.0.0.1:")
    del receiver.routes["/fail"]
    clock.advance(30)
    assert alerts.deliver_pending().delivered == 1
    assert [r.path for r in receiver.requests] == ["/ok", "/fail", "/fail"]
    (event,) = _events(engine, rule_id)
    assert event.notified_at == clock.now
    assert event.delivery_error is None
    assert event_to_dict(event)["channels_delivered"] == 2
