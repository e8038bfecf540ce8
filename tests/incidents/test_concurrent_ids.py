"""Fifty incidents created at once get fifty distinct, gapless ids, on both engines.

The creates run as concurrent service calls, each in its own write transaction on its
own pooled connection (real concurrency on PostgreSQL; SQLite serialises its writers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.incidents import service
from kpiwatch.incidents.schemas import IncidentIn


def test_it_gives_50_concurrent_creates_50_distinct_ids(
    client: TestClient, db: Database, clock: Clock, run: Callable[..., Any]
) -> None:
    caller = Caller(1, "default", clock.now(), name="bob", role="reporter")
    inside = most = 0

    async def create(n: int) -> str:
        nonlocal inside, most
        async with db.write() as conn:
            inside += 1
            most = max(most, inside)
            body = IncidentIn(title=f"incident {n}", severity="low")
            incident = await service.create_incident(conn, caller, body)
            inside -= 1
        return str(incident["id"])

    async def create_all() -> list[str]:
        return await asyncio.gather(*(create(n) for n in range(50)))

    ids = run(create_all)
    # PostgreSQL really had several creating transactions open at once.
    assert most == 1 if db.is_sqlite else most > 1
    assert len(set(ids)) == 50
    assert sorted(ids) == [f"inc-2026-{n:03d}" for n in range(1, 51)]
    listed = client.get("/api/incidents?limit=100").json()
    assert listed["pagination"]["total"] == 50
    updates = {u["id"] for i in listed["incidents"] for u in i["updates"]}
    assert updates == {f"upd-2026-{n:03d}" for n in range(1, 51)}


def test_it_gives_concurrent_http_creates_distinct_ids(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    bob = headers("bob")

    def post(n: int) -> str:
        response = client.post(
            "/api/incidents", json={"title": f"t{n}", "severity": "low"}, headers=bob
        )
        assert response.status_code == 201, response.text
        return str(response.json()["incident"]["id"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = list(pool.map(post, range(20)))
    assert sorted(ids) == [f"inc-2026-{n:03d}" for n in range(1, 21)]
