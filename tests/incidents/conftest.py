"""Incident fixtures: services to affect, a helper that opens incidents, the app's own
database and event bus, and monitor states written as the watch runner stores them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Executable, insert
from tests.incidents.receivers import receiver, smtp  # noqa: F401  (notification fixtures)

from kpiwatch.core.db import Database
from kpiwatch.core.events import EventBus
from kpiwatch.watch.models import monitor_state

Headers = Callable[[str], dict[str, str]]
SERVICES = ("id-recognition", "face-liveness", "face-compare")


@pytest.fixture
def db(client: TestClient) -> Database:
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    return database


@pytest.fixture
def run(client: TestClient) -> Callable[..., Any]:
    """Run a coroutine function on the app's event loop."""
    assert client.portal is not None
    portal = client.portal
    return lambda fn, *args: portal.call(fn, *args)


@pytest.fixture
def rows(db: Database, run: Callable[..., Any]) -> Callable[[Executable], list[dict[str, Any]]]:
    async def fetch(statement: Executable) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return [dict(r._mapping) for r in await conn.execute(statement)]

    return lambda statement: run(fetch, statement)


@pytest.fixture
def services(client: TestClient, headers: Headers) -> tuple[str, ...]:
    """The PRD's services in the ``default`` tenant."""
    admin = headers("alice")
    for service_id in SERVICES:
        name = service_id.replace("-", " ").title()
        response = client.post(
            "/api/services", json={"id": service_id, "name": name}, headers=admin
        )
        assert response.status_code == 201, response.text
    return SERVICES


@pytest.fixture
def open_incident(client: TestClient, headers: Headers) -> Callable[..., dict[str, Any]]:
    """POST an incident as bob (or ``as_``) and return it."""

    def create(as_: str = "bob", **fields: Any) -> dict[str, Any]:
        body = {"title": "서비스 응답 지연", "severity": "high", **fields}
        response = client.post("/api/incidents", json=body, headers=headers(as_))
        assert response.status_code == 201, response.text
        incident: dict[str, Any] = response.json()["incident"]
        return incident

    return create


@pytest.fixture
def published(client: TestClient) -> Iterator[list[tuple[str, dict[str, Any], str | None]]]:
    """Every event the app publishes on its bus, in order."""
    seen: list[tuple[str, dict[str, Any], str | None]] = []

    async def collect(event: str, data: dict[str, Any], room: str | None) -> None:
        seen.append((event, data, room))

    bus: EventBus = client.app.state.events  # type: ignore[attr-defined]
    bus.subscribe(collect)
    yield seen


@pytest.fixture
def monitor_states(
    client: TestClient, headers: Headers, db: Database, run: Callable[..., Any]
) -> Callable[..., None]:
    """Give ``service`` monitors in the given states (as the runner stores them)."""
    admin = headers("alice")
    count = iter(range(1, 1000))

    def give(service: str, *states: tuple[str, float | None, datetime | None]) -> None:
        ids = []
        for _ in states:
            body = {
                "service_id": service,
                "name": f"check-{next(count)}",
                "type": "http",
                "url": "http://127.0.0.1:9/health",
            }
            response = client.post("/api/monitors", json=body, headers=admin)
            assert response.status_code == 201, response.text
            ids.append(response.json()["monitor"]["id"])

        async def store() -> None:
            async with db.write() as conn:
                for monitor_id, (state, response_ms, since) in zip(ids, states, strict=True):
                    await conn.execute(
                        insert(monitor_state).values(
                            monitor_id=monitor_id,
                            state=state,
                            since=since,
                            last_check_at=since,
                            last_status=state,
                            last_response_ms=response_ms,
                        )
                    )

        run(store)

    return give
