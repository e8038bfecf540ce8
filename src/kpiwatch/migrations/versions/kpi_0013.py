"""kpi values: no per-row foreign key check; a trigger deletes a KPI's values with it

A two-year daily backfill per service stores ~37,000 values at once, and PostgreSQL
checked ``kpi_values.kpi_id`` against ``kpi_definitions`` for each (a lookup and a row
lock): about 0.2 s of the server's CPU per backfill, half of what storing them cost.
Values are only written by ``kpi.calculate`` for a definition it has just read; what the
key still gave, deleting a KPI's values with the KPI (or with its tenant), a trigger on
``kpi_definitions`` does.

Revision ID: kpi_0013
Revises: 0012
Create Date: 2026-11-23 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "kpi_0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_kpi_values_kpi_id_kpi_definitions"
SQLITE_TRIGGER = """
CREATE TRIGGER kpi_definitions_delete_values AFTER DELETE ON kpi_definitions
BEGIN
    DELETE FROM kpi_values WHERE kpi_id = old.id;
END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION kpi_definitions_delete_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM kpi_values WHERE kpi_id = OLD.id;
    RETURN OLD;
END
$$
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER kpi_definitions_delete_values AFTER DELETE ON kpi_definitions "
    "FOR EACH ROW EXECUTE FUNCTION kpi_definitions_delete_values()"
)


def upgrade() -> None:
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
    if op.get_context().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER kpi_definitions_delete_values")
    else:
        op.execute("DROP TRIGGER kpi_definitions_delete_values ON kpi_definitions")
        op.execute("DROP FUNCTION kpi_definitions_delete_values()")
    with op.batch_alter_table("kpi_values", schema=None) as batch_op:
        batch_op.create_foreign_key(
            FOREIGN_KEY, "kpi_definitions", ["kpi_id"], ["id"], ondelete="CASCADE"
        )
