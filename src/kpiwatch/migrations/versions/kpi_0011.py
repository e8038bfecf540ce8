"""kpi values: two indexes fewer to write per stored value; kpi revisions

A backfill per service stores a row per period and service, and every index of
``kpi_values`` is written for each: ``(kpi_id, period_start)`` repeated the start of the
unique ``(kpi_id, period_start, dims_key)``, and ``(kpi_id, dims_key, period_start)``
served only the total rows (``dims_key = ''``), so it now holds only those.
``kpi_revisions`` counts the changes of a tenant's KPIs, for the dashboard a process keeps.

Revision ID: kpi_0011
Revises: 0010
Create Date: 2026-11-23 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kpi_0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TOTALS = sa.text("dims_key = ''")


def upgrade() -> None:
    op.create_table(
        "kpi_revisions",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_kpi_revisions_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_kpi_revisions"),
    )
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_values_kpi_period")
        batch_op.drop_index("ix_kpi_values_kpi_dims_period")
        batch_op.create_index(
            "ix_kpi_values_totals",
            ["kpi_id", "period_start"],
            unique=False,
            postgresql_where=TOTALS,
            sqlite_where=TOTALS,
        )


def downgrade() -> None:
    op.drop_table("kpi_revisions")
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_values_totals")
        batch_op.create_index(
            "ix_kpi_values_kpi_dims_period", ["kpi_id", "dims_key", "period_start"], unique=False
        )
        batch_op.create_index("ix_kpi_values_kpi_period", ["kpi_id", "period_start"], unique=False)
