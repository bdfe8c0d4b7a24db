"""The channel registry: every registered channel passes the public conformance check
(a real local HTTP receiver), and the check catches channels that misbehave."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from driftline.alerts import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ChannelSpec,
    HttpPoster,
    Notification,
    SignedChannelSpec,
    channel_types,
    default_notifiers,
    get_channel_type,
    register_channel,
    sign_body,
)
from driftline.alerts._channels._common import dumps
from driftline.alerts._guard import check_url
from driftline.alerts._registry import _REGISTRY
from driftline.exceptions import DeliveryError, ParameterError
from driftline.testing import check_notifier


@pytest.mark.parametrize("name", channel_types())
def test_every_registered_channel_conforms(name: str) -> None:
    check_notifier(name)


def test_the_built_in_channels_are_registered_once_each() -> None:
    assert channel_types() == ("retrain", "slack", "webhook")
    assert sorted(default_notifiers()) == list(channel_types())
    assert get_channel_type("webhook").signed
    assert not get_channel_type("slack").signed
    with pytest.raises(ParameterError, match=r"Unknown channel type 'email'.*'webhook'"):
        get_channel_type("email")


def test_register_channel_checks_what_it_decorates() -> None:
    with pytest.raises(ParameterError, match="identifier"):
        register_channel("no spaces", notifier=lambda poster: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ParameterError, match="ChannelSpec subclasses"):
        register_channel("thing", notifier=lambda poster: None)(dict)  # type: ignore[arg-type,return-value,type-var]

    class Mislabelled(ChannelSpec):
        type: Literal["other"] = "other"

    with pytest.raises(ParameterError, match=r"must declare type: Literal\['mine'\]"):
        register_channel("mine", notifier=lambda poster: None)(Mislabelled)  # type: ignore[arg-type,return-value]
    assert "mine" not in channel_types()


# --- the check fails on channels that break the contract ----------------------------------
@dataclass
class _Poster:
    poster: HttpPoster


class QuotesTheAnswer(_Poster):
    """Sends like the built-in poster, but puts what the receiver answered into its errors
    (a read-back channel for SSRF)."""

    def send(self, channel: Any, notification: Notification) -> None:
        import httpx

        checked = check_url(channel.url, allow_private=channel.allow_private,
                            resolver=self.poster.resolver)  # fmt: skip
        body = dumps({"message": notification.payload["message"]})
        ts = int(time.time())
        headers = {"Host": checked.host_header, "Content-Type": "application/json",
                   TIMESTAMP_HEADER: str(ts),
                   SIGNATURE_HEADER: sign_body(channel.secret_value(), body, ts)}  # fmt: skip
        url = httpx.URL(checked.url).copy_with(host=checked.addresses[0])
        answer = httpx.post(url, content=body, headers=headers)
        if answer.status_code >= 300:
            raise DeliveryError(f"failed: {answer.text}", permanent=answer.status_code < 500)


class IgnoresTheGuard(_Poster):
    """Always lets private receivers through."""

    def send(self, channel: Any, notification: Notification) -> None:
        body = dumps({"message": notification.payload["message"]})
        self.poster.post(channel.url, body, secret=channel.secret_value(), allow_private=True)


class LeaksTheSecret(_Poster):
    """Sends the signing secret in the body."""

    def send(self, channel: Any, notification: Notification) -> None:
        body = dumps({"message": notification.payload["message"], "s": channel.secret_value()})
        self.poster.post(channel.url, body, secret=channel.secret_value(),
                         allow_private=channel.allow_private)  # fmt: skip


@pytest.fixture
def broken_channel() -> Iterator[Any]:
    def register(notifier: Any) -> str:
        @register_channel("broken", notifier=notifier)
        class BrokenChannel(SignedChannelSpec):
            type: Literal["broken"] = "broken"

        return "broken"

    yield register
    _REGISTRY.pop("broken", None)


@pytest.mark.parametrize(
    ("notifier", "property_"),
    [
        (QuotesTheAnswer, "errors hide credentials and the receiver's answer"),
        (IgnoresTheGuard, "the SSRF guard refuses a loopback receiver"),
        (LeaksTheSecret, "the body never carries the secret"),
    ],
)
def test_the_check_catches_a_misbehaving_channel(
    broken_channel: Any, notifier: Any, property_: str
) -> None:
    name = broken_channel(notifier)
    with pytest.raises(AssertionError, match=property_):
        check_notifier(name)


class QuotesErrors(_Poster):
    """Delivers correctly but adds the receiver's answer to its errors."""

    def send(self, channel: Any, notification: Notification) -> None:
        body = dumps({"message": notification.payload["message"]})
        try:
            self.poster.post(channel.url, body, headers={}, secret=channel.secret_value(),
                             allow_private=channel.allow_private)  # fmt: skip
        except DeliveryError as exc:
            raise DeliveryError(f"{exc}: {channel.url}", permanent=exc.permanent) from exc


def test_the_check_catches_credentials_in_errors(broken_channel: Any) -> None:
    name = broken_channel(QuotesErrors)
    with pytest.raises(AssertionError, match="errors hide credentials"):
        check_notifier(name)
