"""The tables, as SQLAlchemy 2 typed ORM classes (``Mapped[...]`` / ``mapped_column``).

Bulk rows (prediction batches, the prediction index, windows, alert events) use UUIDv7
strings as keys so that inserts land at the right end of the B-tree. Timestamps of
predictions are integers (microseconds since the Unix epoch, UTC): portable, compact and
fast to bulk-insert; everything else uses timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from driftline.store._types import UTCDateTime, utcnow
from driftline.store._uuid7 import uuid7

__all__ = [
    "ROLES",
    "AlertEvent",
    "AlertRule",
    "ApiToken",
    "Base",
    "Model",
    "ModelVersion",
    "PendingLabel",
    "Prediction",
    "PredictionBatch",
    "Project",
    "ProjectMember",
    "User",
    "Window",
]

#: Per-project roles, weakest first.
ROLES: Final = ("viewer", "editor", "admin")
_ROLE_CHECK = "role IN ('viewer', 'editor', 'admin')"
_ID = 36  # canonical UUID string
_PREDICTION_ID = 128

NAMING: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _new_id() -> str:
    return str(uuid7())


class Base(DeclarativeBase):
    """Declarative base of every driftline table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class Project(Base):
    """A project: the unit of access control."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person (or service account) who can hold roles in projects."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectMember(Base):
    """A user's role in one project."""

    __tablename__ = "project_members"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))


class ApiToken(Base):
    """An API token, scoped to one project with one role. Only a hash of its secret is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Model(Base):
    """A model, registered for monitoring in one project."""

    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersion(Base):
    """A model version: its input schema, reference profile and reference scores/labels."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        CheckConstraint("window_kind IN ('time', 'rows')", name="window_kind"),
        CheckConstraint("window_size > 0", name="window_size"),
    )
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(64))
    schema: Mapped[dict[str, Any]]
    reference_profile: Mapped[bytes | None] = mapped_column(LargeBinary)
    reference_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    window_kind: Mapped[str] = mapped_column(String(8), default="time")
    window_size: Mapped[int] = mapped_column(BigInteger, default=3600)
    #: Seconds from the epoch to the start of one time window (0: epoch-aligned).
    window_origin: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The registered artifact (driftline.registry): content address, format, size, signature.
    artifact_digest: Mapped[str | None] = mapped_column(String(64))
    artifact_flavor: Mapped[str | None] = mapped_column(String(16))
    artifact_size: Mapped[int | None] = mapped_column(BigInteger)
    signature: Mapped[dict[str, Any] | None]


class Window(Base):
    """A window of one version's prediction stream, its merged profile and its results.

    ``window_key`` is the window's start in microseconds since the epoch (time windows) or
    its index (row-count windows). ``dirty`` means new rows or labels arrived since the
    results were last computed; ``version`` counts the computations. ``failures`` counts
    the computations that failed in a row (reset by the next success), ``error`` is the
    last one's message, ``retry_at`` when the monitor tries again (exponential backoff)
    and ``quarantined`` whether it failed so often that it is retried only rarely.
    """

    __tablename__ = "windows"
    __table_args__ = (
        UniqueConstraint("model_version_id", "window_key"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_windows_dirty", "dirty", "model_version_id"),
        Index("ix_windows_status", "status", "model_version_id"),
    )
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    model_version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    window_key: Mapped[int] = mapped_column(BigInteger)
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    label_count: Mapped[int] = mapped_column(BigInteger, default=0)
    profile: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(8), default="open")
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)
    results: Mapped[dict[str, Any] | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(1000))
    retry_at: Mapped[datetime | None]
    quarantined: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PredictionBatch(Base):
    """One accepted batch (its rows of one window): a compressed Arrow IPC stream."""

    __tablename__ = "prediction_batches"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    model_version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"), index=True)
    row_count: Mapped[int] = mapped_column(Integer)
    ts_min_us: Mapped[int] = mapped_column(BigInteger)
    ts_max_us: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(8))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the monitor in the transaction that merges this batch's profile into its
    # window's profile: NULL means "not merged yet", so a restart neither skips nor repeats.
    profiled_at: Mapped[datetime | None]


class Prediction(Base):
    """The narrow index of one prediction, for label joins and performance metrics.

    No foreign keys: rows are bulk-inserted and every row belongs to a batch written in
    the same transaction; the batch row carries the references.
    """

    __tablename__ = "predictions"
    model_version_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    prediction_id: Mapped[str] = mapped_column(String(_PREDICTION_ID), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(_ID))
    window_id: Mapped[str] = mapped_column(String(_ID), index=True)
    ts_us: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float | None] = mapped_column(Float)
    prediction: Mapped[float | None] = mapped_column(Float)
    label: Mapped[float | None] = mapped_column(Float)
    label_at: Mapped[datetime | None]


class PendingLabel(Base):
    """A label that arrived before its prediction; joined when the prediction lands."""

    __tablename__ = "pending_labels"
    model_version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    prediction_id: Mapped[str] = mapped_column(String(_PREDICTION_ID), primary_key=True)
    label: Mapped[float] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertRule(Base):
    """A rule evaluated on window results (its ``config`` is interpreted by the monitor)."""

    __tablename__ = "alert_rules"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cooldown_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertEvent(Base):
    """One firing (or resolution) of an alert rule."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_rule_fired", "rule_id", "fired_at"),)
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True, default=_new_id)
    rule_id: Mapped[str] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    window_id: Mapped[str | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    model_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="firing")
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[str | None] = mapped_column(String(1000))


# The audit log's and the registry's tables on the same metadata.
from driftline.store import _audit_tables, _registry_tables  # noqa: E402, F401
