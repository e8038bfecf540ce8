"""notify: notification channels, status-page subscribers, the outbox and its attempts

Revision ID: notify_0009
Revises: 0008
Create Date: 2026-11-24 10:00:00

See ``kpiwatch.incidents.notify_models``: a change to an incident writes a message and its
channel deliveries in its own transaction; workers claim due deliveries and record each
attempt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "notify_0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def _id(table: str) -> tuple[sa.Column[int], sa.PrimaryKeyConstraint]:
    return sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(
        "id", name=op.f(f"pk_{table}")
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "notify_channels",
        *_id("notify_channels"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("notify_channels", "tenant_id", "tenants", "CASCADE"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("events", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('webhook', 'slack', 'email')", name=op.f("ck_notify_channels_kind")
        ),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_notify_channels_tenant_name")),
    )
    op.create_table(
        "notify_subscribers",
        *_id("notify_subscribers"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("notify_subscribers", "tenant_id", "tenants", "CASCADE"),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("address_key", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.CheckConstraint("kind IN ('email', 'webhook')", name=op.f("ck_notify_subscribers_kind")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "address_key", name=op.f("uq_notify_subscribers_address")
        ),
    )
    op.create_index(
        "ix_notify_subscribers_confirmed", "notify_subscribers", ["tenant_id", "confirmed_at"]
    )
    op.create_table(
        "notify_messages",
        *_id("notify_messages"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("notify_messages", "tenant_id", "tenants", "CASCADE"),
        sa.Column("incident_id", sa.String(length=50), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("fanout", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name=op.f("fk_notify_messages_incident"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_notify_messages_fanout", "notify_messages", ["fanout"])
    op.create_table(
        "notify_deliveries",
        *_id("notify_deliveries"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=50), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        _fk("notify_deliveries", "message_id", "notify_messages", "CASCADE"),
        _fk("notify_deliveries", "channel_id", "notify_channels", "SET NULL"),
        _fk("notify_deliveries", "subscriber_id", "notify_subscribers", "SET NULL"),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_notify_deliveries_status"),
        ),
    )
    op.create_index("ix_notify_deliveries_due", "notify_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_notify_deliveries_incident", "notify_deliveries", ["tenant_id", "incident_id"]
    )
    op.create_table(
        "notify_attempts",
        *_id("notify_attempts"),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        _fk("notify_attempts", "delivery_id", "notify_deliveries", "CASCADE"),
        sa.Column("at", TS, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_notify_attempts_delivery", "notify_attempts", ["delivery_id"])
    op.create_table(
        "subscription_requests",
        *_id("subscription_requests"),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_subscription_requests_ip_at", "subscription_requests", ["ip", "at"])


def downgrade() -> None:
    op.drop_table("subscription_requests")
    op.drop_table("notify_attempts")
    op.drop_table("notify_deliveries")
    op.drop_table("notify_messages")
    op.drop_table("notify_subscribers")
    op.drop_table("notify_channels")
