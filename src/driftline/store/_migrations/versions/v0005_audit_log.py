"""audit log: entries, Merkle nodes, signed tree heads, referenced personal data

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 11:00:00

- ``audit_entries`` (seq, event type, project id, canonical JSON record, leaf hash, time)
  with ``ix_audit_entries_project_seq``; no foreign key, so deleting a project keeps its trail.
- ``audit_nodes`` (level, idx, hash): perfect subtrees of the Merkle tree.
- ``audit_tree_heads``: Ed25519-signed tree heads, one per append batch, with the tree's
  frontier (perfect subtrees) at that size.
- ``audit_subjects``: names and e-mails referenced by entries, erasable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import driftline.store._types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", driftline.store._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_project_seq", "audit_entries", ["project_id", "seq"], unique=False
    )
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_nodes")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_heads")),
    )
    op.create_table(
        "audit_subjects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", driftline.store._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("erased_at", driftline.store._types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_subjects")),
    )


def downgrade() -> None:
    op.drop_table("audit_subjects")
    op.drop_table("audit_tree_heads")
    op.drop_table("audit_nodes")
    op.drop_index("ix_audit_entries_project_seq", table_name="audit_entries")
    op.drop_table("audit_entries")
