"""Notifiers: a generic signed webhook, a Slack-compatible payload and a retraining hook."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from driftline.alerts._http import HttpPoster
from driftline.alerts._spec import RetrainChannel, SlackChannel, WebhookChannel

__all__ = [
    "Notification",
    "Notifier",
    "RetrainNotifier",
    "SlackNotifier",
    "WebhookNotifier",
    "default_notifiers",
]

AnyChannel = WebhookChannel | SlackChannel | RetrainChannel


@dataclass(frozen=True)
class Notification:
    """One alert event to notify: its id, status, time, payload and API links.

    ``payload`` is the event's payload (rule, condition, severity, message, values, project,
    model, version, window); ``links`` holds ``window_url``, ``predictions_url`` and
    ``alerts_url`` (absolute when the engine knows the server's public URL, else paths).
    """

    event_id: str
    status: str
    fired_at: datetime
    payload: Mapping[str, Any]
    links: Mapping[str, str | None] = field(default_factory=dict)

    def event_dict(self) -> dict[str, Any]:
        """The event as JSON-able data (the ``event`` object of the webhook body)."""
        p = self.payload
        return {
            "id": self.event_id,
            "status": self.status,
            "fired_at": self.fired_at.astimezone(UTC).isoformat(),
            "severity": p.get("severity"),
            "message": p.get("message"),
            "rule": p.get("rule"),
            "condition": p.get("condition"),
            "values": p.get("values"),
            "project": p.get("project"),
            "model": p.get("model"),
            "version": p.get("version"),
            "window": p.get("window"),
        }


class Notifier(Protocol):
    """Sends one notification to one channel; raises :class:`DeliveryError` on failure."""

    def send(self, channel: Any, notification: Notification) -> None:
        """Deliver ``notification`` to ``channel`` (or raise)."""


def _dumps(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()


def _event_headers(notification: Notification, kind: str) -> dict[str, str]:
    return {"X-Driftline-Event": notification.event_id, "X-Driftline-Event-Type": kind}


@dataclass
class WebhookNotifier:
    """Generic webhook: ``{"type": "driftline.alert", "event": {...}, "links": {...}}``,
    HMAC-signed when the channel has a secret."""

    poster: HttpPoster = field(default_factory=HttpPoster)

    @staticmethod
    def body(notification: Notification) -> dict[str, Any]:
        """The JSON body sent for ``notification``."""
        return {
            "type": "driftline.alert",
            "event": notification.event_dict(),
            "links": dict(notification.links),
        }

    def send(self, channel: WebhookChannel, notification: Notification) -> None:
        """POST the signed body to the channel's URL."""
        self.poster.post(
            channel.url,
            _dumps(self.body(notification)),
            headers=_event_headers(notification, "driftline.alert"),
            secret=channel.secret_value(),
            allow_private=channel.allow_private,
        )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SlackNotifier:
    """Slack-compatible incoming-webhook payload: ``{"text": ..., "blocks": [...]}``."""

    poster: HttpPoster = field(default_factory=HttpPoster)

    @staticmethod
    def body(notification: Notification) -> dict[str, Any]:
        """The Slack message for ``notification`` (``text`` is the notification fallback)."""
        p = notification.payload
        raw_rule = p.get("rule")
        rule: Mapping[str, Any] = raw_rule if isinstance(raw_rule, Mapping) else {}
        severity = str(p.get("severity", "warning"))
        icon = ":rotating_light:" if severity == "critical" else ":warning:"
        where = f"{p.get('project')}/{p.get('model')} v{p.get('version')}"
        message = str(p.get("message", ""))
        text = f"{icon} [{where}] {message}"
        section = (
            f"{icon} *{_slack_escape(str(rule.get('name', 'alert')))}* ({severity})\n"
            f"{_slack_escape(message)}"
        )
        context = (
            f"project *{_slack_escape(str(p.get('project')))}* · model "
            f"*{_slack_escape(str(p.get('model')))}* · version "
            f"*{_slack_escape(str(p.get('version')))}* · {_slack_escape(str(rule.get('kind')))}"
        )
        window_url = notification.links.get("window_url")
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ]
        if window_url and window_url.startswith(("http://", "https://")):
            blocks.append(
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{window_url}|window results>"}],
                }
            )
        return {"text": text, "blocks": blocks}

    def send(self, channel: SlackChannel, notification: Notification) -> None:
        """POST the Slack message to the channel's URL (not signed: Slack does not verify)."""
        self.poster.post(
            channel.url, _dumps(self.body(notification)), allow_private=channel.allow_private
        )


@dataclass
class RetrainNotifier:
    """Retraining hook: POSTs what a retraining job needs, signed like the webhook.

    Body: ``type`` (``"driftline.retrain"``), ``event_id``, ``fired_at``, ``project``,
    ``model``, ``version``, ``version_id``, ``window`` (id, key, start, end, status),
    ``trigger`` (rule, kind, condition, severity, message, values) and ``data`` (API URLs
    of the window's results and of its predictions).
    """

    poster: HttpPoster = field(default_factory=HttpPoster)

    @staticmethod
    def body(notification: Notification) -> dict[str, Any]:
        """The JSON body sent for ``notification``."""
        p = notification.payload
        raw_rule = p.get("rule")
        rule: Mapping[str, Any] = raw_rule if isinstance(raw_rule, Mapping) else {}
        return {
            "type": "driftline.retrain",
            "event_id": notification.event_id,
            "fired_at": notification.fired_at.astimezone(UTC).isoformat(),
            "project": p.get("project"),
            "model": p.get("model"),
            "version": p.get("version"),
            "version_id": p.get("version_id"),
            "window": p.get("window"),
            "trigger": {
                "rule": p.get("rule"),
                "kind": rule.get("kind"),
                "condition": p.get("condition"),
                "severity": p.get("severity"),
                "message": p.get("message"),
                "values": p.get("values"),
            },
            "data": {
                "window_url": notification.links.get("window_url"),
                "predictions_url": notification.links.get("predictions_url"),
            },
        }

    def send(self, channel: RetrainChannel, notification: Notification) -> None:
        """POST the signed retraining context to the channel's URL."""
        self.poster.post(
            channel.url,
            _dumps(self.body(notification)),
            headers=_event_headers(notification, "driftline.retrain"),
            secret=channel.secret_value(),
            allow_private=channel.allow_private,
        )


def default_notifiers(poster: HttpPoster | None = None) -> dict[str, Notifier]:
    """One notifier per channel type, sharing ``poster`` (default settings if None)."""
    shared = poster if poster is not None else HttpPoster()
    return {
        "webhook": WebhookNotifier(shared),
        "slack": SlackNotifier(shared),
        "retrain": RetrainNotifier(shared),
    }
