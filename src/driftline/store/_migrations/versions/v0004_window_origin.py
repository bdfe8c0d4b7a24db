"""time windows aligned to a calendar origin

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00

- ``model_versions.window_origin``: seconds from the Unix epoch to the start of one of the
  version's time windows. Versions registered before keep 0 (windows aligned to the epoch,
  so weekly windows began on Thursdays); new weekly versions start on Mondays (ISO 8601).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("window_origin", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_column("window_origin")
