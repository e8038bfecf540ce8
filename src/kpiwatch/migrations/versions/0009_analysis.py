"""analysis: N-1 vs N results, their cells, analysis jobs, user preferences

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 14:00:00

Results keep the computed table and the narrative as JSON (JSONB on PostgreSQL);
``analysis_result_cells`` indexes which NEs and cells a result covers. Jobs are rows
claimed by workers with a conditional UPDATE (see ``kpiwatch.ran.jobs``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def _user_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "analysis_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ne_id", sa.String(255), nullable=False),
        sa.Column("cell_id", sa.String(255), nullable=False),
        sa.Column("analysis_date", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("time_ranges", JSON, nullable=False),
        sa.Column("peg_metrics", JSON, nullable=False),
        sa.Column("llm_analysis", JSON, nullable=False),
        sa.Column("meta", JSON, nullable=False),
        sa.Column("legacy_payload", JSON),
        sa.Column("analyzer", sa.String(120)),
        sa.Column("job_id", sa.String(32)),
        sa.Column("created_by", sa.Integer()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'success', 'warning', 'error')",
            name=op.f("ck_analysis_results_status"),
        ),
        _tenant_fk("analysis_results"),
        _user_fk("analysis_results", "created_by", "SET NULL"),
    )
    op.create_index(
        "ix_analysis_results_tenant_date", "analysis_results", ["tenant_id", "analysis_date"]
    )
    op.create_table(
        "analysis_result_cells",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("ne", sa.String(255), nullable=False),
        sa.Column("cell", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["analysis_results.id"],
            name=op.f("fk_analysis_result_cells_result_id_analysis_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "ne", "cell"),
    )
    op.create_index(
        "ix_analysis_result_cells_tenant_ne", "analysis_result_cells", ["tenant_id", "ne"]
    )
    op.create_index(
        "ix_analysis_result_cells_tenant_cell", "analysis_result_cells", ["tenant_id", "cell"]
    )
    op.create_table(
        "analysis_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("username", sa.String(150)),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("result_id", sa.Integer()),
        sa.Column("worker", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("heartbeat_at", TS),
        sa.Column("finished_at", TS),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_analysis_jobs_status"),
        ),
        _tenant_fk("analysis_jobs"),
        _user_fk("analysis_jobs", "user_id", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["analysis_results.id"],
            name=op.f("fk_analysis_jobs_result_id_analysis_results"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_analysis_jobs_status_created", "analysis_jobs", ["status", "created_at"])
    op.create_index("ix_analysis_jobs_tenant_created", "analysis_jobs", ["tenant_id", "created_at"])
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(50), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _tenant_fk("preferences"),
        _user_fk("preferences", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )


def downgrade() -> None:
    for table in ("preferences", "analysis_jobs", "analysis_result_cells", "analysis_results"):
        op.drop_table(table)
