"""Tables of the N-1 vs N analyses: results, the jobs that compute them, and preferences.

A result keeps its computed table and narrative as JSON (what the seed kept in MongoDB);
``analysis_result_cells`` lists the (NE, cell) pairs a result covers, so results can be
filtered by NE or cell with an index instead of a scan of the JSON.

A job is a row that a worker claims by a conditional UPDATE (``status = 'queued'``), so any
number of processes can share the queue. ``heartbeat_at`` is refreshed while it runs; a
``running`` job whose heartbeat is older than the lease was left by a dead process.
"""

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

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
RESULT_STATUSES = ("pending", "success", "warning", "error")

analysis_results = Table(
    "analysis_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("ne_id", String(255), nullable=False),  # "*" when the analysis spans every NE
    Column("cell_id", String(255), nullable=False),  # "*" when it spans every cell
    Column("analysis_date", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("time_ranges", JSONType, nullable=False),
    Column("peg_metrics", JSONType, nullable=False),  # the computed table
    Column("llm_analysis", JSONType, nullable=False),  # the narrative
    Column("meta", JSONType, nullable=False),  # the seed's "metadata"
    Column("legacy_payload", JSONType),
    Column("analyzer", String(120)),  # "deterministic" | "llm:<model>" | None (posted)
    Column("job_id", String(32)),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(f"status IN {RESULT_STATUSES}", name="status"),
    Index("ix_analysis_results_tenant_date", "tenant_id", "analysis_date"),
)

analysis_result_cells = Table(
    "analysis_result_cells",
    metadata,
    Column(
        "result_id",
        Integer,
        ForeignKey("analysis_results.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("ne", String(255), primary_key=True),
    Column("cell", String(255), primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Index("ix_analysis_result_cells_tenant_ne", "tenant_id", "ne"),
    Index("ix_analysis_result_cells_tenant_cell", "tenant_id", "cell"),
)

analysis_jobs = Table(
    "analysis_jobs",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex: unique across processes
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("username", String(150)),
    Column("params", JSONType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("result_id", Integer, ForeignKey("analysis_results.id", ondelete="SET NULL")),
    Column("worker", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),
    Index("ix_analysis_jobs_status_created", "status", "created_at"),
    Index("ix_analysis_jobs_tenant_created", "tenant_id", "created_at"),
)

preferences = Table(
    "preferences",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(50), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("value", JSONType, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
