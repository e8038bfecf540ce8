"""ingest: no per-row foreign key check on the event tables; a trigger cascades instead

PostgreSQL checks a foreign key once per inserted row (a lookup and a row lock on
``tenants``): about 10 µs a row, as much as writing the row and its five indexes, so the
key on ``service_requests.tenant_id`` and ``deployments.tenant_id`` halved the speed of a
bulk ingestion. Their ``tenant_id`` is always the authenticated caller's tenant; what the
key still gave, deleting a tenant's events with the tenant, a trigger on ``tenants`` does.

Revision ID: ingest_0011
Revises: 0010
Create Date: 2026-11-23 16:40:00
"""

from __future__ import annotations

from alembic import op

revision = "ingest_0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("service_requests", "deployments")

SQLITE_TRIGGER = """
CREATE TRIGGER tenants_delete_events AFTER DELETE ON tenants
BEGIN
    DELETE FROM service_requests WHERE tenant_id = old.id;
    DELETE FROM deployments WHERE tenant_id = old.id;
END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION tenants_delete_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM service_requests WHERE tenant_id = OLD.id;
    DELETE FROM deployments WHERE tenant_id = OLD.id;
    RETURN OLD;
END
$$
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER tenants_delete_events AFTER DELETE ON tenants "
    "FOR EACH ROW EXECUTE FUNCTION tenants_delete_events()"
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_tenant_id_tenants", type_="foreignkey")
    if op.get_context().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER tenants_delete_events")
    else:
        op.execute("DROP TRIGGER tenants_delete_events ON tenants")
        op.execute("DROP FUNCTION tenants_delete_events()")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_tenant_id_tenants",
                "tenants",
                ["tenant_id"],
                ["id"],
                ondelete="CASCADE",
            )
