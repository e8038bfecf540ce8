"""incidents: incidents, updates, comments, drafts, id counters, automatic incidents

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "incident_id"],
        ["incidents.tenant_id", "incidents.id"],
        name=f"fk_{table}_incident",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=5), nullable=False),
        sa.Column("priority_rule", sa.String(length=40), nullable=False),
        sa.Column("priority_inputs", JSON, nullable=False),
        sa.Column("reporter", sa.String(length=100), nullable=True),
        sa.Column("detection_criteria", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("automatic", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolution_s", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
            name=op.f("ck_incidents_status"),
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_incidents_severity")
        ),
        sa.CheckConstraint("priority IN ('P1', 'P2', 'P3')", name=op.f("ck_incidents_priority")),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolved_at IS NOT NULL)", name=op.f("ck_incidents_resolved")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_incidents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_incidents_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_tenant_created", ["tenant_id", "created_at"])
        batch_op.create_index("ix_incidents_tenant_resolved", ["tenant_id", "resolved_at"])
        batch_op.create_index("ix_incidents_tenant_status", ["tenant_id", "status"])

    op.create_table(
        "incident_services",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=50), nullable=False),
        sa.Column("service_id", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _incident_fk("incident_services"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "incident_id", "service_id", name=op.f("pk_incident_services")
        ),
    )
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.create_index("ix_incident_services_service", ["tenant_id", "service_id"])

    op.create_table(
        "incident_updates",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("incident_id", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_status", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("description <> ''", name=op.f("ck_incident_updates_description")),
        _incident_fk("incident_updates"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_updates_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_incident_updates")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_incident_updates_tenant_id"),
    )
    with op.batch_alter_table("incident_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_updates_incident", ["tenant_id", "incident_id", "created_at"]
        )

    op.create_table(
        "incident_comments",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("incident_id", sa.String(length=50), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _incident_fk("incident_comments"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_comments_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_incident_comments")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_incident_comments_tenant_id"),
    )
    with op.batch_alter_table("incident_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_comments_incident", ["tenant_id", "incident_id", "created_at"]
        )

    op.create_table(
        "incident_drafts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("incident_key", sa.String(length=50), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("saved_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_incident_drafts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_incident_drafts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "incident_key", name=op.f("pk_incident_drafts")),
    )

    op.create_table(
        "incident_counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_incident_counters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "year", name=op.f("pk_incident_counters")),
    )

    op.create_table(
        "auto_incidents",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=50), nullable=False),
        sa.Column("incident_id", sa.String(length=50), nullable=False),
        sa.Column("recovered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["services.tenant_id", "services.id"],
            name="fk_auto_incidents_service",
            ondelete="CASCADE",
        ),
        _incident_fk("auto_incidents"),
        sa.PrimaryKeyConstraint("tenant_id", "service_id", name=op.f("pk_auto_incidents")),
    )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_incidents", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("auto_incident_after_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("auto_incident_after_s")
        batch_op.drop_column("auto_incidents")
    op.drop_table("auto_incidents")
    op.drop_table("incident_counters")
    op.drop_table("incident_drafts")
    with op.batch_alter_table("incident_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_comments_incident")
    op.drop_table("incident_comments")
    with op.batch_alter_table("incident_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_updates_incident")
    op.drop_table("incident_updates")
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_services_service")
    op.drop_table("incident_services")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_tenant_resolved")
        batch_op.drop_index("ix_incidents_tenant_status")
        batch_op.drop_index("ix_incidents_tenant_created")
    op.drop_table("incidents")
