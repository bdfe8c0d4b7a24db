"""What the SDK's alert calls return: alert rules and alert events.

Frozen dataclasses with ``from_dict`` (the server's JSON) and ``to_dict()``; no httpx.
A rule's ``to_dict()`` can be sent back to the server as it is (PUT or PATCH).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftline.client._parse import iso_time, optional_time

__all__ = ["AlertEvent", "AlertRule"]


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be an object; got {value!r}")
    return dict(value)


@dataclass(frozen=True)
class AlertRule:
    """An alert rule of the project, as the server shows it.

    ``kind`` is ``drift``, ``estimated_metric``, ``realized_metric``, ``data_quality`` or
    ``volume_drop``; ``config`` its settings for that kind; ``model`` limits it to one
    model (``None``: every model). ``channels`` are the notification targets as the server
    shows them: a secret as ``has_secret``, Slack paths and query strings masked as
    ``***`` (sending them back keeps the real ones; see
    :meth:`~driftline.client.Client.replace_alert_rule`).

    >>> rule = AlertRule.from_dict({"id": "r1", "name": "drift", "kind": "drift",
    ...     "config": {"min_drifted": 1}, "model": None, "cooldown_seconds": 3600,
    ...     "enabled": True, "created_at": "2026-12-02T10:00:00Z",
    ...     "channels": [{"type": "webhook", "url": "https://h.example/x",
    ...                   "allow_private": False, "has_secret": True}]})
    >>> rule.config["min_drifted"], rule.channels[0]["has_secret"]
    (1, True)
    >>> AlertRule.from_dict(rule.to_dict()) == rule
    True
    """

    id: str
    name: str
    kind: str
    config: Mapping[str, Any]
    model: str | None
    cooldown_seconds: int
    enabled: bool
    channels: tuple[Mapping[str, Any], ...]
    created_at: datetime | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertRule:
        """Read the server's JSON."""
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            kind=str(data["kind"]),
            config=_mapping(data.get("config") or {}, "config"),
            model=_optional_str(data.get("model")),
            cooldown_seconds=int(data["cooldown_seconds"]),
            enabled=bool(data["enabled"]),
            channels=tuple(_mapping(c, "a channel") for c in data.get("channels") or ()),
            created_at=optional_time(data.get("created_at")),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it (and as it accepts it back)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "config": dict(self.config),
            "model": self.model,
            "cooldown_seconds": self.cooldown_seconds,
            "enabled": self.enabled,
            "channels": [dict(c) for c in self.channels],
            "created_at": iso_time(self.created_at),
        }


@dataclass(frozen=True)
class AlertEvent:
    """One alert of the project's history (:meth:`~driftline.client.Client.alerts`).

    ``status`` is ``"firing"`` or ``"resolved"``; ``rule_id`` the rule that fired it and
    ``rule`` the rule as it was then (``{"name", "kind", ...}``); ``model``, ``version`` and
    ``window`` (``{"key", "start", "end", ...}``) where it fired; ``message`` and
    ``condition`` why, ``values`` the numbers behind it. ``delivery_attempts``,
    ``channels_delivered`` and ``delivery_error`` say how its notifications went (receivers
    named ``scheme://host/***``).

    >>> event = AlertEvent.from_dict({"id": "e1", "rule_id": "r1", "status": "firing",
    ...     "severity": "warning", "message": "2 of 3 columns drifted", "condition": None,
    ...     "dedupe_key": "r1:v1", "model": "scorer", "version": "1",
    ...     "window": {"key": 4}, "values": None, "rule": {"name": "drift"},
    ...     "fired_at": "2026-12-02T10:00:00Z", "resolved_at": None, "notified_at": None,
    ...     "delivery_attempts": 0, "delivery_error": None, "channels_delivered": 0})
    >>> event.status, event.window["key"], event.fired_at.year
    ('firing', 4, 2026)
    >>> AlertEvent.from_dict(event.to_dict()) == event
    True
    """

    id: str
    rule_id: str
    status: str
    severity: str | None
    message: str | None
    condition: Any
    dedupe_key: str
    model: str | None
    version: str | None
    window: Mapping[str, Any] | None
    values: Any
    rule: Mapping[str, Any] | None
    fired_at: datetime | None
    resolved_at: datetime | None
    notified_at: datetime | None
    delivery_attempts: int
    delivery_error: str | None
    channels_delivered: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertEvent:
        """Read the server's JSON."""
        window, rule = data.get("window"), data.get("rule")
        return cls(
            id=str(data["id"]),
            rule_id=str(data["rule_id"]),
            status=str(data["status"]),
            severity=_optional_str(data.get("severity")),
            message=_optional_str(data.get("message")),
            condition=data.get("condition"),
            dedupe_key=str(data["dedupe_key"]),
            model=_optional_str(data.get("model")),
            version=_optional_str(data.get("version")),
            window=None if window is None else _mapping(window, "window"),
            values=data.get("values"),
            rule=None if rule is None else _mapping(rule, "rule"),
            fired_at=optional_time(data.get("fired_at")),
            resolved_at=optional_time(data.get("resolved_at")),
            notified_at=optional_time(data.get("notified_at")),
            delivery_attempts=int(data.get("delivery_attempts") or 0),
            delivery_error=_optional_str(data.get("delivery_error")),
            channels_delivered=int(data.get("channels_delivered") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "condition": self.condition,
            "dedupe_key": self.dedupe_key,
            "model": self.model,
            "version": self.version,
            "window": None if self.window is None else dict(self.window),
            "values": self.values,
            "rule": None if self.rule is None else dict(self.rule),
            "fired_at": iso_time(self.fired_at),
            "resolved_at": iso_time(self.resolved_at),
            "notified_at": iso_time(self.notified_at),
            "delivery_attempts": self.delivery_attempts,
            "delivery_error": self.delivery_error,
            "channels_delivered": self.channels_delivered,
        }
