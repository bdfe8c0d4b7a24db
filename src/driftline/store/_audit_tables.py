"""The audit log's tables (written by :mod:`driftline.audit`; the store never interprets them).

- ``audit_entries``: one row per event, ``seq`` from 0 without gaps; ``record`` holds the
  RFC 8785 canonical JSON that is hashed (``leaf_hash`` = SHA-256(0x00 || record));
  ``event_type``, ``project_id`` and ``created_at`` repeat fields of the record for queries.
  No foreign key: deleting a project keeps its audit trail.
- ``audit_nodes``: the hashes of the Merkle tree's perfect subtrees of 16 leaves and more
  (``level`` >= 4, ``idx`` from the left), so that a proof reads O(log n) rows.
- ``audit_tree_heads``: the signed tree heads, one per append batch, in signing order, each
  with the tree's frontier (its perfect subtrees) so that the next append reads one row.
- ``audit_subjects``: personal data (names, e-mails) that entries reference by id and never
  hash in; erasing a person clears the row and leaves the chain intact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from driftline.store._models import Base
from driftline.store._types import utcnow

__all__ = ["AuditEntry", "AuditNode", "AuditSubject", "AuditTreeHead", "Base"]


class AuditEntry(Base):
    """One event of the audit log (a leaf of its Merkle tree)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_project_seq", "project_id", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[str | None] = mapped_column(String(36))
    record: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditNode(Base):
    """The hash of a perfect subtree of the audit log's Merkle tree (``level`` >= 4)."""

    __tablename__ = "audit_nodes"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditTreeHead(Base):
    """A signed tree head (size, root, time, key id, Ed25519 signature)."""

    __tablename__ = "audit_tree_heads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    #: The perfect subtrees at this size, left to right (32 bytes each): the next append
    #: starts from them. A cache of ``audit_nodes``, checked by verification.
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class AuditSubject(Base):
    """A person referenced by audit entries (``subject:<id>``); erasable."""

    __tablename__ = "audit_subjects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]
