"""The alert engine: evaluate a window's rules into events, and deliver pending events.

Delivery is safe with several processes: events are *claimed* in a short write transaction
(PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite serialises writers with
``BEGIN IMMEDIATE``) by a conditional ``UPDATE`` that bumps ``delivery_attempts`` only if
it still has the value read (compare-and-swap) and sets a lease; the HTTP calls happen
outside any transaction; the outcome is written back under the same condition. A claim
whose process died is retried when its lease runs out. Delivery is at-least-once:
receivers deduplicate on the event id (``X-Driftline-Event`` header / ``event.id``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, cast
from urllib.parse import quote, urlsplit

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import CursorResult, Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from driftline._params import Constraints, InstanceOf, Interval, check, validate
from driftline.alerts._evaluate import EvaluationContext, check_rule
from driftline.alerts._notifiers import default_notifiers
from driftline.alerts._registry import ChannelSpec, Notification, Notifier, redact_text
from driftline.alerts._repository import DELIVERY_KEY, AlertRepository
from driftline.alerts._spec import Channel, VolumeDropConfig
from driftline.exceptions import DeliveryError, ParameterError
from driftline.store import (
    AlertEvent,
    AlertRule,
    Model,
    ModelVersion,
    Project,
    Window,
    write_options,
)

__all__ = ["GAVE_UP", "AlertEngine", "DeliveryStats"]

_log = logging.getLogger("driftline.alerts")
#: Prefix of ``delivery_error`` once delivery was abandoned (such events are not retried).
GAVE_UP: Final = "gave up"
_ERROR_CHARS = 1000
_CHANNELS: TypeAdapter[list[Channel]] = TypeAdapter(list[Channel])


@dataclass
class DeliveryStats:
    """What one :meth:`AlertEngine.deliver_pending` call did.

    ``claimed`` events were attempted; ``delivered`` reached every channel (or every
    channel that did not refuse them for good); ``failed`` will be retried later;
    ``gave_up`` will not be retried.
    """

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0

    def to_dict(self) -> dict[str, int]:
        """As a plain dict."""
        return asdict(self)


@dataclass
class _Claim:
    event_id: str
    attempts: int
    status: str
    fired_at: datetime
    payload: dict[str, Any]
    state: dict[str, Any]
    channels: list[ChannelSpec]
    channel_error: str | None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _credentials(channel: ChannelSpec) -> list[str]:
    """The strings a delivery error must never show: the URL, its path and query, the secret."""
    parts = urlsplit(channel.url)
    found = [channel.url, parts.path if len(parts.path) > 1 else "", parts.query]
    secret = channel.secret_value()
    return [s for s in (*found, secret or "") if s]


def _begin_write(session: Session) -> None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    session.connection(execution_options=write_options(engine))


class AlertEngine:
    """Evaluates rules on windows and delivers the resulting events.

    ``session_factory`` makes sessions on the store's engine
    (:func:`driftline.store.session_factory`); ``clock`` returns the current aware UTC
    time; ``notifiers`` maps a channel type (``"webhook"``, ``"slack"``, ``"retrain"``) to
    a notifier (default: :func:`default_notifiers`). ``public_url`` is the server's base
    URL used for the links in notifications (relative paths when None). An event is tried
    at most ``max_attempts`` times (one attempt = one round over its channels, each with
    its own HTTP retries); after a failed round the next one waits
    ``retry_base_seconds · 4^(attempt-1)`` (at most ``retry_max_seconds``, at least the
    receiver's ``Retry-After``). A claim is leased for ``lease_seconds``.
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "clock": [
            InstanceOf((cast(type, Callable),), "a callable returning an aware datetime"),
            None,
        ],
        "notifiers": [InstanceOf((Mapping,), "a mapping {channel type: notifier}"), None],
        "public_url": [InstanceOf((str,), "a URL"), None],
        "max_attempts": [Interval("int", 1, None)],
        "retry_base_seconds": [Interval("real", 0, None, closed="neither")],
        "retry_max_seconds": [Interval("real", 0, None, closed="neither")],
        "lease_seconds": [Interval("real", 0, None, closed="neither")],
    }

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        clock: Callable[[], datetime] | None = None,
        notifiers: Mapping[str, Notifier] | None = None,
        public_url: str | None = None,
        max_attempts: int = 5,
        retry_base_seconds: float = 30.0,
        retry_max_seconds: float = 3600.0,
        lease_seconds: float = 900.0,
    ) -> None:
        validate(self, locals())
        self.session_factory = session_factory
        self.clock = clock if clock is not None else (lambda: datetime.now(UTC))
        self.notifiers: dict[str, Notifier] = dict(
            notifiers if notifiers is not None else default_notifiers()
        )
        self.public_url = None if public_url is None else public_url.rstrip("/")
        self.max_attempts = max_attempts
        self.retry_base_seconds = float(retry_base_seconds)
        self.retry_max_seconds = float(retry_max_seconds)
        self.lease_seconds = float(lease_seconds)

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ParameterError("The engine's clock must return timezone-aware datetimes.")
        return now

    # evaluation ----------------------------------------------------------------------------
    def evaluate_window(self, version_id: str, window_id: str) -> list[AlertEvent]:
        """Evaluate every enabled rule of the version's project and model on the window.

        Opens events for rules that fire (unless deduplicated or cooling down) and
        resolves open events of rules that are now clear. A rule that cannot be judged on
        this window (missing part, too few labels, open window for ``volume_drop``...)
        changes nothing. Returns the events opened, in one committed transaction.
        """
        now = self._now()
        with self.session_factory() as session:
            _begin_write(session)
            found = session.execute(
                select(ModelVersion, Model, Project)
                .join(Model, Model.id == ModelVersion.model_id)
                .join(Project, Project.id == Model.project_id)
                .where(ModelVersion.id == version_id)
            ).first()
            if found is None:
                raise ParameterError(f"No model version with id {version_id!r}.")
            version, model, project = found
            window = session.get(Window, window_id)
            if window is None or window.model_version_id != version_id:
                raise ParameterError(
                    f"No window with id {window_id!r} for model version {version_id!r}."
                )
            if window.results is None:
                return []
            repo = AlertRepository(session)
            rules = repo.rules_for_version(version_id)
            if not rules:
                return []
            depth = max(
                (
                    r.spec.config.baseline_windows
                    for r in rules
                    if isinstance(r.spec.config, VolumeDropConfig)
                ),
                default=0,
            )
            previous: list[int] = []
            if depth:
                previous = [
                    int(v)
                    for v in session.scalars(
                        select(Window.row_count)
                        .where(
                            Window.model_version_id == version_id,
                            Window.status == "closed",
                            Window.window_key < window.window_key,
                        )
                        .order_by(Window.window_key.desc())
                        .limit(depth)
                    ).all()
                ]
            context = EvaluationContext(
                version_id=version_id,
                project=project.name,
                model=model.name,
                version=version.version,
                window_id=window.id,
                window_key=window.window_key,
                window_start=window.start_at,
                window_end=window.end_at,
                previous_volumes=previous,
            )
            created: list[AlertEvent] = []
            for rule in rules:
                outcome = check_rule(rule, window.results, context)
                if outcome.status == "unknown":
                    continue
                keep: set[str] = set()
                if outcome.firing is not None:
                    keep.add(outcome.firing.dedupe_key)
                    event = repo.record(outcome.firing, window_id=window.id, now=now)
                    if event is not None:
                        created.append(event)
                repo.resolve_cleared(
                    rule.id, version_id, keep=keep, window_key=window.window_key, now=now
                )
            session.commit()
        return created

    # delivery ------------------------------------------------------------------------------
    def links(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        """API links of an event's window: results, predictions and the project's alerts."""
        base = self.public_url or ""
        project, model, version = (payload.get(k) for k in ("project", "model", "version"))
        raw_window = payload.get("window")
        window: Mapping[str, Any] = raw_window if isinstance(raw_window, Mapping) else {}
        if not project:
            return {"window_url": None, "predictions_url": None, "alerts_url": None}
        alerts = f"{base}/api/v1/projects/{quote(str(project), safe='')}/alerts"
        if not model or not version or window.get("key") is None:
            return {"window_url": None, "predictions_url": None, "alerts_url": alerts}
        window_url = (
            f"{base}/api/v1/projects/{quote(str(project), safe='')}/models/"
            f"{quote(str(model), safe='')}/versions/{quote(str(version), safe='')}/windows/"
            f"{int(window['key'])}"
        )
        return {
            "window_url": window_url,
            "predictions_url": f"{window_url}/predictions",
            "alerts_url": alerts,
        }

    def _claim(self, max_events: int, now: datetime) -> list[_Claim]:
        claims: list[_Claim] = []
        page = max(4 * max_events, 50)
        after: tuple[datetime, str] | None = None  # keyset pagination over (fired_at, id)
        with self.session_factory() as session:
            _begin_write(session)
            while len(claims) < max_events:
                query = (
                    select(AlertEvent, AlertRule.config)
                    .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
                    .where(
                        AlertEvent.notified_at.is_(None),
                        AlertEvent.delivery_attempts < self.max_attempts,
                        or_(
                            AlertEvent.delivery_error.is_(None),
                            ~AlertEvent.delivery_error.startswith(GAVE_UP),
                        ),
                    )
                )
                if after is not None:
                    query = query.where(
                        or_(
                            AlertEvent.fired_at > after[0],
                            and_(AlertEvent.fired_at == after[0], AlertEvent.id > after[1]),
                        )
                    )
                rows = session.execute(
                    query.order_by(AlertEvent.fired_at, AlertEvent.id)
                    .limit(page)
                    .with_for_update(of=AlertEvent, skip_locked=True)
                ).all()
                if rows:
                    after = (rows[-1][0].fired_at, rows[-1][0].id)
                for event, config in rows:
                    state = dict((event.payload or {}).get(DELIVERY_KEY) or {})
                    not_before = _parse_time(state.get("not_before"))
                    if not_before is not None and not_before > now:
                        continue  # leased by another process, or waiting for its next round
                    state["claim"] = secrets.token_hex(8)
                    state["not_before"] = _iso(now + timedelta(seconds=self.lease_seconds))
                    payload = {**(event.payload or {}), DELIVERY_KEY: state}
                    done = cast(
                        CursorResult[Any],
                        session.execute(
                            update(AlertEvent)
                            .where(
                                AlertEvent.id == event.id,
                                AlertEvent.delivery_attempts == event.delivery_attempts,
                                AlertEvent.notified_at.is_(None),
                            )
                            .values(delivery_attempts=event.delivery_attempts + 1, payload=payload)
                            .execution_options(synchronize_session=False)
                        ),
                    )
                    if done.rowcount != 1:
                        continue
                    channels: list[ChannelSpec] = []
                    channel_error = None
                    try:
                        channels = _CHANNELS.validate_python((config or {}).get("channels", []))
                    except ValidationError as exc:
                        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
                        channel_error = f"the rule's channels are invalid ({where}); edit the rule"
                    claims.append(
                        _Claim(
                            event_id=event.id,
                            attempts=event.delivery_attempts + 1,
                            status=event.status,
                            fired_at=event.fired_at,
                            payload={k: v for k, v in payload.items() if k != DELIVERY_KEY},
                            state=state,
                            channels=channels,
                            channel_error=channel_error,
                        )
                    )
                    if len(claims) >= max_events:
                        break
                if len(rows) < page:
                    break
            session.commit()
        return claims

    def _deliver(self, claim: _Claim) -> tuple[list[str], dict[str, str], dict[str, str], float]:
        """Send to the channels not done yet: (done, transient errors, permanent errors,
        longest Retry-After)."""
        done = list(claim.state.get("done") or [])
        refused = dict(claim.state.get("refused") or {})
        errors: dict[str, str] = {}
        retry_after = 0.0
        if claim.channel_error is not None:
            refused["rule"] = claim.channel_error
            return done, errors, refused, retry_after
        notification = Notification(
            event_id=claim.event_id,
            status=claim.status,
            fired_at=claim.fired_at,
            payload=claim.payload,
            links=self.links(claim.payload),
        )
        for channel in claim.channels:
            key = channel.fingerprint()
            if key in done or key in refused:
                continue
            label = channel.label()
            notifier = self.notifiers.get(channel.type)
            if notifier is None:
                refused[key] = f"{label}: no notifier for channel type {channel.type!r}"
                continue
            try:
                notifier.send(channel, notification)
            except DeliveryError as exc:
                text = redact_text(f"{label}: {exc}", _credentials(channel))
                (refused if exc.permanent else errors)[key] = text
                if exc.retry_after is not None:
                    retry_after = max(retry_after, exc.retry_after)
            except Exception as exc:  # a faulty custom notifier must not stop the loop
                _log.exception("alert notifier for %s failed", label)
                errors[key] = f"{label}: {type(exc).__name__} in the notifier (see the log)"
            else:
                done.append(key)
        return done, errors, refused, retry_after

    def deliver_pending(self, max_events: int = 100) -> DeliveryStats:
        """Send up to ``max_events`` undelivered events to their rules' channels.

        Safe to call from several threads or processes at once: each event is claimed by
        one caller. Records ``delivery_attempts``, ``delivery_error`` and ``notified_at``.
        """
        check(self, "max_events", max_events, Interval("int", 1, None))
        stats = DeliveryStats()
        claims = self._claim(max_events, self._now())
        stats.claimed = len(claims)
        for claim in claims:
            done, errors, refused, retry_after = self._deliver(claim)
            now = self._now()
            state = {**claim.state, "done": done, "refused": refused, "claim": None}
            values: dict[str, Any] = {}
            if not errors and (done or not refused):
                values["notified_at"] = now
                values["delivery_error"] = (
                    ("partially delivered: " + "; ".join(refused.values())) if refused else None
                )
                state["not_before"] = None
                stats.delivered += 1
            elif not errors or claim.attempts >= self.max_attempts:
                reasons = "; ".join({**refused, **errors}.values())
                values["delivery_error"] = (
                    f"{GAVE_UP} after {claim.attempts} attempt"
                    f"{'s' if claim.attempts != 1 else ''}: {reasons}"
                )
                state["not_before"] = None
                stats.gave_up += 1
            else:
                wait = min(
                    self.retry_max_seconds, self.retry_base_seconds * 4 ** (claim.attempts - 1)
                )
                wait = max(wait, retry_after)
                values["delivery_error"] = "; ".join({**refused, **errors}.values())
                state["not_before"] = _iso(now + timedelta(seconds=wait))
                stats.failed += 1
            if values.get("delivery_error"):
                values["delivery_error"] = values["delivery_error"][:_ERROR_CHARS]
            values["payload"] = {**claim.payload, DELIVERY_KEY: state}
            with self.session_factory() as session:
                _begin_write(session)
                written = cast(
                    CursorResult[Any],
                    session.execute(
                        update(AlertEvent)
                        .where(
                            AlertEvent.id == claim.event_id,
                            AlertEvent.delivery_attempts == claim.attempts,
                        )
                        .values(**values)
                        .execution_options(synchronize_session=False)
                    ),
                )
                written_rows = written.rowcount
                session.commit()
            if written_rows != 1:
                _log.warning(
                    "alert event %s was claimed again while being delivered (lease of %.0f s "
                    "too short?); its outcome here was discarded",
                    claim.event_id,
                    self.lease_seconds,
                )
        return stats
