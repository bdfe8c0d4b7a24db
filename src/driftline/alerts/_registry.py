"""Notification channels register like gate checks: a channel is a config class and a notifier.

A channel type is one entry: a :class:`ChannelSpec` subclass (what a rule stores: the URL,
``allow_private``, a secret...) and a notifier factory (what sends a
:class:`Notification` to it). :func:`register_channel` adds one; rules, the engine, the
server and :func:`driftline.testing.check_notifier` read the registry, so a new channel is
one module (see ``alerts/_channels/``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from driftline.alerts._guard import check_url_syntax
from driftline.exceptions import ParameterError, UnsafeURLError

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = [
    "ChannelSpec",
    "ChannelType",
    "Notification",
    "Notifier",
    "SignedChannelSpec",
    "channel_types",
    "get_channel_type",
    "mask_url",
    "parse_channel",
    "redact_text",
    "redact_url",
    "register_channel",
]

_MIN_SECRET = 16
_URL = re.compile(r"""https?://[^\s'"<>]+""", re.IGNORECASE)


def mask_url(url: str, *, whole_path: bool = False) -> str:
    """``url`` with its query (and, with ``whole_path``, its path) replaced by ``***``.

    >>> mask_url("https://hooks.example.com/a?key=s3cret")
    'https://hooks.example.com/a?***'
    >>> mask_url("https://hooks.slack.com/services/T0/B0/XYZ", whole_path=True)
    'https://hooks.slack.com/***'
    """
    parts = urlsplit(url)
    path = "/***" if whole_path and parts.path not in ("", "/") else parts.path
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def redact_url(url: str) -> str:
    """``scheme://host[:port]/***``: how error texts name a receiver (no path, no query).

    >>> redact_url("https://hooks.example.com/x/y?key=s3cret")
    'https://hooks.example.com/***'
    """
    parts = urlsplit(url)
    hidden = parts.path not in ("", "/") or parts.query
    return urlunsplit((parts.scheme, parts.netloc, "/***" if hidden else parts.path, "", ""))


def redact_text(text: str, credentials: Iterable[str] = ()) -> str:
    """``text`` with each of ``credentials`` replaced by ``***`` and every URL redacted.

    What delivery errors go through before they are stored (and again when the API shows
    them, for events recorded by older versions).

    >>> redact_text("HTTP 500 from https://h.example/x?key=s3cret", ["s3cret"])
    'HTTP 500 from https://h.example/***'
    """
    for secret in sorted((c for c in credentials if c), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _URL.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    raw = match.group(0)
    url = raw.rstrip(".,;:)'")
    return redact_url(url) + raw[len(url) :]


class ChannelSpec(BaseModel):
    """Base class of a notification channel's config: a validated, frozen pydantic model.

    Subclasses declare ``type: Literal["<name>"]`` and their own fields and are registered
    with :func:`register_channel`. The URL is checked when the rule is saved (scheme, no
    credentials, no literal private address or ``localhost`` unless ``allow_private``) and
    again, with DNS, at delivery. ``url_is_credential`` (a class attribute) masks the whole
    path where the API shows the channel (Slack webhook paths are credentials).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    url_is_credential: ClassVar[bool] = False

    type: str
    url: str
    allow_private: bool = False

    @model_validator(mode="before")
    @classmethod
    def _check_url(cls, data: Any) -> Any:
        # Checked before field validation so that 'allow_private' is known whatever the
        # order of the keys; DNS is not consulted here (it is at delivery).
        if isinstance(data, Mapping) and isinstance(data.get("url"), str):
            allow = data.get("allow_private", False)
            try:
                url = check_url_syntax(data["url"], allow_private=allow is True)
            except UnsafeURLError as exc:
                raise ValueError(str(exc)) from None
            data = {**data, "url": url}
        return data

    def fingerprint(self) -> str:
        """A short stable id of this channel (type and URL), safe to show."""
        return hashlib.sha256(f"{self.type}|{self.url}".encode()).hexdigest()[:16]

    def masked_url(self) -> str:
        """The URL as the API shows it: query masked (and the path, if a credential)."""
        return mask_url(self.url, whole_path=self.url_is_credential)

    def label(self) -> str:
        """How delivery errors name this channel: ``<type> <scheme://host/***>``."""
        return f"{self.type} {redact_url(self.url)}"

    def secret_value(self) -> str | None:
        """The signing secret, or None (channels that are not signed have none)."""
        return None

    def public_dict(self) -> dict[str, Any]:
        """The channel as the API shows it: no secret, URL masked."""
        out = self.model_dump(mode="json")
        out["url"] = self.masked_url()
        return out

    def storage_dict(self) -> dict[str, Any]:
        """The channel with its secret, for the database."""
        return self.model_dump(mode="json")


class SignedChannelSpec(ChannelSpec):
    """A channel whose requests are HMAC-signed when ``secret`` (16+ characters) is set.

    The API shows ``has_secret`` instead of the secret.
    """

    secret: SecretStr | None = None

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_SECRET:
            raise ValueError(f"'secret' must be at least {_MIN_SECRET} characters long")
        return value

    def secret_value(self) -> str | None:
        """The signing secret, or None."""
        return None if self.secret is None else self.secret.get_secret_value()

    def public_dict(self) -> dict[str, Any]:
        """The channel without its secret (``has_secret`` instead), URL masked."""
        out = {k: v for k, v in super().public_dict().items() if k != "secret"}
        out["has_secret"] = self.secret is not None
        return out

    def storage_dict(self) -> dict[str, Any]:
        """The channel with its secret in clear (HMAC needs it), for the database."""
        return {**super().storage_dict(), "secret": self.secret_value()}


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
            **{k: p.get(k) for k in ("severity", "message", "rule", "condition", "values")},
            **{k: p.get(k) for k in ("project", "model", "version", "window")},
        }


