"""kpi values: index for a KPI's latest totals

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-23 11:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_values_kpi_dims_period", ["kpi_id", "dims_key", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_values_kpi_dims_period")
