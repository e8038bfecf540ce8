from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from kpiwatch.core.models import tenants
from kpiwatch.ingest.models import deployments, service_requests

NDJSON = {"Content-Type": "application/x-ndjson"}
REQUEST = b'{"id":"SR-1","service":"mail","status":"open","created_at":"2026-02-01T08:00:00Z"}\n'
DEPLOYMENT = (
    b'{"id":"D1","service":"erp","status":"in_progress","started_at":"2026-02-01T10:00:00Z"}\n'
)


def test_it_deletes_a_tenants_events_with_the_tenant(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    for persona in ("bob", "dave"):
        auth = headers(persona) | NDJSON
        assert client.post("/api/ingest/service_requests", content=REQUEST, headers=auth).is_success
        assert client.post("/api/ingest/deployments", content=DEPLOYMENT, headers=auth).is_success

    async def delete_acme() -> list[list[int]]:
        db = client.app.state.db  # type: ignore[attr-defined]
        async with db.write() as conn:
            await conn.execute(delete(tenants).where(tenants.c.slug == "acme"))
        async with db.read() as conn:
            return [
                list((await conn.execute(select(table.c.tenant_id))).scalars())
                for table in (service_requests, deployments)
            ]

    # Only the default tenant's (id 1) rows are left.
    assert client.portal.call(delete_acme) == [[1], [1]]  # type: ignore[union-attr]
