"""The registry's tables: aliases (current) and their append-only history, datasets and
lineage edges. Registered on :class:`~driftline.store.Base`'s metadata (``_models``
imports this module), migrated by revision 0006.

``model_aliases`` holds where each alias points now; ``alias_history`` every move, in
order (``seq`` counts the moves of one alias from 1, unique, so two concurrent moves
cannot both append the same step). A move writes both in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from driftline.store._models import Base
from driftline.store._types import utcnow
from driftline.store._uuid7 import uuid7

__all__ = ["AliasMove", "Dataset", "LineageEdge", "ModelAlias"]

_ID = 36


def _new_id() -> str:
    return str(uuid7())


class ModelAlias(Base):
    """Where an alias of a model points now (its last move is ``alias_history[seq]``)."""

    __tablename__ = "model_aliases"
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)


class AliasMove(Base):
    """One move of an alias (append-only): to a version, or removed (``model_version_id``
    NULL), by ``actor``, for ``reason``, at ``moved_at``."""

    __tablename__ = "alias_history"
    __table_args__ = (
        UniqueConstraint("model_id", "alias", "seq"),
        Index("ix_alias_history_model_alias_moved", "model_id", "alias", "moved_at"),
    )
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    model_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    previous_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dataset(Base):
    """A training or evaluation data set, by fingerprint: the sha256 of its content, the
    digest of its schema and its profile, with where it came from and its terms."""

    __tablename__ = "datasets"
    __table_args__ = (
        UniqueConstraint("project_id", "name", "fingerprint"),
        Index("ix_datasets_project_fingerprint", "project_id", "fingerprint"),
    )
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    schema_digest: Mapped[str] = mapped_column(String(64))
    schema: Mapped[dict[str, Any]]
    profile: Mapped[bytes | None] = mapped_column(LargeBinary)
    rows: Mapped[int | None] = mapped_column(BigInteger)
    source_uri: Mapped[str] = mapped_column(String(2000), default="")
    licence: Mapped[str] = mapped_column(String(200), default="")
    pii: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LineageEdge(Base):
    """A recorded lineage edge of a project: ``source`` → ``target`` (kind and id each),
    e.g. dataset → run (``trained_on``), run → model_version (``produced``)."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        UniqueConstraint(
            "project_id", "source_kind", "source_id", "target_kind", "target_id", "relation"
        ),
        Index("ix_lineage_edges_target", "project_id", "target_kind", "target_id"),
    )
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(200))
    target_kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
