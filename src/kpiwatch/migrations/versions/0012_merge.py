"""merge the speed work's branches (ingest, KPI values, RAN day rollup)

Revision ID: 0012
Revises: ingest_0011, kpi_0011, ran_0011
Create Date: 2026-11-23 17:25:00

Three slices added migrations beside each other after 0010; this joins them so the next
migration has a single parent.
"""

from __future__ import annotations

revision = "0012"
down_revision = ("ingest_0011", "kpi_0011", "ran_0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
