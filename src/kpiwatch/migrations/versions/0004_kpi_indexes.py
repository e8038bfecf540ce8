"""kpi: covering indexes for computing KPIs per service and period

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_requests_kpi_resolved",
            [
                "tenant_id",
                "service",
                "resolved_at",
                "status",
                "reassignment_count",
                "created_at",
                "sla_due_at",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_service_requests_kpi_created",
            ["tenant_id", "service", "created_at", "resolved_at", "status"],
            unique=False,
        )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deployments_kpi_finished",
            ["tenant_id", "service", "finished_at", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_deployments_kpi_finished")
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_service_requests_kpi_created")
        batch_op.drop_index("ix_service_requests_kpi_resolved")
