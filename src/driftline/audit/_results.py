"""What the audit log returns: logged events, proofs and the verification report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ConsistencyProof", "InclusionProof", "LoggedEvent", "Problem", "VerifyReport"]


@dataclass(frozen=True)
class LoggedEvent:
    """An event as stored: its sequence number, the hashed record and its leaf hash."""

    seq: int
    event_type: str
    project_id: str | None
    created_at: datetime
    record: bytes
    leaf_hash: bytes

    def fields(self) -> dict[str, Any]:
        """The record, parsed (``v``, ``seq``, ``type``, ``project``, ``actor``, ``time``,
        ``payload``)."""
        parsed: dict[str, Any] = json.loads(self.record)
        return parsed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the record as text (its exact bytes are what is hashed)."""
        return {
            "seq": self.seq,
            "event_type": self.event_type,
            "project_id": self.project_id,
            "created_at": self.created_at.isoformat(),
            "record": self.record.decode("utf-8"),
            "leaf_hash": self.leaf_hash.hex(),
        }


@dataclass(frozen=True)
class InclusionProof:
    """The audit path of entry ``seq`` in the tree of ``tree_size`` entries."""

    seq: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, hashes in hex."""
        return {
            "seq": self.seq,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "path": [p.hex() for p in self.path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""

    first: int
    second: int
    path: tuple[bytes, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, hashes in hex."""
        return {"first": self.first, "second": self.second, "path": [p.hex() for p in self.path]}


ProblemKind = Literal[
    "edited",
    "missing",
    "inserted",
    "reordered",
    "truncated",
    "extra",
    "rollback",
    "root",
    "signature",
    "untrusted_key",
    "node",
    "checkpoint",
]


@dataclass(frozen=True)
class Problem:
    """One thing :meth:`~driftline.audit.AuditLog.verify` found wrong."""

    kind: ProblemKind
    message: str
    seq: int | None = None
    head_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "message": self.message,
            "seq": self.seq,
            "head_id": self.head_id,
        }


@dataclass(frozen=True)
class VerifyReport:
    """The result of recomputing the log: ``ok`` when nothing is wrong.

    ``trusted_keys`` says where the public keys the signatures were checked against came
    from: ``"given"`` (the caller's), ``"key file"`` (the configured signing key) or
    ``"database"`` (the keys recorded with the heads: this proves integrity against
    accidents, not against someone who can write the database and re-sign).
    """

    ok: bool
    entries: int
    heads: int
    tree_size: int
    root_hash: bytes
    trusted_keys: str
    seconds: float
    problems: tuple[Problem, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "heads": self.heads,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "trusted_keys": self.trusted_keys,
            "seconds": self.seconds,
            "problems": [p.to_dict() for p in self.problems],
        }
