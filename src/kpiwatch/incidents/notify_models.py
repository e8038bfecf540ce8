"""Notification tables: channels, status-page subscribers, and the outbox.

A change to an incident writes a ``notify_messages`` row (what happened, as it was then)
and one ``notify_deliveries`` row per active channel in the change's own transaction, so a
crash after the commit loses nothing: a worker of any process sends what it finds due.
Subscribers are expanded into deliveries by the worker (``fanout`` marks a message whose
subscribers are still to be expanded), which keeps a change cheap however many visitors
subscribed. ``notify_attempts`` records every attempt of a delivery.

Secrets (a webhook's signing key, a Slack URL, which embeds its token) live in the
``secret`` columns and never leave the server in full.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kpiwatch.core.db import JSONType, UTCDateTime, metadata

CHANNEL_KINDS = ("webhook", "slack", "email")
SUBSCRIBER_KINDS = ("email", "webhook")
EVENTS = ("incident.created", "incident.updated", "incident.resolved")
DELIVERY_STATUSES = ("pending", "sent", "failed", "cancelled")

notify_channels = Table(
    "notify_channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    # Public settings: {"url"} of a webhook, {"to": [...]} of an e-mail channel.
    Column("config", JSONType, nullable=False),
    # The webhook's signing key or the Slack URL.
    Column("secret", Text),
    Column("events", JSONType, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('webhook', 'slack', 'email')", name="kind"),
    UniqueConstraint("tenant_id", "name", name="uq_notify_channels_tenant_name"),
)

notify_subscribers = Table(
    "notify_subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("address", String(2000), nullable=False),
    # The address as compared: a lower-cased e-mail, the URL as given.
    Column("address_key", String(2000), nullable=False),
    Column("secret", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # When the last confirmation message was asked for; links carry it, so a new request
    # makes older links stale.
    Column("requested_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime),
    CheckConstraint("kind IN ('email', 'webhook')", name="kind"),
    UniqueConstraint("tenant_id", "kind", "address_key", name="uq_notify_subscribers_address"),
    Index("ix_notify_subscribers_confirmed", "tenant_id", "confirmed_at"),
)

notify_messages = Table(
    "notify_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("incident_id", String(50)),
    Column("event", String(40), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("fanout", Boolean, nullable=False, server_default="0"),
    ForeignKeyConstraint(
        ["tenant_id", "incident_id"],
        ["incidents.tenant_id", "incidents.id"],
        name="fk_notify_messages_incident",
        ondelete="CASCADE",
    ),
    Index("ix_notify_messages_fanout", "fanout"),
)

notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column(
        "message_id",
        Integer,
        ForeignKey("notify_messages.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("incident_id", String(50)),
    Column("channel_id", Integer, ForeignKey("notify_channels.id", ondelete="SET NULL")),
    Column("subscriber_id", Integer, ForeignKey("notify_subscribers.id", ondelete="SET NULL")),
    # "channel" or "subscriber": who it is for, even once the channel or subscriber is gone.
    Column("audience", String(10), nullable=False),
    Column("kind", String(10), nullable=False),
    # Who it goes to, as shown: the channel's name or the subscriber's masked address.
    Column("label", String(200), nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    # A worker's claim: until ``lease_until`` only the holder of ``claim`` may finish it.
    Column("lease_until", UTCDateTime),
    Column("claim", String(32)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')", name="status"),
    Index("ix_notify_deliveries_due", "status", "next_attempt_at"),
    Index("ix_notify_deliveries_incident", "tenant_id", "incident_id"),
)

notify_attempts = Table(
    "notify_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_notify_attempts_delivery", "delivery_id"),
)

# Subscription requests by address, for the public endpoint's rate limit.
subscription_requests = Table(
    "subscription_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ip", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_subscription_requests_ip_at", "ip", "at"),
)
