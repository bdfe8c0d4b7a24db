"""registry: artifacts of versions, aliases and their history, datasets, lineage

Revision ID: 0006
Revises: 0005 (the audit log)
Create Date: 2026-12-02 09:10:00

- ``model_versions.artifact_digest`` / ``artifact_flavor`` / ``artifact_size`` /
  ``signature``: the version's registered artifact (sha256 content address, ``onnx``,
  ``skops`` or ``pickle``, bytes) and its input/output signature.
- ``model_aliases``: where each alias of a model points now.
- ``alias_history``: every alias move, append-only, numbered per alias (``seq``, unique).
- ``datasets``: training and evaluation data sets by fingerprint.
- ``lineage_edges``: recorded lineage (dataset → run → model version → gate report ...).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import driftline.store._types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_TIME = driftline.store._types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("artifact_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("artifact_flavor", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("artifact_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.JSON(), nullable=True))

    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("model_version_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("moved_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"],
            name=op.f("fk_model_aliases_model_id_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_versions.id"],
            name=op.f("fk_model_aliases_model_version_id_model_versions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "alias", name=op.f("pk_model_aliases")),
    )  # fmt: skip
    with op.batch_alter_table("model_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_aliases_model_version_id"), ["model_version_id"], unique=False
        )

    op.create_table(
        "alias_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.String(length=36), nullable=True),
        sa.Column("previous_version_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("moved_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"],
            name=op.f("fk_alias_history_model_id_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_versions.id"],
            name=op.f("fk_alias_history_model_version_id_model_versions"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_version_id"], ["model_versions.id"],
            name=op.f("fk_alias_history_previous_version_id_model_versions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_history")),
        sa.UniqueConstraint("model_id", "alias", "seq", name=op.f("uq_alias_history_model_id")),
    )  # fmt: skip
    with op.batch_alter_table("alias_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alias_history_model_alias_moved", ["model_id", "alias", "moved_at"], unique=False
        )

    op.create_table(
        "datasets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("schema_digest", sa.String(length=64), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("profile", sa.LargeBinary(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("source_uri", sa.String(length=2000), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("pii", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"],
            name=op.f("fk_datasets_project_id_projects"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("project_id", "name", "fingerprint",
                            name=op.f("uq_datasets_project_id")),
    )  # fmt: skip
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_datasets_project_fingerprint", ["project_id", "fingerprint"], unique=False
        )

    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("source_kind", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"],
            name=op.f("fk_lineage_edges_project_id_projects"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_edges")),
        sa.UniqueConstraint(
            "project_id", "source_kind", "source_id", "target_kind", "target_id", "relation",
            name=op.f("uq_lineage_edges_project_id"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("lineage_edges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lineage_edges_target", ["project_id", "target_kind", "target_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("lineage_edges")
    op.drop_table("datasets")
    op.drop_table("alias_history")
    op.drop_table("model_aliases")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_column("signature")
        batch_op.drop_column("artifact_size")
        batch_op.drop_column("artifact_flavor")
        batch_op.drop_column("artifact_digest")
