"""Delivery over real HTTP (a local threading server): signatures, retries, backoff,
Retry-After, no retry on 4xx, no redirects, timeouts, and the three payload shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from driftline.alerts import (
    HttpPoster,
    Notification,
    RetrainChannel,
    SlackChannel,
    WebhookChannel,
    verify_signature,
)
from driftline.alerts._channels._retrain import RetrainNotifier
from driftline.alerts._channels._slack import SlackNotifier
from driftline.alerts._channels._webhook import WebhookNotifier
from driftline.exceptions import DeliveryError

from .conftest import Receiver, Sleeps

SECRET = "whsec-0123456789abcdef"


def _poster(record_sleep: Callable[[float], None], **kw: object) -> HttpPoster:
    # rand=1.0 puts the jitter factor at its top (1.0 × the exponential delay)
    options: dict[str, object] = {"sleep": record_sleep, "rand": lambda: 1.0, **kw}
    return HttpPoster(**options)  # type: ignore[arg-type]


def _notification() -> Notification:
    payload = {
        "rule": {"id": "r1", "name": "auc below band", "kind": "estimated_metric"},
        "condition": "estimated_metric:roc_auc",
        "severity": "warning",
        "message": "estimated roc_auc 0.71 below its band [0.74, 0.80] in window 2026-11-20 13:00",
        "values": {"metric": "roc_auc", "value": 0.71, "band_lower": 0.74, "band_upper": 0.8},
        "project": "fraud",
        "model": "scorer",
        "version": "3",
        "version_id": "v-1",
        "window": {
            "id": "w-1",
            "key": 1795179600000000,
            "start": "2026-11-20T13:00:00+00:00",
            "end": "2026-11-20T14:00:00+00:00",
            "status": "closed",
        },
    }
    links = {
        "window_url": "https://dl.example/api/v1/projects/fraud/models/scorer/versions/3/windows/1795179600000000",
        "predictions_url": "https://dl.example/api/v1/projects/fraud/models/scorer/versions/3/windows/1795179600000000/predictions",
        "alerts_url": "https://dl.example/api/v1/projects/fraud/alerts",
    }
    return Notification(
        "evt-1", "firing", datetime(2026, 11, 20, 14, 1, tzinfo=UTC), payload, links
    )


def test_webhook_signature_verifies_with_hmac(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    channel = WebhookChannel(url=f"{receiver.url}/hook", secret=SECRET, allow_private=True)
    WebhookNotifier(_poster(record_sleep)).send(channel, _notification())
    (req,) = receiver.requests
    ts = req.headers["X-Driftline-Timestamp"]
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Driftline-Signature"] == f"sha256={expected}"
    assert abs(int(ts) - time.time()) < 60
    assert verify_signature(SECRET, req.body, ts, req.headers["X-Driftline-Signature"])
    assert not verify_signature(
        "another-secret-xxxx", req.body, ts, req.headers["X-Driftline-Signature"]
    )
    body = req.json()
    assert body["type"] == "driftline.alert"
    assert body["event"]["id"] == "evt-1"
    assert body["event"]["message"].startswith("estimated roc_auc 0.71 below its band")
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-Driftline-Event"] == "evt-1"


def test_signature_covers_the_timestamp(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    channel = WebhookChannel(url=f"{receiver.url}/hook", secret=SECRET, allow_private=True)
    WebhookNotifier(_poster(record_sleep)).send(channel, _notification())
    (req,) = receiver.requests
    ts = int(req.headers["X-Driftline-Timestamp"])
    sig = req.headers["X-Driftline-Signature"]
    assert not verify_signature(SECRET, req.body, str(ts + 1), sig)  # replayed with a new time
    assert not verify_signature(SECRET, req.body, str(ts), sig, now=ts + 3600)  # too old


def test_no_secret_means_no_signature(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    channel = WebhookChannel(url=f"{receiver.url}/hook", allow_private=True)
    WebhookNotifier(_poster(record_sleep)).send(channel, _notification())
    assert "X-Driftline-Signature" not in receiver.requests[0].headers


def test_retries_5xx_with_exponential_backoff(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer(500, 502, 503)
    poster = _poster(record_sleep, backoff_seconds=0.5, max_attempts=4)
    response = poster.post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert response.status_code == 200
    assert len(receiver.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_jitter_stays_within_half_to_full_delay(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer(500, 500)
    poster = _poster(record_sleep, backoff_seconds=1.0, rand=lambda: 0.0)
    poster.post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert sleeps == [0.5, 1.0]  # jitter factor at its bottom: half the delay


def test_each_retry_is_signed_afresh(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer(500)
    ticks = iter([1_800_000_000.0, 1_800_000_007.0, 1_800_000_007.0])
    poster = _poster(record_sleep, clock=lambda: next(ticks))
    poster.post(f"{receiver.url}/x", b'{"a":1}', secret=SECRET, allow_private=True)
    first, second = receiver.requests
    assert first.headers["X-Driftline-Timestamp"] == "1800000000"
    assert second.headers["X-Driftline-Timestamp"] == "1800000007"
    for req in (first, second):
        ts = req.headers["X-Driftline-Timestamp"]
        mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + req.body, hashlib.sha256).hexdigest()
        assert req.headers["X-Driftline-Signature"] == f"sha256={mac}"


def test_429_honours_retry_after_seconds(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer((429, {"Retry-After": "7"}), (503, {"Retry-After": "3"}))
    _poster(record_sleep).post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert sleeps == [7.0, 3.0]
    assert len(receiver.requests) == 3


def test_retry_after_as_http_date(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer((429, {"Retry-After": "Fri, 15 Jan 2027 08:00:12 GMT"}))
    when = datetime(2027, 1, 15, 8, 0, 12, tzinfo=UTC).timestamp()
    _poster(record_sleep, clock=lambda: when - 12.0).post(
        f"{receiver.url}/x", b"{}", allow_private=True
    )
    assert sleeps == [12.0]


def test_a_long_retry_after_ends_the_attempt_and_is_reported(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer((429, {"Retry-After": "600"}))
    with pytest.raises(DeliveryError) as info:
        _poster(record_sleep, max_retry_after_seconds=60).post(
            f"{receiver.url}/x", b"{}", allow_private=True
        )
    assert info.value.retry_after == 600.0
    assert not info.value.permanent
    assert sleeps == []
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_no_retry_on_other_4xx(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None], status: int
) -> None:
    receiver.answer(status)
    with pytest.raises(DeliveryError, match=f"HTTP {status}") as info:
        _poster(record_sleep).post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert info.value.permanent
    assert len(receiver.requests) == 1
    assert sleeps == []


def test_gives_up_after_max_attempts(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.default = (500, {}, b"boom")
    with pytest.raises(DeliveryError, match=r"HTTP 500 from .* \(after 3 attempts\)") as info:
        _poster(record_sleep, max_attempts=3).post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert not info.value.permanent
    assert "boom" not in str(info.value)  # the receiver's body is never quoted
    assert len(receiver.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_redirects_are_not_followed(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    receiver.answer((302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with pytest.raises(DeliveryError, match="redirects are not followed") as info:
        _poster(record_sleep).post(f"{receiver.url}/x", b"{}", allow_private=True)
    assert info.value.permanent
    assert "169.254" not in str(info.value)  # nor the Location it answered
    assert len(receiver.requests) == 1


def test_connection_errors_are_retried(
    sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError, match="ConnectError") as info:
        _poster(record_sleep, max_attempts=3).post(
            f"http://127.0.0.1:{port}/x", b"{}", allow_private=True
        )
    assert not info.value.permanent
    assert sleeps == [0.5, 1.0]


def test_timeouts_are_retried(
    receiver: Receiver, sleeps: Sleeps, record_sleep: Callable[[float], None]
) -> None:
    receiver.delay = 0.5
    with pytest.raises(DeliveryError, match="ReadTimeout"):
        _poster(record_sleep, max_attempts=2, timeout_seconds=0.1).post(
            f"{receiver.url}/x", b"{}", allow_private=True
        )
    assert len(receiver.requests) == 2
    assert sleeps == [0.5]


def test_slack_payload(receiver: Receiver, record_sleep: Callable[[float], None]) -> None:
    channel = SlackChannel(url=f"{receiver.url}/services/T0/B0/xyz", allow_private=True)
    SlackNotifier(_poster(record_sleep)).send(channel, _notification())
    body = receiver.requests[0].json()
    assert set(body) == {"text", "blocks"}
    assert "estimated roc_auc 0.71 below its band [0.74, 0.80]" in body["text"]
    assert "[fraud/scorer v3]" in body["text"]
    assert body["blocks"][0]["type"] == "section"
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "*auc below band*" in body["blocks"][0]["text"]["text"]
    assert any("window results" in json.dumps(b) for b in body["blocks"])


def test_retrain_hook_payload_is_signed_and_complete(
    receiver: Receiver, record_sleep: Callable[[float], None]
) -> None:
    channel = RetrainChannel(url=f"{receiver.url}/retrain", secret=SECRET, allow_private=True)
    RetrainNotifier(_poster(record_sleep)).send(channel, _notification())
    (req,) = receiver.requests
    ts = req.headers["X-Driftline-Timestamp"]
    mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Driftline-Signature"] == f"sha256={mac}"
    body = req.json()
    assert body["type"] == "driftline.retrain"
    assert (body["project"], body["model"], body["version"]) == ("fraud", "scorer", "3")
    assert body["window"]["key"] == 1795179600000000
    assert body["window"]["start"] == "2026-11-20T13:00:00+00:00"
    assert body["window"]["end"] == "2026-11-20T14:00:00+00:00"
    assert body["trigger"]["kind"] == "estimated_metric"
    assert body["trigger"]["values"]["value"] == 0.71
    assert body["data"]["window_url"].endswith("/versions/3/windows/1795179600000000")
    assert body["data"]["predictions_url"].endswith("/windows/1795179600000000/predictions")
