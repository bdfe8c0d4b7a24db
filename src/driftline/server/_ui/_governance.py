"""The data of the dashboard's governance pages: a project's audit entries with the log's
verification status (cached briefly, since verify recomputes the whole tree), and each
model's aliases, their history and the lineage of the version ``production`` points at.

Every read is filtered by the session's project exactly as the API routes filter it
(``AuditEntry.project_id``; the registry's models of the project)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline.audit import EVENT_TYPES, AuditLog, VerifyReport
from driftline.exceptions import DriftlineError
from driftline.registry import ModelRef, lineage_of, move_record
from driftline.report import format_date, format_number
from driftline.store import AuditEntry, Model, RegistryRepository

__all__ = [
    "AUDIT_PAGE",
    "VERIFY_TTL",
    "AuditRow",
    "Verification",
    "VerifyCache",
    "audit_rows",
    "lineage_models",
    "verification",
]

AUDIT_PAGE: Final = 50
#: How long a verification result is shown before the log is verified again (seconds).
VERIFY_TTL: Final = 60.0
PRODUCTION: Final = "production"
_MAX_PROBLEMS: Final = 20
_MAX_MOVES: Final = 100

_PROBLEM_WORDS: Final = {
    "edited": "an entry was changed after it was written",
    "missing": "entries were deleted",
    "inserted": "an entry was inserted",
    "reordered": "entries were reordered",
    "truncated": "entries were deleted from the end",
    "extra": "the log holds entries no signed tree head covers",
    "rollback": "a tree head was rolled back",
    "root": "a signed tree head does not match the entries",
    "signature": "a tree head's signature does not verify",
    "untrusted_key": "a tree head is signed by a key that is not trusted",
    "node": "a stored tree node is wrong",
    "checkpoint": "the log does not match a saved checkpoint",
}
_KIND_WORDS: Final = {
    "dataset": "Data set",
    "run": "Training run",
    "model_version": "Model version",
    "gate_report": "Gate report",
    "approval": "Approval",
    "alias_move": "Alias move",
    "window": "Monitored windows",
}
_CHAIN: Final = tuple(_KIND_WORDS)
_FACT_WORDS: Final = {
    "pii": "personal data",
    "source_uri": "source",
    "time": "recorded",
    "moved_at": "moved",
    "until": "until",
    "previous": "previous version",
    "first": "first window",
    "last": "last window",
}
_TIMES: Final = frozenset({"time", "moved_at", "until", "first", "last"})


def _fact(key: str, value: Any) -> tuple[str, str]:
    label = _FACT_WORDS.get(key, key.replace("_", " "))
    if isinstance(value, bool):
        return label, "yes" if value else "no"
    if key in _TIMES:
        return label, format_date(value, time=True) + " UTC"
    if isinstance(value, int | float):
        return label, format_number(value)
    return label, str(value)


def event_words(event_type: str) -> str:
    """The event type in words (``EVENT_TYPES``), starting with a capital."""
    words = EVENT_TYPES.get(event_type)
    return event_type if words is None else words[0].upper() + words[1:]


@dataclass(frozen=True)
class AuditRow:
    """One entry as the audit page shows it."""

    seq: int
    when: datetime
    event_type: str
    words: str
    actor: str
    leaf_hash: str  # hex


def audit_rows(
    session: Session, project_id: str, tree_size: int, before: int | None
) -> list[AuditRow]:
    """The project's entries under the signed tree head, newest first, one page (plus one
    row to tell whether there is an older page)."""
    query = select(AuditEntry).where(
        AuditEntry.project_id == project_id, AuditEntry.seq < tree_size
    )
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(AUDIT_PAGE + 1)).all()
    out = []
    for row in rows:
        try:
            actor = json.loads(row.record).get("actor") or "—"
        except (ValueError, AttributeError):
            actor = "(unreadable record)"
        out.append(
            AuditRow(row.seq, row.created_at, row.event_type, event_words(row.event_type),
                     str(actor), row.leaf_hash.hex())
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Verification:
    """A verification result and when it was computed."""

    report: VerifyReport
    checked_at: datetime
    head_signed_at: datetime | None


@dataclass
class VerifyCache:
    """The latest :class:`Verification`, recomputed when older than ``ttl`` seconds."""

    ttl: float = VERIFY_TTL
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _value: Verification | None = None
    _at: float = 0.0

    def get(self, log: AuditLog) -> Verification:
        """The cached result, or a new one (one verification at a time)."""
        with self._lock:
            if self._value is None or time.monotonic() - self._at > self.ttl:
                report = log.verify()
                head = log.tree_head()
                signed = (
                    datetime.fromtimestamp(head.timestamp_ms / 1000, UTC)
                    if head.tree_size
                    else None
                )
                self._value = Verification(report, datetime.now(UTC), signed)
                self._at = time.monotonic()
            return self._value


def verification(session: Session, project_id: str, found: Verification) -> dict[str, Any]:
    """What the page says about the verification: the problems in plain words; a problem in
    another project's entry is named by its kind only (its message may name that project)."""
    problems = found.report.problems[:_MAX_PROBLEMS]
    seqs = {p.seq for p in problems if p.seq is not None}
    own: set[int] = set()
    if seqs:
        own = set(
            session.scalars(
                select(AuditEntry.seq).where(
                    AuditEntry.seq.in_(seqs), AuditEntry.project_id == project_id
                )
            )
        )
    shown = []
    for p in problems:
        words = _PROBLEM_WORDS.get(p.kind, p.kind)
        if p.seq is None or p.seq in own:
            shown.append(f"{words[0].upper()}{words[1:]}: {p.message}")
        else:
            shown.append(f"{words[0].upper()}{words[1:]} (entry {p.seq}, of another project).")
    return {
        "ok": found.report.ok,
        "entries": found.report.entries,
        "trusted_keys": found.report.trusted_keys,
        "problems": shown,
        "more_problems": max(0, len(found.report.problems) - _MAX_PROBLEMS),
        "checked_at": found.checked_at,
        "head_signed_at": found.head_signed_at,
    }


