"""The generic webhook channel: ``{"type": "driftline.alert", "event": {...}, "links": {...}}``,
HMAC-signed when the channel has a secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from driftline.alerts._channels._common import default_poster, dumps, event_headers
from driftline.alerts._registry import Notification, SignedChannelSpec, register_channel

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = ["WebhookChannel", "WebhookNotifier"]


@dataclass
class WebhookNotifier:
    """POSTs the signed generic body to a :class:`WebhookChannel`."""

    poster: HttpPoster = field(default_factory=default_poster)

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
            dumps(self.body(notification)),
            headers=event_headers(notification, "driftline.alert"),
            secret=channel.secret_value(),
            allow_private=channel.allow_private,
        )


@register_channel("webhook", notifier=WebhookNotifier)
class WebhookChannel(SignedChannelSpec):
    """A generic webhook: JSON body, HMAC-SHA256 signed when ``secret`` is set."""

    type: Literal["webhook"] = "webhook"
