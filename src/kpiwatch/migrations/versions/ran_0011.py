"""ran: daily rollups of the counter values

Revision ID: ran_0011
Revises: 0010
Create Date: 2026-11-23 16:30:00

``pm_days`` holds, per (object, counter list, local day), the sums, value counts, seconds
and Σ(value × seconds) of every position (see ``kpiwatch.ran.days``); ``pm_day_zones`` the
zone whose days they are (on PostgreSQL with room on each page for the rewrites of a
day's row). Both start empty: a tenant without a ``pm_day_zones`` row is
queried from ``pm_values`` until its next import rebuilds its days.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ran_0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
VECTOR = sa.Text().with_variant(postgresql.ARRAY(sa.Float(precision=53)), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pm_days",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("day_start", TS, nullable=False),
        sa.Column("sums", VECTOR, nullable=False),
        sa.Column("counts", VECTOR, nullable=False),
        sa.Column("seconds", VECTOR, nullable=False),
        sa.Column("weighted", VECTOR, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "object_id", "schema_id", "day_start"),
    )
    op.create_index("ix_pm_days_tenant_day", "pm_days", ["tenant_id", "day_start"])
    if op.get_bind().dialect.name == "postgresql":
        # A day row is rewritten by every import of its day (96 times for quarter-hour
        # files): room on its page lets PostgreSQL keep the new version there (a HOT update)
        # and prune the old one when the page is next read, instead of growing the table.
        op.execute("ALTER TABLE pm_days SET (fillfactor = 50)")
    op.create_table(
        "pm_day_zones",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("pm_day_zones")
    op.drop_index("ix_pm_days_tenant_day", table_name="pm_days")
    op.drop_table("pm_days")
