"""window health: failures, last error, retry time, quarantine

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00

- ``windows.failures``: computations of the window that failed in a row (0 after a success).
- ``windows.error``: the last failure's one-line message.
- ``windows.retry_at``: when the monitor tries the window again (exponential backoff).
- ``windows.quarantined``: the window failed so often that it is retried only rarely.
- ``ix_windows_status`` (status, model_version_id): with ``ix_windows_dirty`` it lets the
  monitor find due windows (dirty, or open and closing) without scanning every window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import driftline.store._types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("error", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column("retry_at", driftline.store._types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("quarantined", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_windows_status", ["status", "model_version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.drop_index("ix_windows_status")
        batch_op.drop_column("quarantined")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("error")
        batch_op.drop_column("failures")
