"""watch and status: services, monitors, results, rollups, timeline, maintenance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:01:46.272078
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "service_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_maintenance_windows_span")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_maintenance_windows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_maintenance_windows_tenant_ends", ["tenant_id", "ends_at"], unique=False
        )

    op.create_table(
        "services",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("endpoint_url", sa.String(length=255), nullable=True),
        sa.Column("group", sa.String(length=100), nullable=True),
        sa.Column("order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_services_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services")),
    )
    op.create_table(
        "monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("push_token", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=8), server_default="GET", nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "expected_status",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("follow_redirects", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("keyword", sa.String(length=500), nullable=True),
        sa.Column("keyword_absent", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("json_path", sa.String(length=500), nullable=True),
        sa.Column("json_expected", sa.String(length=500), nullable=True),
        sa.Column("tls_days_min", sa.Integer(), nullable=True),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("grace_s", sa.Float(), nullable=False),
        sa.Column("failures_before_down", sa.Integer(), nullable=False),
        sa.Column("successes_before_up", sa.Integer(), nullable=False),
        sa.Column("degraded_ms", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN ('http', 'tcp', 'tls', 'push')", name=op.f("ck_monitors_type")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["services.tenant_id", "services.id"],
            name="fk_monitors_service",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_monitors_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
        sa.UniqueConstraint("push_token", name=op.f("uq_monitors_push_token")),
    )
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitors_tenant_service", ["tenant_id", "service_id"], unique=False
        )

    op.create_table(
        "check_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("is_success", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("error_type", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "timings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "status IN ('up', 'degraded', 'down', 'maintenance')",
            name=op.f("ck_check_results_status"),
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_check_results_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index("ix_check_results_at", ["at"], unique=False)
        batch_op.create_index("ix_check_results_monitor_at", ["monitor_id", "at"], unique=False)

    op.create_table(
        "check_rollups",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ok", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("degraded", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("failed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("maintenance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("observed_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("downtime_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("degraded_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("maintenance_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("timed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sum_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("min_ms", sa.Integer(), nullable=True),
        sa.Column("max_ms", sa.Integer(), nullable=True),
        sa.Column("le_50", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_100", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_200", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_300", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_500", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_750", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_1000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_1500", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_2000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_3000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_5000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_7000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_10000", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("le_inf", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "grain IN ('minute', 'hour', 'day')", name=op.f("ck_check_rollups_grain")
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_check_rollups_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "monitor_id", "grain", "bucket_start", name=op.f("pk_check_rollups")
        ),
    )
    with op.batch_alter_table("check_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_rollups_grain_bucket", ["grain", "bucket_start"], unique=False
        )

    op.create_table(
        "monitor_state",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accounted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=12), nullable=True),
        sa.Column("last_response_ms", sa.Float(), nullable=True),
        sa.Column("last_error_type", sa.String(length=32), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_state_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", name=op.f("pk_monitor_state")),
    )
    op.create_table(
        "status_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_type", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_status_timeline_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_timeline")),
    )
    with op.batch_alter_table("status_timeline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_timeline_monitor_started", ["monitor_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_status_timeline_monitor_started")

    op.drop_table("status_timeline")
    op.drop_table("monitor_state")
    with op.batch_alter_table("check_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_check_rollups_grain_bucket")

    op.drop_table("check_rollups")
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index("ix_check_results_monitor_at")
        batch_op.drop_index("ix_check_results_at")

    op.drop_table("check_results")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_index("ix_monitors_tenant_service")

    op.drop_table("monitors")
    op.drop_table("services")
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_windows_tenant_ends")

    op.drop_table("maintenance_windows")
