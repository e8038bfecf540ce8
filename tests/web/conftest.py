"""Page fixtures: services with a monitor each, their stored states and day rollups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from kpiwatch.core.db import Database
from kpiwatch.watch.models import check_rollups, monitor_state


@pytest.fixture
def seed_service(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> Callable[..., int]:
    """``seed(id, state=…, group=…, days={"2026-03-01": (observed, down, maintenance)})``:
    a service with one monitor in ``state`` and those day rollups; returns the monitor id."""
    admin = headers("alice")

    def seed(
        service_id: str,
        state: str | None = "up",
        group: str | None = None,
        days: dict[str, tuple[float, float, float]] | None = None,
        tenant: str = "default",
    ) -> int:
        body = {"id": service_id, "name": service_id.replace("-", " ").title(), "group": group}
        auth = admin if tenant == "default" else headers("dave")
        assert client.post("/api/services", json=body, headers=auth).status_code == 201
        monitor = {
            "service_id": service_id,
            "name": "health",
            "type": "http",
            "url": "http://127.0.0.1:9/health",
        }
        answer = client.post("/api/monitors", json=monitor, headers=auth)
        assert answer.status_code == 201, answer.text
        monitor_id: int = answer.json()["monitor"]["id"]
        _store(client, monitor_id, state, days or {})
        return monitor_id

    return seed


def _store(
    client: TestClient,
    monitor_id: int,
    state: str | None,
    days: dict[str, tuple[float, float, float]],
) -> None:
    async def run() -> None:
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        async with db.write() as conn:
            if state is not None:
                await conn.execute(
                    insert(monitor_state).values(
                        monitor_id=monitor_id,
                        state=state,
                        last_check_at=datetime(2026, 3, 2, 8, 59, tzinfo=UTC),
                    )
                )
            rows: list[dict[str, Any]] = [
                {
                    "monitor_id": monitor_id,
                    "grain": "day",
                    "bucket_start": datetime.fromisoformat(day).replace(tzinfo=UTC),
                    "checks": 1440,
                    "ok": 1440,
                    "observed_s": observed,
                    "downtime_s": down,
                    "maintenance_s": maint,
                }
                for day, (observed, down, maint) in days.items()
            ]
            if rows:
                await conn.execute(insert(check_rollups), rows)

    assert client.portal is not None
    client.portal.call(run)
