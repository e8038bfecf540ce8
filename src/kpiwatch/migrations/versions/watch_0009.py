"""watch: a year of checks in under 1 GB; the rollups as KPI datasets

Revision ID: watch_0009
Revises: 0008
Create Date: 2026-11-24 14:00:00

- ``check_results`` is keyed by (monitor_id, at): no surrogate id, no index on ``at``
  alone (the daily prune scans the table once instead); on SQLite a WITHOUT ROWID table.
- ``check_rollups`` counters are 4-byte integers on PostgreSQL (a row holds at most a day
  of checks; ``sum_ms`` stays 8 bytes), without the (grain, bucket_start) index; on SQLite
  a WITHOUT ROWID table (its integers are variable-length already).
- ``monitor_state.checks_total``: the checks counter of ``/metrics``, filled from the day
  rollups.
- views ``monitor_hours`` and ``monitor_days`` (``kpiwatch.watch.models``): the rollups
  with their monitor's tenant and service, read by KPI formulas.

A later migration that rebuilds ``check_rollups`` or ``monitors`` must drop the two views
first and create them again after (SQLite refuses to rename a table a view reads).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision = "watch_0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HIST = (
    "le_50",
    "le_100",
    "le_200",
    "le_300",
    "le_500",
    "le_750",
    "le_1000",
    "le_1500",
    "le_2000",
    "le_3000",
    "le_5000",
    "le_7000",
    "le_10000",
    "le_inf",
)
NARROWED = ("checks", "ok", "degraded", "failed", "maintenance", "timed", *HIST)
VIEW_COLUMNS = (
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
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _create_views() -> None:
    columns = ", ".join([f"r.{c}" for c in VIEW_COLUMNS] + [f"r.{c} AS latency_{c}" for c in HIST])
    for view, grain, time_column in (
        ("monitor_hours", "hour", "hour"),
        ("monitor_days", "day", "day"),
    ):
        op.execute(
            f"CREATE VIEW {view} AS SELECT m.tenant_id AS tenant_id, m.service_id AS service, "
            f"m.name AS monitor, r.bucket_start AS {time_column}, {columns} "
            "FROM check_rollups r JOIN monitors m ON m.id = r.monitor_id "
            f"WHERE r.grain = '{grain}'"
        )


def _drop_views() -> None:
    op.execute("DROP VIEW IF EXISTS monitor_hours")
    op.execute("DROP VIEW IF EXISTS monitor_days")


def _results_table(with_id: bool) -> list[SchemaItem]:
    key = ["id"] if with_id else ["monitor_id", "at"]
    items: list[SchemaItem] = []
    if with_id:
        items.append(sa.Column("id", sa.Integer(), nullable=False))
    items += [
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("is_success", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("error_type", sa.String(length=32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("timings", JSON, nullable=True),
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
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_check_results")),
    ]
    return items


def _sqlite_rebuild(table: str, columns: str, create: list[SchemaItem], rowid: bool) -> None:
    """Copy ``table`` into a new table made by ``create`` (SQLite cannot change a key)."""
    op.create_table(f"{table}_new", *create, sqlite_with_rowid=rowid)
    op.execute(f"INSERT OR IGNORE INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    op.drop_table(table)
    op.rename_table(f"{table}_new", table)


RESULT_COLUMNS = (
    "monitor_id, at, status, is_success, status_code, response_ms, error_type, "
    "error_message, timings"
)


def upgrade() -> None:
    with op.batch_alter_table("monitor_state") as batch_op:
        batch_op.add_column(
            sa.Column("checks_total", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE monitor_state SET checks_total = COALESCE((SELECT sum(r.checks) "
        "FROM check_rollups r WHERE r.monitor_id = monitor_state.monitor_id "
        "AND r.grain = 'day'), 0)"
    )
    op.drop_index("ix_check_rollups_grain_bucket", table_name="check_rollups")
    op.drop_index("ix_check_results_at", table_name="check_results")
    op.drop_index("ix_check_results_monitor_at", table_name="check_results")
    if op.get_bind().dialect.name == "postgresql":
        narrowed = ", ".join(f"ALTER COLUMN {c} TYPE integer" for c in NARROWED)
        op.execute(f"ALTER TABLE check_rollups {narrowed}")
        # Two results of one monitor at one instant cannot both be kept under the new key.
        op.execute(
            "DELETE FROM check_results a USING check_results b WHERE a.monitor_id = "
            "b.monitor_id AND a.at = b.at AND a.id > b.id"
        )
        op.execute(
            "ALTER TABLE check_results DROP CONSTRAINT pk_check_results, DROP COLUMN id, "
            "ADD CONSTRAINT pk_check_results PRIMARY KEY (monitor_id, at)"
        )
    else:
        _sqlite_rebuild("check_results", RESULT_COLUMNS, _results_table(False), rowid=False)
        with op.batch_alter_table(
            "check_rollups", recreate="always", table_kwargs={"sqlite_with_rowid": False}
        ) as batch_op:
            for column in NARROWED:
                batch_op.alter_column(column, type_=sa.Integer(), existing_nullable=False)
    _create_views()


def downgrade() -> None:
    _drop_views()
    if op.get_bind().dialect.name == "postgresql":
        widened = ", ".join(f"ALTER COLUMN {c} TYPE bigint" for c in NARROWED)
        op.execute(f"ALTER TABLE check_rollups {widened}")
        op.execute(
            "ALTER TABLE check_results DROP CONSTRAINT pk_check_results, "
            "ADD COLUMN id bigserial, ADD CONSTRAINT pk_check_results PRIMARY KEY (id)"
        )
    else:
        _sqlite_rebuild("check_results", RESULT_COLUMNS, _results_table(True), rowid=True)
        with op.batch_alter_table(
            "check_rollups", recreate="always", table_kwargs={"sqlite_with_rowid": True}
        ) as batch_op:
            for column in NARROWED:
                batch_op.alter_column(column, type_=sa.BigInteger(), existing_nullable=False)
    op.create_index("ix_check_results_monitor_at", "check_results", ["monitor_id", "at"])
    op.create_index("ix_check_results_at", "check_results", ["at"])
    op.create_index("ix_check_rollups_grain_bucket", "check_rollups", ["grain", "bucket_start"])
    with op.batch_alter_table("monitor_state") as batch_op:
        batch_op.drop_column("checks_total")
