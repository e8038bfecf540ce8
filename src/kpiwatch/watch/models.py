"""Monitors, their state, raw check results, rollups and the status timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from kpiwatch.core.db import JSONType, UTCDateTime, metadata

MONITOR_TYPES = ("http", "tcp", "tls", "push")
STATES = ("up", "degraded", "down", "maintenance")
GRAINS = ("minute", "hour", "day")
# Upper bounds (ms) of the latency histogram's buckets; the last one is open.
HIST_BOUNDS_MS = (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7000, 10000)
HIST_COLUMNS = tuple(f"le_{b}" for b in HIST_BOUNDS_MS) + ("le_inf",)

monitors = Table(
    "monitors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("service_id", String(50), nullable=False),
    Column("name", String(100), nullable=False),
    Column("type", String(8), nullable=False),
    Column("url", String(2000)),
    Column("host", String(255)),
    Column("port", Integer),
    Column("push_token", String(64), unique=True),
    Column("method", String(8), nullable=False, server_default="GET"),
    Column("headers", JSONType, nullable=False),
    Column("body", Text),
    Column("expected_status", JSONType, nullable=False),
    Column("follow_redirects", Boolean, nullable=False, server_default="1"),
    Column("keyword", String(500)),
    Column("keyword_absent", Boolean, nullable=False, server_default="0"),
    Column("json_path", String(500)),
    Column("json_expected", String(500)),
    Column("tls_days_min", Integer),
    # Gatus-style conditions as written (checked on write, parsed again on load).
    Column("conditions", JSONType, nullable=False, server_default="[]"),
    Column("interval_s", Float, nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("grace_s", Float, nullable=False),
    Column("failures_before_down", Integer, nullable=False),
    Column("successes_before_up", Integer, nullable=False),
    Column("degraded_ms", Integer, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["tenant_id", "service_id"],
        ["services.tenant_id", "services.id"],
        name="fk_monitors_service",
        ondelete="CASCADE",
    ),
    CheckConstraint("type IN ('http', 'tcp', 'tls', 'push')", name="type"),
    Index("ix_monitors_tenant_service", "tenant_id", "service_id"),
)

# What the runner knows about a monitor, written with every batch, read back on start, so
# a restart neither repeats an alert nor forgets an outage. ``last_push_at`` is written by
# the push endpoint only.
monitor_state = Table(
    "monitor_state",
    metadata,
    Column("monitor_id", Integer, ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True),
    Column("state", String(12)),
    Column("since", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("consecutive_successes", Integer, nullable=False, server_default="0"),
    Column("pending_since", UTCDateTime),
    Column("last_check_at", UTCDateTime),
    Column("accounted_until", UTCDateTime),
    Column("last_status", String(12)),
    Column("last_response_ms", Float),
    Column("last_error_type", String(32)),
    Column("last_error_message", Text),
    Column("last_push_at", UTCDateTime),
    # Checks run since the monitor was created (maintenance excluded): the Prometheus
    # counter, kept here so ``/metrics`` does not sum a year of rollups on every scrape.
    Column("checks_total", BigInteger, nullable=False, server_default="0"),
)

# The PRD's ``watch_server_logs``: every abnormal result for the long retention, every
# result for the short one (docs/status.md, "Storage and retention"). A monitor is checked
# at most once per instant, so (monitor, at) is the key: no surrogate id, no second index
# (a year of 1,000 monitors must fit in 1 GB). On SQLite the rows live in the key's tree.
check_results = Table(
    "check_results",
    metadata,
    Column("monitor_id", Integer, ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True),
    Column("at", UTCDateTime, primary_key=True),
    Column("status", String(12), nullable=False),
    Column("is_success", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("response_ms", Float),
    Column("error_type", String(32)),
    Column("error_message", Text),
    # Per-phase timings of abnormal results only (what explains a slow or failed check).
    Column("timings", JSONType),
    CheckConstraint("status IN ('up', 'degraded', 'down', 'maintenance')", name="status"),
    sqlite_with_rowid=False,
)


def _counter(name: str, kind: type[Integer] | type[Float[float]] = Integer) -> Column[Any]:
    return Column(name, kind, nullable=False, server_default="0")


# Per monitor and minute / hour / tenant-local day. Counts are by checks; the ``*_s``
# columns are by time (see docs/status.md). A row holds at most a day of checks (172,800
# at the 0.5 s interval floor), so its counters are 4-byte integers; ``sum_ms`` is 8 bytes.
# Sums over many rows are computed by the database in 64 bits.
check_rollups = Table(
    "check_rollups",
    metadata,
    Column("monitor_id", Integer, ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True),
    Column("grain", String(8), primary_key=True),
    Column("bucket_start", UTCDateTime, primary_key=True),
    _counter("checks"),
    _counter("ok"),
    _counter("degraded"),
    _counter("failed"),
    _counter("maintenance"),
    _counter("observed_s", Float),
    _counter("downtime_s", Float),
    _counter("degraded_s", Float),
    _counter("maintenance_s", Float),
    _counter("timed"),
    Column("sum_ms", BigInteger, nullable=False, server_default="0"),
    Column("min_ms", Integer),
    Column("max_ms", Integer),
    *(_counter(name) for name in HIST_COLUMNS),
    CheckConstraint("grain IN ('minute', 'hour', 'day')", name="grain"),
    sqlite_with_rowid=False,
)

# One row per state a monitor was in; ``ended_at`` is NULL for the current one. A gap
# between one row's end and the next row's start is time the watch server did not run.
status_timeline = Table(
    "status_timeline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("monitor_id", Integer, ForeignKey("monitors.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(12), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("error_type", String(32)),
    Column("message", Text),
    Index("ix_status_timeline_monitor_started", "monitor_id", "started_at"),
)

# Views over the hour and day rollups, with their monitor's tenant and service: the
# ``monitor_hours`` and ``monitor_days`` datasets of the KPI engine (ingest.datasets). They
# are created by migration ``watch_0009``; their own metadata keeps them out of anything
# that creates tables. ``latency_le_<ms>`` are the histogram's buckets.
views = MetaData()
ROLLUP_VIEW_COUNTERS = (
    "checks",
    "ok",
    "degraded",
    "failed",
    "maintenance",
    "observed_s",
    "downtime_s",
    "degraded_s",
    "maintenance_s",
    "timed",
    "sum_ms",
    "min_ms",
    "max_ms",
)
LATENCY_COLUMNS = tuple(f"latency_{c}" for c in HIST_COLUMNS)


def _rollup_view(name: str, time_column: str) -> Table:
    counters = [Column(c, Float if c.endswith("_s") else BigInteger) for c in ROLLUP_VIEW_COUNTERS]
    return Table(
        name,
        views,
        Column("tenant_id", Integer, nullable=False),
        Column("service", String(50), nullable=False),
        Column("monitor", String(100), nullable=False),
        Column(time_column, UTCDateTime, nullable=False),
        *counters,
        *(Column(c, BigInteger) for c in LATENCY_COLUMNS),
    )


monitor_hours = _rollup_view("monitor_hours", "hour")
monitor_days = _rollup_view("monitor_days", "day")
