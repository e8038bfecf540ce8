"""Event tables of the built-in datasets. Each row is keyed by the source's own id.

``tenant_id`` has no foreign key: PostgreSQL would check it per inserted row at half the
speed of a bulk ingestion, and it is always the authenticated caller's tenant. A trigger
on ``tenants`` deletes a tenant's events with it (migration ``ingest_0011``).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table

from kpiwatch.core.db import UTCDateTime, metadata

service_requests = Table(
    "service_requests",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("id", String(100), primary_key=True),
    Column("service", String(100), nullable=False),
    Column("category", String(100)),
    Column("priority", String(20)),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_response_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("sla_due_at", UTCDateTime),
    Column("assignee", String(100)),
    Column("reassignment_count", Integer, nullable=False, server_default="0"),
    CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name="status"),
    CheckConstraint("reassignment_count >= 0", name="reassignment_count"),
    Index("ix_service_requests_tenant_created", "tenant_id", "created_at"),
    Index("ix_service_requests_tenant_resolved", "tenant_id", "resolved_at"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("id", String(100), primary_key=True),
    Column("service", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    CheckConstraint(
        "status IN ('succeeded', 'failed', 'rolled_back', 'in_progress')", name="status"
    ),
    Index("ix_deployments_tenant_finished", "tenant_id", "finished_at"),
)
