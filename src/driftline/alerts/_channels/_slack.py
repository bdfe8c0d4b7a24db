"""The Slack-compatible channel: an incoming-webhook message (not signed: Slack does not
verify signatures, and its webhook URL is itself the credential)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from driftline.alerts._channels._common import default_poster, dumps
from driftline.alerts._registry import ChannelSpec, Notification, register_channel

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = ["SlackChannel", "SlackNotifier"]


def _escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class SlackNotifier:
    """POSTs ``{"text": ..., "blocks": [...]}`` to a :class:`SlackChannel`."""

    poster: HttpPoster = field(default_factory=default_poster)

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
        section = f"{icon} *{_escape(rule.get('name', 'alert'))}* ({severity})\n{_escape(message)}"
        context = (
            f"project *{_escape(p.get('project'))}* · model *{_escape(p.get('model'))}* · "
            f"version *{_escape(p.get('version'))}* · {_escape(rule.get('kind'))}"
        )
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ]
        window_url = notification.links.get("window_url")
        if window_url and window_url.startswith(("http://", "https://")):
            link = {"type": "mrkdwn", "text": f"<{window_url}|window results>"}
            blocks.append({"type": "context", "elements": [link]})
        return {"text": f"{icon} [{where}] {message}", "blocks": blocks}

    def send(self, channel: SlackChannel, notification: Notification) -> None:
        """POST the Slack message to the channel's URL."""
        self.poster.post(
            channel.url, dumps(self.body(notification)), allow_private=channel.allow_private
        )


@register_channel("slack", notifier=SlackNotifier)
class SlackChannel(ChannelSpec):
    """A Slack-compatible incoming webhook (``{"text": ..., "blocks": [...]}``)."""

    url_is_credential: ClassVar[bool] = True
    type: Literal["slack"] = "slack"
