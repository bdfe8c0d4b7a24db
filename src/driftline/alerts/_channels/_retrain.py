"""The retraining hook: what a retraining job needs, signed like the webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any, Literal

from driftline.alerts._channels._common import default_poster, dumps, event_headers
from driftline.alerts._registry import Notification, SignedChannelSpec, register_channel

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = ["RetrainChannel", "RetrainNotifier"]


@dataclass
class RetrainNotifier:
    """POSTs the retraining context to a :class:`RetrainChannel`.

    Body: ``type`` (``"driftline.retrain"``), ``event_id``, ``fired_at``, ``project``,
    ``model``, ``version``, ``version_id``, ``window`` (id, key, start, end, status),
    ``trigger`` (rule, kind, condition, severity, message, values) and ``data`` (API URLs
    of the window's results and of its predictions).
    """

    poster: HttpPoster = field(default_factory=default_poster)

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
            **{k: p.get(k) for k in ("project", "model", "version", "version_id", "window")},
            "trigger": {
                "rule": p.get("rule"),
                "kind": rule.get("kind"),
                **{k: p.get(k) for k in ("condition", "severity", "message", "values")},
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
            dumps(self.body(notification)),
            headers=event_headers(notification, "driftline.retrain"),
            secret=channel.secret_value(),
            allow_private=channel.allow_private,
        )


@register_channel("retrain", notifier=RetrainNotifier)
class RetrainChannel(SignedChannelSpec):
    """A retraining hook: receives the context a retraining job needs, signed like a webhook."""

    type: Literal["retrain"] = "retrain"
