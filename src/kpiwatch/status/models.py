"""Services (the PRD's table, per tenant) and maintenance windows."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from kpiwatch.core.db import JSONType, UTCDateTime, metadata

# ``id`` is the slug the PRD's API speaks ("id-recognition"); it is unique per tenant.
services = Table(
    "services",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("description", Text),
    Column("endpoint_url", String(255)),
    Column("group", String(100)),
    Column("order", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# ``service_ids`` lists the services under maintenance; an empty list means all of them.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text),
    Column("service_ids", JSONType, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("ends_at > starts_at", name="span"),
    Index("ix_maintenance_windows_tenant_ends", "tenant_id", "ends_at"),
)
