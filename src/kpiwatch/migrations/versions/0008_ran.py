"""ran: PM files, measured objects, counter schemas, counter values, PEG master

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00

Counter values are a row per (object, counter list, period) with the values in an array:
``float8[]`` on PostgreSQL, JSON array text on SQLite (see ``kpiwatch.ran.models``).
``pm_values`` has no foreign keys: they would be checked for every row of a bulk ``COPY``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)
VECTOR = sa.Text().with_variant(postgresql.ARRAY(sa.Float(precision=53)), "postgresql")


def _tenant_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "pm_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("ne", sa.String(255)),
        sa.Column("period_start", TS),
        sa.Column("period_end", TS),
        sa.Column("gran_s", sa.Integer()),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("values_count", sa.Integer(), nullable=False),
        sa.Column("suspect_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", JSON, nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("imported_by", sa.Integer()),
        _tenant_fk(),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"], ondelete="SET NULL"),
        sa.UniqueConstraint("tenant_id", "sha256", name="uq_pm_files_tenant_sha256"),
    )
    op.create_index("ix_pm_files_tenant_imported", "pm_files", ["tenant_id", "imported_at"])
    op.create_table(
        "pm_objects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("ne", sa.String(255), nullable=False),
        sa.Column("cell", sa.String(255), nullable=False),
        sa.Column("object_class", sa.String(100), nullable=False),
        _tenant_fk(),
        sa.UniqueConstraint("tenant_id", "name", name="uq_pm_objects_tenant_name"),
    )
    op.create_index("ix_pm_objects_tenant_ne", "pm_objects", ["tenant_id", "ne"])
    op.create_index("ix_pm_objects_tenant_cell", "pm_objects", ["tenant_id", "cell"])
    op.create_table(
        "pm_schemas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("group_name", sa.String(255), nullable=False),
        sa.Column("counters", JSON, nullable=False),
        _tenant_fk(),
        sa.UniqueConstraint("tenant_id", "digest", name="uq_pm_schemas_tenant_digest"),
    )
    op.create_table(
        "pm_object_schemas",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        _tenant_fk(),
        sa.ForeignKeyConstraint(["object_id"], ["pm_objects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schema_id"], ["pm_schemas.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "object_id", "schema_id"),
    )
    op.create_table(
        "pm_values",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("gran_s", sa.Integer(), nullable=False),
        sa.Column("suspect", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("vals", VECTOR, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "object_id", "schema_id", "period_start"),
    )
    op.create_index("ix_pm_values_tenant_period", "pm_values", ["tenant_id", "period_start"])
    op.create_table(
        "pm_counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("group_name", sa.String(255), nullable=False),
        sa.Column("object_class", sa.String(100), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        _tenant_fk(),
        sa.PrimaryKeyConstraint("tenant_id", "name", "group_name", "object_class"),
    )


def downgrade() -> None:
    for table in (
        "pm_counters",
        "pm_values",
        "pm_object_schemas",
        "pm_schemas",
        "pm_objects",
        "pm_files",
    ):
        op.drop_table(table)