class Notifier(Protocol):
    """Sends one notification to one channel; raises
    :class:`~driftline.exceptions.DeliveryError` on failure (its message names the channel
    by :meth:`ChannelSpec.label`, never by its full URL)."""

    def send(self, channel: Any, notification: Notification) -> None:
        """Deliver ``notification`` to ``channel`` (or raise)."""


#: Makes a channel type's notifier; receives the engine's shared :class:`HttpPoster`.
NotifierFactory = Callable[["HttpPoster"], Notifier]


@dataclass(frozen=True)
class ChannelType:
    """One registered channel type: its ``name``, config class ``spec`` and ``notifier``
    factory (called with the shared :class:`~driftline.alerts.HttpPoster`)."""

    name: str
    spec: type[ChannelSpec]
    notifier: NotifierFactory
    description: str = ""

    @property
    def signed(self) -> bool:
        """Whether the channel carries a signing secret."""
        return issubclass(self.spec, SignedChannelSpec)


_REGISTRY: dict[str, ChannelType] = {}
C = TypeVar("C", bound=type[ChannelSpec])


def register_channel(name: str, *, notifier: NotifierFactory) -> Callable[[C], C]:
    """Class decorator registering a :class:`ChannelSpec` subclass as channel type ``name``.

    The class must declare ``type: Literal["<name>"]``; ``notifier(poster)`` makes the
    object that sends to it. Registering a name again replaces the earlier entry (so a
    plugin can override a built-in channel).

    >>> from typing import Literal
    >>> class Printer:
    ...     def __init__(self, poster): pass
    ...     def send(self, channel, notification): print(notification.event_id)
    >>> @register_channel("printer", notifier=Printer)
    ... class PrinterChannel(ChannelSpec):
    ...     type: Literal["printer"] = "printer"
    >>> "printer" in channel_types()
    True
    >>> _ = _REGISTRY.pop("printer")
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(f"A channel type must be an identifier string; got {name!r}.")

    def decorator(cls: C) -> C:
        if not (isinstance(cls, type) and issubclass(cls, ChannelSpec)):
            raise ParameterError(
                f"register_channel({name!r}) decorates ChannelSpec subclasses; got {cls!r}."
            )
        declared = cls.__pydantic_fields__["type"].default
        if declared != name:
            raise ParameterError(
                f"register_channel({name!r}): {cls.__name__} must declare "
                f"type: Literal[{name!r}] = {name!r}; its default is {declared!r}."
            )
        doc = (cls.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ChannelType(name, cls, notifier, doc[0] if doc else "")
        return cls

    return decorator


def _load_builtins() -> None:
    import driftline.alerts._channels  # noqa: F401  (registers webhook, slack, retrain)


def channel_types() -> tuple[str, ...]:
    """The registered channel types, sorted.

    >>> channel_types()
    ('retrain', 'slack', 'webhook')
    """
    _load_builtins()
    return tuple(sorted(_REGISTRY))


def get_channel_type(name: str) -> ChannelType:
    """The registry entry of channel type ``name`` (``ParameterError`` listing the known ones).

    >>> get_channel_type("slack").spec.__name__
    'SlackChannel'
    """
    known = channel_types()
    if name not in _REGISTRY:
        raise ParameterError(f"Unknown channel type {name!r}; the known types are {list(known)}.")
    return _REGISTRY[name]


def parse_channel(data: Any) -> ChannelSpec:
    """A channel config from a mapping with a ``type`` key (or a :class:`ChannelSpec`).

    Raises pydantic's ``ValidationError`` for an invalid config and ``ValueError`` for an
    unknown type, so that it can serve as a pydantic validator.
    """
    if isinstance(data, ChannelSpec):
        return data
    if not isinstance(data, Mapping):
        raise ValueError(f"a channel must be an object with a 'type'; got {type(data).__name__}")
    kind = data.get("type")
    known = channel_types()
    if not isinstance(kind, str) or kind not in _REGISTRY:
        raise ValueError(f"'type' must be one of {list(known)}; got {kind!r}")
    return _REGISTRY[kind].spec.model_validate(dict(data))
