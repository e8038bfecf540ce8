"""Incidents, their updates and comments, autosaved drafts, and the id counters.

Incident ids (``inc-2026-001``) are unique per tenant, so every key starts with
``tenant_id``; updates and comments also carry a ``seq`` that orders them when the clock
gives two the same time. ``affected_services`` is a table of its own so that "incidents of service
X" is an indexed join on both engines; it keeps the slug even when the service is later
deleted, as history should.
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
from kpiwatch.status.models import services

STATUSES = ("investigating", "identified", "monitoring", "resolved")
SEVERITIES = ("low", "medium", "high", "critical")
PRIORITIES = ("P1", "P2", "P3")

incidents = Table(
    "incidents",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(50), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("description", Text),
    Column("status", String(20), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("priority", String(5), nullable=False),
    # How the priority was set: "given", or the rule that derived it, with its inputs.
    Column("priority_rule", String(40), nullable=False),
    Column("priority_inputs", JSONType, nullable=False),
    Column("reporter", String(100)),
    Column("detection_criteria", Text),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    # True while the monitoring system drives the incident; a human update ends it.
    Column("automatic", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolution_s", Integer),
    Column("version", Integer, nullable=False, server_default="1"),
    CheckConstraint(
        "status IN ('investigating', 'identified', 'monitoring', 'resolved')", name="status"
    ),
    CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name="severity"),
    CheckConstraint("priority IN ('P1', 'P2', 'P3')", name="priority"),
    CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="resolved"),
    Index("ix_incidents_tenant_created", "tenant_id", "created_at"),
    Index("ix_incidents_tenant_resolved", "tenant_id", "resolved_at"),
    Index("ix_incidents_tenant_status", "tenant_id", "status"),
)


def _incident_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "incident_id"],
        ["incidents.tenant_id", "incidents.id"],
        name=f"fk_{table}_incident",
        ondelete="CASCADE",
    )


incident_services = Table(
    "incident_services",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("incident_id", String(50), primary_key=True),
    Column("service_id", String(50), primary_key=True),
    Column("position", Integer, nullable=False),
    _incident_fk("incident_services"),
    Index("ix_incident_services_service", "tenant_id", "service_id"),
)

incident_updates = Table(
    "incident_updates",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column("id", String(50), nullable=False),
    Column("incident_id", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("previous_status", String(20)),
    Column("description", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("author", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _incident_fk("incident_updates"),
    CheckConstraint("description <> ''", name="description"),
    UniqueConstraint("tenant_id", "id", name="uq_incident_updates_tenant_id"),
    Index("ix_incident_updates_incident", "tenant_id", "incident_id", "created_at"),
)

incident_comments = Table(
    "incident_comments",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column("id", String(50), nullable=False),
    Column("incident_id", String(50), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("author", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _incident_fk("incident_comments"),
    UniqueConstraint("tenant_id", "id", name="uq_incident_comments_tenant_id"),
    Index("ix_incident_comments_incident", "tenant_id", "incident_id", "created_at"),
)

# One autosaved draft per user and incident ("new" for the form of a new incident).
# ``base_version`` is the incident version the draft was edited from: a newer incident
# means someone saved meanwhile, and restoring the draft shows the conflict.
incident_drafts = Table(
    "incident_drafts",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("incident_key", String(50), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("data", JSONType, nullable=False),
    Column("base_version", Integer),
    Column("saved_at", UTCDateTime, nullable=False),
)

# The last number handed out per tenant, kind ("inc", "upd", "cmt") and year. Allocation
# is one upsert ``… SET n = n + 1 RETURNING n`` in the creating transaction: the row lock
# (PostgreSQL) or the single writer (SQLite) makes two creates never share a number.
incident_counters = Table(
    "incident_counters",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(3), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
)

# The incident the monitoring system opened for a service and still drives. The primary
# key is what keeps two processes from opening two incidents for one outage.
auto_incidents = Table(
    "auto_incidents",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("service_id", String(50), primary_key=True),
    Column("incident_id", String(50), nullable=False),
    Column("recovered_at", UTCDateTime),
    ForeignKeyConstraint(
        ["tenant_id", "service_id"],
        ["services.tenant_id", "services.id"],
        name="fk_auto_incidents_service",
        ondelete="CASCADE",
    ),
    _incident_fk("auto_incidents"),
)

# Automatic incidents are opted into per service. The columns are added to the status
# slice's ``services`` table by migration 0005 and declared here, beside their only user.
services.append_column(
    Column("auto_incidents", Boolean, nullable=False, server_default="0"),
)
services.append_column(Column("auto_incident_after_s", Integer))