def _chain(session: Session, project_id: str, model: str) -> dict[str, Any]:
    try:
        graph = lineage_of(session, project_id, ModelRef(model, alias=PRODUCTION))
    except DriftlineError as exc:
        return {"error": str(exc), "steps": []}
    rank = {k: i for i, k in enumerate(_CHAIN)}
    steps = []
    for node in sorted(graph.nodes, key=lambda n: rank.get(n.kind, len(_CHAIN))):
        facts = [
            _fact(key, value)
            for key, value in node.attributes.items()
            if value is not None and value != "" and not isinstance(value, dict | list)
        ]
        targets = []
        for link in graph.links:
            if link.source == (node.kind, node.id):
                target = graph.node(*link.target)
                name = target.name if target is not None else link.target[1]
                targets.append((link.relation.replace("_", " "), name))
        steps.append(
            {"kind": _KIND_WORDS.get(node.kind, node.kind), "name": node.name, "facts": facts,
             "links": targets}
        )  # fmt: skip
    return {"error": None, "steps": steps}


def lineage_models(session: Session, project_id: str) -> list[dict[str, Any]]:
    """Per model of the project: its current aliases, every alias move (newest first) and
    the lineage chain of the version ``production`` points at."""
    repo = RegistryRepository(session)
    models = session.scalars(
        select(Model).where(Model.project_id == project_id).order_by(Model.name)
    ).all()
    out = []
    for model in models:
        names = repo.version_names(model.id)
        current = repo.current_moves(model.id)
        aliases = [
            {"alias": name, "version": names.get(move.model_version_id or "", "(removed)"),
             "actor": move.actor, "moved_at": move.moved_at, "reason": move.reason}
            for name, move in sorted(current.items())
        ]  # fmt: skip
        moves = repo.history(model.id)
        history = [move_record(m, model.name, names, True) for m in reversed(moves)]
        chain = _chain(session, project_id, model.name) if PRODUCTION in current else None
        out.append({"name": model.name, "aliases": aliases, "history": history[:_MAX_MOVES],
                    "older_moves": max(0, len(history) - _MAX_MOVES), "chain": chain,
                    "versions": len(names)})  # fmt: skip
    return out
