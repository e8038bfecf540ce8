"""merge the slices' branches (kpi indexes, watch conditions, incidents, kpi totals)

Revision ID: 0007
Revises: 0004, watch_0004, 0005, 0006
Create Date: 2026-11-23 12:50:00

The slices added their migrations side by side during one session; this joins them so
the next migration has a single parent.
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0004", "watch_0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
