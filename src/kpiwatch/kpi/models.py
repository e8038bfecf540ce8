"""KPI definitions and their computed values."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kpiwatch.core.db import JSONType, UTCDateTime, metadata
from kpiwatch.ingest.models import deployments, service_requests

kpi_definitions = Table(
    "kpi_definitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("description", Text),
    Column("formula", Text, nullable=False),
    Column("unit", String(20), nullable=False, server_default=""),
    Column("direction", String(16), nullable=False),
    Column("target", Float, nullable=False),
    Column("period", String(16), nullable=False),
    Column("dimensions", JSONType, nullable=False),
    Column("green_threshold", Float),
    Column("yellow_threshold", Float),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "name", name="uq_kpi_definitions_tenant_name"),
    CheckConstraint("direction IN ('HIGHER_BETTER', 'LOWER_BETTER')", name="direction"),
    CheckConstraint("period IN ('HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY')", name="period"),
)

# One row per KPI, period and combination of dimension values, which is its key (no
# surrogate id to write for each of a backfill's values: migration kpi_0014). ``dims_key``
# is the canonical text of ``dims`` ('' when the KPI has no dimensions).
kpi_values = Table(
    "kpi_values",
    metadata,
    # No foreign key: PostgreSQL would check it for each of the ~37,000 values a backfill
    # stores; a trigger deletes a KPI's values with it (migration kpi_0013).
    Column("kpi_id", Integer, primary_key=True),
    Column("period_start", UTCDateTime, primary_key=True),
    Column("period_end", UTCDateTime, nullable=False),
    Column("dims_key", String(500), primary_key=True, server_default=""),
    Column("dims", JSONType, nullable=False),
    Column("value", Float),
    Column("parts", JSONType, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    # A KPI's totals (dashboard, sparklines, history) without reading its per-dims rows; it
    # holds only them, so that a backfill per service does not write it for every row.
    Index(
        "ix_kpi_values_totals",
        "kpi_id",
        "period_start",
        postgresql_where=text("dims_key = ''"),
        sqlite_where=text("dims_key = ''"),
    ),
)

# A counter per tenant, raised in the transaction of every change to its KPI definitions or
# stored values: a process keeping a rendered dashboard compares it instead of re-reading.
kpi_revisions = Table(
    "kpi_revisions",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("revision", Integer, nullable=False),
)

# The KPI engine reads one period of one service at a time from these indexes
# (``formula/cells.py``): key (tenant_id, service, <time field>) and then every column the
# templates filter or measure, so that no table row is read (covering on SQLite, which has
# no INCLUDE, and index-only scans on PostgreSQL).
Index(
    "ix_service_requests_kpi_resolved",
    service_requests.c.tenant_id,
    service_requests.c.service,
    service_requests.c.resolved_at,
    service_requests.c.status,
    service_requests.c.reassignment_count,
    service_requests.c.created_at,
    service_requests.c.sla_due_at,
)
Index(
    "ix_service_requests_kpi_created",
    service_requests.c.tenant_id,
    service_requests.c.service,
    service_requests.c.created_at,
    service_requests.c.resolved_at,
    service_requests.c.status,
)
Index(
    "ix_deployments_kpi_finished",
    deployments.c.tenant_id,
    deployments.c.service,
    deployments.c.finished_at,
    deployments.c.status,
)
