"""merge the slices' branches (RAN analysis, notifications, watch storage)

Revision ID: 0010
Revises: 0009, notify_0009, watch_0009
Create Date: 2026-11-23 14:25:00

Three slices added migrations beside each other after 0008; this joins them so the next
migration has a single parent.
"""

from __future__ import annotations

revision = "0010"
down_revision = ("0009", "notify_0009", "watch_0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
