"""The governance events the audit log records, and how one event becomes a hashed record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, NamedTuple

from driftline.audit._canonical import canonical_json
from driftline.exceptions import ParameterError

__all__ = ["EVENT_TYPES", "Event", "check_actor", "make_record"]

#: Every event type the log accepts, and what it records (one table, read by the docs).
EVENT_TYPES: Final[Mapping[str, str]] = {
    "project.created": "a project was created",
    "token.created": "an API token was created (its id and role, never its secret)",
    "token.revoked": "an API token was revoked",
    "model.created": "a model was created",
    "version.registered": "a model version was registered",
    "reference.attached": "reference data or a reference profile was set on a version (digest)",
    "artifact.uploaded": "a model artifact was stored (its sha256)",
    "gate.result_attached": "a gate report was attached to a version",
    "approval.requested": "an approval was requested",
    "approval.granted": "an approval was granted",
    "approval.denied": "an approval was denied",
    "alias.moved": "an alias was moved to another version",
    "policy.changed": "a gate or promotion policy was changed",
    "alert_rule.created": "an alert rule was created",
    "alert_rule.changed": "an alert rule was changed",
    "alert_rule.deleted": "an alert rule was deleted",
    "alert.acknowledged": "an alert was acknowledged",
}
RECORD_VERSION: Final = 1
_ACTOR: Final = re.compile(r"^(token|user|subject|service|system):[A-Za-z0-9._-]{1,100}$")
_MAX_RECORD: Final = 64 * 1024


class Event(NamedTuple):
    """One event to append (see :meth:`driftline.audit.AuditLog.append`)."""

    event_type: str
    payload: Mapping[str, Any]
    project: str | None = None
    actor: str | None = None


def check_actor(actor: object) -> None:
    """Refuse an actor that is not a reference such as ``token:<id>`` or ``subject:<id>``."""
    if actor is None:
        return
    if not isinstance(actor, str) or not _ACTOR.match(actor):
        raise ParameterError(
            f"The 'actor' parameter must be a reference 'token:<id>', 'user:<id>', "
            f"'subject:<id>', 'service:<name>' or 'system:<name>' (letters, digits, '.', '_', "
            f"'-'); got {actor!r}. Names and e-mails are personal data and are never hashed "
            "into the log: register a person with AuditLog.subject(name=..., email=...) and "
            "pass the reference it returns."
        )


def check_event(event: Event) -> None:
    """Refuse an unknown event type, a bad project id or actor, or a payload that is no dict."""
    if event.event_type not in EVENT_TYPES:
        raise ParameterError(
            f"The 'event_type' parameter must be one of {sorted(EVENT_TYPES)}; got "
            f"{event.event_type!r}. A new kind of event is added to "
            "driftline.audit.EVENT_TYPES first."
        )
    if not isinstance(event.payload, Mapping):
        raise ParameterError(
            f"The 'payload' parameter must be a dict of JSON values; got "
            f"{type(event.payload).__name__}."
        )
    project = event.project
    if project is not None and (
        not isinstance(project, str) or not project or len(project) > 36 or "\x00" in project
    ):
        raise ParameterError(
            f"The 'project' parameter must be a project id (at most 36 characters) or None; "
            f"got {project!r}."
        )
    check_actor(event.actor)


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_record(seq: int, event: Event, when: datetime) -> bytes:
    """The canonical JSON bytes of event ``seq``: what its leaf hash covers."""
    record = canonical_json(
        {
            "v": RECORD_VERSION,
            "seq": seq,
            "type": event.event_type,
            "project": event.project,
            "actor": event.actor,
            "time": _time(when),
            "payload": event.payload,
        }
    )
    if len(record) > _MAX_RECORD:
        raise ParameterError(
            f"The audit record of a {event.event_type!r} event is {len(record)} bytes; the "
            f"limit is {_MAX_RECORD}. Log a digest (sha256) of large content, not the content."
        )
    return record
