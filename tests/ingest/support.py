"""What the ingestion tests share: NDJSON bodies and the stored service requests."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.ingest.models import service_requests

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(*rows: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def stored(client: TestClient) -> list[dict[str, Any]]:
    """Every stored service request, by id, read through the app's own database."""

    async def read() -> list[dict[str, Any]]:
        async with client.app.state.db.read() as conn:  # type: ignore[attr-defined]
            rows = await conn.execute(select(service_requests).order_by(service_requests.c.id))
            return [dict(r._mapping) for r in rows]

    return client.portal.call(read)  # type: ignore[union-attr]
