"""Watch fixtures: an app that allows 1 s intervals, a scripted loopback target, and a
runner driven tick by tick on the app's own event loop with the fixed clock."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.sql import Select

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_rollups
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.spec import CheckResult
from kpiwatch.watch.target import Target

T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")


@pytest.fixture
def watch_settings() -> WatchSettings:
    return WatchSettings(min_interval_s=1, enabled=False)


@pytest.fixture
def client(settings: Settings, clock: Clock, watch_settings: WatchSettings) -> Iterator[TestClient]:
    app = create_app(settings, clock, watch_settings)
    with TestClient(app, client=("203.0.113.7", 50000)) as test_client:
        yield test_client


@pytest.fixture
def target(client: TestClient) -> Iterator[Target]:
    scripted = Target()
    assert client.portal is not None
    client.portal.call(scripted.start)
    yield scripted
    client.portal.call(scripted.stop)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Driver:
    """Drives a ``Runner`` on the test client's loop: ``tick(s)`` checks at T0 + s."""

    def __init__(self, client: TestClient, clock: Clock, settings: WatchSettings) -> None:
        assert client.portal is not None
        self.portal = client.portal
        self.clock = clock
        self.db = client.app.state.db  # type: ignore[attr-defined]
        self.runner = Runner(self.db, settings, clock)
        self.portal.call(self.runner.start)

    def at(self, second: float) -> datetime:
        """Set the fixed clock to T0 + ``second``."""
        now = T0 + timedelta(seconds=second)
        self.clock.freeze(now)
        return now

    def tick(self, second: float) -> list[CheckResult]:
        return self.portal.call(self.runner.tick, self.at(second))

    def ticks(self, seconds: range) -> list[CheckResult]:
        return [r for s in seconds for r in self.tick(s)]

    def load(self) -> None:
        self.portal.call(self.runner.load)

    def restart(self) -> None:
        self.close()
        self.runner = Runner(self.db, self.runner.settings, self.clock)
        self.portal.call(self.runner.start)

    def rows(self, query: Select[Any]) -> list[dict[str, Any]]:
        async def run() -> list[dict[str, Any]]:
            async with self.db.read() as conn:
                return [dict(r._mapping) for r in await conn.execute(query)]

        return self.portal.call(run)

    def rollup(self, monitor_id: int, grain: str) -> list[dict[str, Any]]:
        return self.rows(
            select(check_rollups)
            .where(check_rollups.c.monitor_id == monitor_id, check_rollups.c.grain == grain)
            .order_by(check_rollups.c.bucket_start)
        )

    def close(self) -> None:
        self.portal.call(self.runner.close)


@pytest.fixture
def driver(client: TestClient, clock: Clock, watch_settings: WatchSettings) -> Iterator[Driver]:
    running = Driver(client, clock, watch_settings)
    yield running
    running.close()


@pytest.fixture
def make_monitor(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> Callable[..., dict[str, Any]]:
    """Create (once) the service ``api`` and a monitor on it as alice; returns the monitor."""
    admin = headers("alice")

    def make(**fields: Any) -> dict[str, Any]:
        service_id = fields.pop("service_id", "api")
        if client.get(f"/api/services/{service_id}").status_code == 404:
            created = client.post(
                "/api/services",
                json={"id": service_id, "name": service_id.upper()},
                headers=admin,
            )
            assert created.status_code == 201, created.text
        body = {
            "service_id": service_id,
            "name": "health",
            "type": "http",
            "interval_s": 1,
            "timeout_s": 0.5,
            **fields,
        }
        response = client.post("/api/monitors", json=body, headers=admin)
        assert response.status_code == 201, response.text
        monitor: dict[str, Any] = response.json()["monitor"]
        return monitor

    return make
