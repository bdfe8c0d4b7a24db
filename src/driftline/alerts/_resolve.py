"""Channels sent back as the API shows them: masked URLs and ``has_secret`` resolved.

The API never shows a channel's secret (``has_secret`` instead) nor a credential part of
its URL (a query string, a Slack webhook path: ``***``). A client that reads a rule and
sends it back (``GET`` then ``PUT``/``PATCH``) must not lose them, and must be able to
remove a secret. For each channel of a request:

- its URL, when it is the stored URL or its masked form, of a stored channel of the same
  type, means that channel (its real URL is kept); a masked URL that matches no stored
  channel is refused (the real URL cannot be guessed);
- ``"secret": "..."`` sets the secret, ``"secret": null`` removes it;
- without ``secret``, ``"has_secret": false`` removes it, and ``"has_secret": true`` or no
  ``has_secret`` keeps the matched channel's secret (``has_secret: true`` with nothing to
  keep is refused);
- an unsigned channel type (Slack) accepts ``"secret": null`` and ``"has_secret": false``
  (what a generic client may send), and refuses a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from driftline.alerts._registry import ChannelSpec, SignedChannelSpec, channel_types
from driftline.alerts._registry import get_channel_type as _get
from driftline.exceptions import ParameterError

__all__ = ["is_masked", "resolve_channels"]


def is_masked(url: object) -> bool:
    """Whether ``url`` is a masked URL as the API shows it (``/***`` path or ``***`` query).

    >>> is_masked("https://hooks.slack.com/***"), is_masked("https://h.example/x?***")
    (True, True)
    >>> is_masked("https://h.example/x?key=1")
    False
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.path == "/***" or parts.query == "***"


def _fail(index: int, field: str, message: str) -> ParameterError:
    return ParameterError(f"Invalid alert rule: channels.{index}.{field}: {message}.")


def _match(
    channel: Mapping[str, Any], stored: Sequence[ChannelSpec], used: set[int]
) -> ChannelSpec | None:
    """The stored channel meant: same type and the same URL, else the same masked URL (in
    order: two Slack channels both shown as ``https://hooks.slack.com/***`` map back to
    the first and the second); each stored channel is matched once."""
    url = channel.get("url")
    for masked in (False, True):
        for i, old in enumerate(stored):
            shown = old.masked_url() if masked else old.url
            if i not in used and channel.get("type") == old.type and url == shown:
                used.add(i)
                return old
    return None


def _resolve_one(index: int, raw: Any, stored: Sequence[ChannelSpec], used: set[int]) -> Any:
    if not isinstance(raw, Mapping):
        return raw  # the spec's validation names the problem
    channel = dict(raw)
    kind = channel.get("type")
    if kind not in channel_types():
        return channel
    signed = issubclass(_get(kind).spec, SignedChannelSpec)
    has_secret = channel.pop("has_secret", None)
    if has_secret is not None and not isinstance(has_secret, bool):
        raise _fail(index, "has_secret", f"must be true or false; got {has_secret!r}")
    old = _match(channel, stored, used)
    if old is not None:
        channel["url"] = old.url
    elif is_masked(channel.get("url")):
        raise _fail(
            index,
            "url",
            f"{channel['url']!r} is masked as the API shows it and matches no {kind} channel "
            "of this rule; send the full URL",
        )
    if not signed:
        if has_secret:
            raise _fail(index, "has_secret", f"{kind} channels are not signed (no secret)")
        if "secret" in channel and channel["secret"] is None:
            del channel["secret"]
        elif "secret" in channel:
            raise _fail(index, "secret", f"{kind} channels are not signed; remove 'secret'")
        return channel
    if "secret" in channel:
        if channel["secret"] is None:
            del channel["secret"]
        return channel
    kept = None if old is None else old.secret_value()
    if has_secret is True and kept is None:
        raise _fail(
            index,
            "has_secret",
            "is true but this rule has no secret for this channel (a new channel, or a "
            "changed URL); send 'secret'",
        )
    if has_secret is not False and kept is not None:
        channel["secret"] = kept
    return channel


def resolve_channels(channels: Any, stored: Sequence[ChannelSpec] = ()) -> Any:
    """``channels`` from a request with masked URLs and ``has_secret`` resolved against the
    ``stored`` channels of the rule (none for a new rule). Raises
    :class:`~driftline.exceptions.ParameterError` naming the channel and field.

    >>> from driftline.alerts import WebhookChannel
    >>> old = WebhookChannel(url="https://h.example/x?key=1", secret="s" * 16)
    >>> shown = old.public_dict()
    >>> shown
    {'type': 'webhook', 'url': 'https://h.example/x?***', 'allow_private': False, 'has_secret': True}
    >>> resolve_channels([shown], [old])[0]["url"]
    'https://h.example/x?key=1'
    >>> "secret" in resolve_channels([{**shown, "has_secret": False}], [old])[0]
    False
    """
    if not isinstance(channels, list):
        return channels
    used: set[int] = set()
    return [_resolve_one(i, c, stored, used) for i, c in enumerate(channels)]
