"""monitor bookkeeping and alert delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:10:00

- ``prediction_batches.profiled_at``: when the monitor merged the batch into its window's
  profile (NULL: not merged yet).
- ``alert_events``: the model version an event is about, when it resolved, and the
  outcome of notifying it (attempts, last error).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import driftline.store._types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("prediction_batches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "profiled_at", driftline.store._types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_version_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column(
                "resolved_at", driftline.store._types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_alert_events_model_version_id"), ["model_version_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_events_model_version_id_model_versions"),
            "model_versions",
            ["model_version_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_alert_events_model_version_id_model_versions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_alert_events_model_version_id"))
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_attempts")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("model_version_id")
    with op.batch_alter_table("prediction_batches", schema=None) as batch_op:
        batch_op.drop_column("profiled_at")
