"""The watch runner's transitions become status-update / uptime-updated events, per tenant
room, only when a service's status (the worst of its monitors) or today's code changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.models import tenants
from kpiwatch.realtime import room_key
from kpiwatch.realtime.watch_events import WatchEvents
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.target import Target

T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
Published = tuple[str, dict[str, Any], str | None]


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock, WatchSettings(min_interval_s=1, enabled=False))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def targets(client: TestClient) -> Iterator[tuple[Target, Target]]:
    pair = (Target(), Target())
    assert client.portal is not None
    for target in pair:
        client.portal.call(target.start)
    yield pair
    for target in pair:
        client.portal.call(target.stop)


class Watch:
    """A tick-driven runner with ``WatchEvents`` attached, recording what the bus carries."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        assert client.portal is not None
        self.portal = client.portal
        self.clock = clock
        app: Any = client.app
        self.published: list[Published] = []
        app.state.events.subscribe(self._record)
        self.runner = Runner(app.state.db, WatchSettings(min_interval_s=1), clock)
        self.events = WatchEvents(self.runner, app.state.events, app.state.db, clock)
        self.portal.call(self.runner.start)
        self.portal.call(self._start_events)

    async def _record(self, event: str, data: dict[str, Any], room: str | None) -> None:
        self.published.append((event, data, room))

    async def _start_events(self) -> None:
        self.events.start()

    def tick(self, second: int) -> None:
        now = T0 + timedelta(seconds=second)
        self.clock.freeze(now)
        self.portal.call(self.runner.tick, now)
        self.portal.call(self.events.drained)

    def take(self, event: str) -> list[tuple[dict[str, Any], str | None]]:
        taken = [(data, room) for name, data, room in self.published if name == event]
        self.published = [p for p in self.published if p[0] != event]
        return taken

    def close(self) -> None:
        self.portal.call(self.events.close)
        self.portal.call(self.runner.close)


@pytest.fixture
def watch(client: TestClient, clock: Clock) -> Iterator[Watch]:
    running = Watch(client, clock)
    yield running
    running.close()


@pytest.fixture
def add_monitor(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> Callable[[str, str], None]:
    admin = headers("alice")

    def add(service_id: str, url: str) -> None:
        if client.get(f"/api/services/{service_id}").status_code == 404:
            body = {"id": service_id, "name": service_id}
            assert client.post("/api/services", json=body, headers=admin).status_code == 201
        monitor = {
            "service_id": service_id,
            "name": url,
            "type": "http",
            "url": url,
            "interval_s": 1,
            "timeout_s": 0.5,
            "failures_before_down": 1,
        }
        assert client.post("/api/monitors", json=monitor, headers=admin).status_code == 201

    return add


def _default_tenant(client: TestClient) -> int:
    async def read() -> int:
        async with client.app.state.db.read() as conn:  # type: ignore[attr-defined]
            found = await conn.execute(select(tenants.c.id).where(tenants.c.slug == "default"))
            return int(found.scalar_one())

    assert client.portal is not None
    return client.portal.call(read)


def test_it_publishes_a_status_update_only_when_the_service_status_changes(
    client: TestClient,
    watch: Watch,
    targets: tuple[Target, Target],
    add_monitor: Callable[[str, str], None],
) -> None:
    first, second = targets
    add_monitor("api", first.url)
    add_monitor("api", second.url)
    add_monitor("web", first.url)
    watch.portal.call(watch.runner.load)
    status_room = room_key(_default_tenant(client), "system-status")

    watch.tick(0)
    assert sorted((d["serviceId"], d["status"], r) for d, r in watch.take("status-update")) == [
        ("api", "operational", status_room),
        ("web", "operational", status_room),
    ]
    second.mode = "error"
    watch.tick(1)
    assert [d for d, _ in watch.take("status-update")] == [
        {"serviceId": "api", "status": "partial_outage", "timestamp": "2026-03-02T09:00:01Z"}
    ]
    watch.tick(2)  # still one monitor down: no change, no event
    assert watch.take("status-update") == []
    first.mode = "error"
    watch.tick(3)
    assert sorted((d["serviceId"], d["status"]) for d, _ in watch.take("status-update")) == [
        ("api", "major_outage"),
        ("web", "major_outage"),
    ]
    first.mode = second.mode = "up"
    watch.tick(4)  # results are applied one by one: api passes through a partial outage
    published = [(d["serviceId"], d["status"]) for d, _ in watch.take("status-update")]
    assert sorted(published) == [
        ("api", "operational"),
        ("api", "partial_outage"),
        ("web", "operational"),
    ]
    assert [p for p in published if p[0] == "api"][-1] == ("api", "operational")


def test_it_publishes_today_s_code_once_the_downtime_is_stored(
    client: TestClient,
    watch: Watch,
    targets: tuple[Target, Target],
    add_monitor: Callable[[str, str], None],
) -> None:
    first, _ = targets
    add_monitor("api", first.url)
    watch.portal.call(watch.runner.load)
    uptime_room = room_key(_default_tenant(client), "uptime")

    watch.tick(0)  # a first check observes no time yet
    assert watch.take("uptime-updated") == [
        ({"serviceId": "api", "date": "2026-03-02", "status": "nd"}, uptime_room)
    ]
    first.mode = "error"
    watch.tick(1)  # [0 s, 1 s) was up; down from this check on, no downtime stored yet
    assert watch.take("uptime-updated") == [
        ({"serviceId": "api", "date": "2026-03-02", "status": "o"}, uptime_room)
    ]
    [(metrics, _)] = watch.take("sla-metrics-updated")[-1:]
    assert metrics["metrics"]["downtimeMinutes"] == 0
    watch.tick(2)  # [1 s, 2 s) was down: half the observed day, a major outage
    assert watch.take("uptime-updated") == [
        ({"serviceId": "api", "date": "2026-03-02", "status": "mo"}, uptime_room)
    ]
    watch.tick(3)  # no transition, but the down service is re-read: still "mo", no event
    assert watch.take("uptime-updated") == []
