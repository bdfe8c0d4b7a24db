"""Alert rules and events in the database: CRUD scoped by project, dedupe, cooldown, history.

Like :class:`driftline.store.Catalog`, the repository works inside the caller's session and
never commits. Call :meth:`AlertRepository.record` inside a write transaction (the engine
does: ``BEGIN IMMEDIATE`` on SQLite, a row lock on the rule on PostgreSQL), so two
processes evaluating the same window cannot both open an event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from driftline._params import Interval, Options, check, invalid
from driftline.alerts._evaluate import Firing
from driftline.alerts._registry import redact_text
from driftline.alerts._spec import RuleSpec, StoredRule
from driftline.exceptions import ParameterError
from driftline.store import AlertEvent, AlertRule, Model, ModelVersion

__all__ = ["ALERT_ACTIONS", "EVENT_STATUSES", "AlertRepository", "event_to_dict"]

_log = logging.getLogger("driftline.alerts")
#: Statuses of an alert event.
EVENT_STATUSES: Final = ("firing", "resolved")
_MAX_LIMIT = 1000
DELIVERY_KEY: Final = "_delivery"
#: What a person may do to a firing alert (recorded in the event, with who, when and why).
ALERT_ACTIONS: Final = ("acknowledge", "resolve")
ACTIONS_KEY: Final = "_actions"
_MAX_COMMENT: Final = 2000


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ParameterError(f"'now' must be a timezone-aware datetime; got {now!r}.")
    return now


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


# Earlier versions stored "HTTP <status> from <url>: <first 200 characters of the answer>".
_LEGACY_ANSWER = re.compile(
    r"(HTTP \d{3} from \S+?): .{0,200}?(?= \(after \d+ attempts?\)|; \w+ https?://|$)",
    re.DOTALL,
)


def _shown_error(text: str | None) -> str | None:
    if text is None:
        return None
    return redact_text(_LEGACY_ANSWER.sub(r"\1 (answer not shown)", text))


def event_to_dict(event: AlertEvent) -> dict[str, Any]:
    """An alert event as the API shows it (internal delivery bookkeeping left out).

    ``delivery_error`` names receivers as ``scheme://host/***`` and quotes nothing they
    answered but the status: it is stored that way, and errors recorded by older versions
    (full URLs, answer bodies) are redacted here too.
    """
    payload = {
        k: v for k, v in (event.payload or {}).items() if k not in (DELIVERY_KEY, ACTIONS_KEY)
    }
    delivery = (event.payload or {}).get(DELIVERY_KEY) or {}
    actions = list((event.payload or {}).get(ACTIONS_KEY) or [])
    acks = [a for a in actions if a.get("action") == "acknowledge"]
    return {
        "id": event.id,
        "rule_id": event.rule_id,
        "status": event.status,
        "severity": payload.get("severity"),
        "message": payload.get("message"),
        "condition": payload.get("condition"),
        "dedupe_key": event.dedupe_key,
        "model": payload.get("model"),
        "version": payload.get("version"),
        "window": payload.get("window"),
        "values": payload.get("values"),
        "rule": payload.get("rule"),
        "fired_at": _iso(event.fired_at),
        "resolved_at": _iso(event.resolved_at),
        "notified_at": _iso(event.notified_at),
        "delivery_attempts": event.delivery_attempts,
        "delivery_error": _shown_error(event.delivery_error),
        "channels_delivered": len(delivery.get("done") or []),
        "acknowledged_at": acks[0]["at"] if acks else None,
        "acknowledged_by": acks[0]["by"] if acks else None,
        "actions": actions,
    }


class AlertRepository:
    """Alert rules (create/get/list/update/delete, scoped by project) and alert events.

    >>> from driftline.store import Catalog, create_engine_from_url, migrate, session_factory
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> with session_factory(engine).begin() as session:
    ...     project = Catalog(session).create_project("p")
    ...     repo = AlertRepository(session)
    ...     rule = repo.create_rule(project.id, RuleSpec(name="drift", kind="drift", config={}))
    ...     [r.spec.name for r in repo.list_rules(project.id)]
    ['drift']
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    # rules -------------------------------------------------------------------------------
    def _model_id(self, project_id: str, name: str | None) -> str | None:
        if name is None:
            return None
        model_id = self.session.scalar(
            select(Model.id).where(Model.project_id == project_id, Model.name == name)
        )
        if model_id is None:
            raise ParameterError(
                f"No model named {name!r} in this project: create the model first, or set "
                "'model' to null to apply the rule to every model of the project."
            )
        return model_id

    def _rules(self) -> Select[AlertRule, str]:
        return select(AlertRule, Model.name).outerjoin(Model, Model.id == AlertRule.model_id)

    def create_rule(self, project_id: str, spec: RuleSpec) -> StoredRule:
        """Store ``spec`` as a new rule of ``project_id`` (its ``model`` must exist there)."""
        if not isinstance(spec, RuleSpec):
            raise ParameterError(f"'spec' must be a RuleSpec; got {type(spec).__name__}.")
        row = spec.to_row(project_id, self._model_id(project_id, spec.model))
        self.session.add(row)
        self.session.flush()
        return StoredRule.from_row(row, spec.model)

    def get_rule(self, project_id: str, rule_id: str) -> StoredRule | None:
        """The rule with this id in this project, or None (also for another project's rule)."""
        found = self.session.execute(
            self._rules().where(AlertRule.id == rule_id, AlertRule.project_id == project_id)
        ).first()
        return None if found is None else StoredRule.from_row(found[0], found[1])

    def list_rules(self, project_id: str, *, enabled: bool | None = None) -> list[StoredRule]:
        """The project's rules, oldest first (only enabled or disabled ones if ``enabled``)."""
        query = self._rules().where(AlertRule.project_id == project_id)
        if enabled is not None:
            query = query.where(AlertRule.enabled.is_(enabled))
        rows = self.session.execute(query.order_by(AlertRule.created_at, AlertRule.id)).all()
        return [StoredRule.from_row(row, name) for row, name in rows]

    def update_rule(
        self, project_id: str, rule_id: str, changes: RuleSpec | Mapping[str, Any]
    ) -> StoredRule | None:
        """Replace the rule with a full ``RuleSpec`` or apply a partial mapping (PATCH).

        See :meth:`RuleSpec.patched` for how secrets are kept. Returns None if the rule
        does not exist in this project.
        """
        row = self.session.scalar(
            select(AlertRule).where(AlertRule.id == rule_id, AlertRule.project_id == project_id)
        )
        if row is None:
            return None
        current_model = None
        if row.model_id is not None:
            current_model = self.session.scalar(select(Model.name).where(Model.id == row.model_id))
        if isinstance(changes, RuleSpec):
            spec = changes
        elif isinstance(changes, Mapping):
            spec = RuleSpec.from_row(row, current_model).patched(changes)
        else:
            raise ParameterError(
                f"'changes' must be a RuleSpec or a mapping; got {type(changes).__name__}."
            )
        spec.apply_to_row(row, self._model_id(project_id, spec.model))
        self.session.flush()
        return StoredRule.from_row(row, spec.model)

    def delete_rule(self, project_id: str, rule_id: str) -> bool:
        """Delete the rule (and its events); False if it does not exist in this project."""
        row = self.session.scalar(
            select(AlertRule).where(AlertRule.id == rule_id, AlertRule.project_id == project_id)
        )
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def rules_for_version(self, version_id: str, *, enabled_only: bool = True) -> list[StoredRule]:
        """The rules that apply to a model version: its project's rules for its model or for
        every model, in a stable order (so concurrent evaluators lock rules in one order)."""
        version = self.session.execute(
            select(Model.project_id, Model.id)
            .join(ModelVersion, ModelVersion.model_id == Model.id)
            .where(ModelVersion.id == version_id)
        ).first()
        if version is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        project_id, model_id = version
        query = self._rules().where(
            AlertRule.project_id == project_id,
            (AlertRule.model_id.is_(None)) | (AlertRule.model_id == model_id),
        )
        if enabled_only:
            query = query.where(AlertRule.enabled.is_(True))
        rows = self.session.execute(query.order_by(AlertRule.id)).all()
        rules = []
        for row, name in rows:
            try:
                rules.append(StoredRule.from_row(row, name))
            except ValidationError as exc:  # one broken row must not stop the others
                _log.error("alert rule %s is invalid and is skipped: %s", row.id, exc)
        return rules

    # events ------------------------------------------------------------------------------
    def record(
        self, firing: Firing, *, window_id: str | None = None, now: datetime | None = None
    ) -> AlertEvent | None:
        """Open an event for ``firing`` unless it is deduplicated or cooling down.

        No new event when an event with the same dedupe key is still open (``firing``), or
        when the latest one was resolved less than the rule's ``cooldown_seconds`` ago.
        Returns the new event, or None.
        """
        moment = _now(now)
        rule = self.session.execute(
            select(AlertRule.id, AlertRule.cooldown_seconds)
            .where(AlertRule.id == firing.rule_id)
            .with_for_update()
        ).first()
        if rule is None:
            raise ParameterError(f"No alert rule with id {firing.rule_id!r}.")
        same = select(AlertEvent).where(
            AlertEvent.rule_id == firing.rule_id, AlertEvent.dedupe_key == firing.dedupe_key
        )
        if self.session.scalar(same.where(AlertEvent.status == "firing").limit(1)) is not None:
            return None
        last_resolved = self.session.scalar(
            select(AlertEvent.resolved_at)
            .where(
                AlertEvent.rule_id == firing.rule_id,
                AlertEvent.dedupe_key == firing.dedupe_key,
                AlertEvent.resolved_at.is_not(None),
            )
            .order_by(AlertEvent.resolved_at.desc())
            .limit(1)
        )
        if last_resolved is not None and moment < last_resolved + timedelta(
            seconds=int(rule.cooldown_seconds)
        ):
            return None
        event = AlertEvent(
            rule_id=firing.rule_id,
            window_id=window_id,
            model_version_id=firing.version_id or None,
            status="firing",
            dedupe_key=firing.dedupe_key,
            payload=dict(firing.payload),
            fired_at=moment,
            delivery_attempts=0,
        )
        self.session.add(event)
        self.session.flush()
        return event

    def resolve_cleared(
        self,
        rule_id: str,
        version_id: str,
        *,
        keep: Iterable[str] = (),
        window_key: int | None = None,
        now: datetime | None = None,
    ) -> list[AlertEvent]:
        """Resolve the open events of ``rule_id`` on ``version_id`` whose condition cleared.

        Events whose dedupe key is in ``keep`` (still firing) stay open. With
        ``window_key``, an event opened on a later window than the one just evaluated stays
        open (re-evaluating an old window must not resolve a newer alert).
        """
        moment = _now(now)
        kept = set(keep)
        open_events = self.session.scalars(
            select(AlertEvent).where(
                AlertEvent.rule_id == rule_id,
                AlertEvent.model_version_id == version_id,
                AlertEvent.status == "firing",
            )
        ).all()
        resolved = []
        for event in open_events:
            if event.dedupe_key in kept:
                continue
            window = (event.payload or {}).get("window") or {}
            opened_on = window.get("key") if isinstance(window, Mapping) else None
            if window_key is not None and isinstance(opened_on, int) and window_key < opened_on:
                continue
            event.status = "resolved"
            event.resolved_at = moment
            resolved.append(event)
        if resolved:
            self.session.flush()
        return resolved

    def get_event(self, project_id: str, event_id: str) -> AlertEvent | None:
        """The event with this id in this project, or None."""
        return self.session.scalar(
            select(AlertEvent)
            .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
            .where(AlertEvent.id == event_id, AlertRule.project_id == project_id)
        )

    def act(
        self,
        project_id: str,
        event_id: str,
        action: str,
        *,
        by: str,
        comment: str = "",
        now: datetime | None = None,
    ) -> AlertEvent | None:
        """Acknowledge or resolve a firing alert, recording who, when and the comment.

        ``action`` is ``"acknowledge"`` (the alert stays open: someone is on it) or
        ``"resolve"`` (closed by a person; the rule's cooldown then applies as after an
        automatic resolution). Every action is kept in the event, oldest first, and shown by
        :func:`event_to_dict` as ``actions``. Returns None when the event is not in this
        project; raises :class:`~driftline.exceptions.ParameterError` for an unknown
        action, a comment over 2,000 characters, or an event already resolved.
        """
        if action not in ALERT_ACTIONS:
            raise ParameterError(
                f"The 'action' parameter must be one of {list(ALERT_ACTIONS)}; got {action!r}."
            )
        if not isinstance(comment, str) or len(comment) > _MAX_COMMENT or "\x00" in comment:
            raise ParameterError(
                f"The comment must be text of at most {_MAX_COMMENT} characters without NUL "
                "bytes; shorten it."
            )
        moment = _now(now)
        event = self.get_event(project_id, event_id)
        if event is None:
            return None
        if event.status != "firing":
            raise ParameterError(
                f"Alert {event_id!r} is already resolved; only a firing alert can be "
                f"{'acknowledged' if action == 'acknowledge' else 'resolved'}."
            )
        payload = dict(event.payload or {})
        entry = {"action": action, "by": by, "at": _iso(moment), "comment": comment.strip()}
        payload[ACTIONS_KEY] = [*(payload.get(ACTIONS_KEY) or []), entry]
        event.payload = payload  # a new dict: the JSON column sees the change
        if action == "resolve":
            event.status = "resolved"
            event.resolved_at = moment
        self.session.flush()
        return event

    def history(
        self,
        project_id: str,
        *,
        model: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AlertEvent]:
        """The project's alert events, newest first.

        ``model`` (a model name), ``status`` (``"firing"`` or ``"resolved"``) and ``since``
        (events fired at or after it, timezone-aware) narrow the list; ``limit`` is 1–1000.
        :func:`event_to_dict` renders an event for the API.
        """
        check("AlertRepository.history", "status", status, Options(*EVENT_STATUSES), None)
        check("AlertRepository.history", "limit", limit, Interval("int", 1, _MAX_LIMIT))
        if since is not None and since.tzinfo is None:
            raise invalid(
                "AlertRepository.history", "since", since, "a timezone-aware datetime or None"
            )
        query = (
            select(AlertEvent)
            .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
            .where(AlertRule.project_id == project_id)
        )
        if model is not None:
            query = (
                query.join(ModelVersion, ModelVersion.id == AlertEvent.model_version_id)
                .join(Model, Model.id == ModelVersion.model_id)
                .where(Model.name == model, Model.project_id == project_id)
            )
        if status is not None:
            query = query.where(AlertEvent.status == status)
        if since is not None:
            query = query.where(AlertEvent.fired_at >= since)
        query = query.order_by(AlertEvent.fired_at.desc(), AlertEvent.id.desc()).limit(limit)
        return list(self.session.scalars(query).all())
