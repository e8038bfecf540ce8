"""Automatic incidents: a loopback target goes down and comes back, tick by tick, on the
fixed clock; the monitoring system opens, updates and resolves the incident by itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.incidents.automation import Automation
from kpiwatch.incidents.config import IncidentSettings
from kpiwatch.incidents.queries import Filters, list_incidents
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.target import Target

Headers = Callable[[str], dict[str, str]]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(
        settings,
        clock,
        WatchSettings(min_interval_s=1, enabled=False),
        IncidentSettings(auto_open_after_s=30, auto_quiet_s=10),
    )
    with TestClient(app, client=("203.0.113.7", 50000)) as test_client:
        yield test_client


class Scenario:
    """A target, a runner checking it every second, and the app's automation."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        assert client.portal is not None
        self.portal = client.portal
        self.clock = clock
        self.target = Target()
        self.portal.call(self.target.start)
        state = client.app.state  # type: ignore[attr-defined]
        self.automation: Automation = state.incident_automation
        self.runner = Runner(state.db, WatchSettings(min_interval_s=1, enabled=False), clock)
        self.portal.call(self.runner.start)
        self.touched: dict[int, list[str]] = {}

    def second(self, s: int, mode: str) -> None:
        """Check at T0 + ``s`` with the target in ``mode``, then evaluate the automation."""
        self.target.mode = mode
        now = T0 + timedelta(seconds=s)
        self.clock.freeze(now)
        self.portal.call(self.runner.tick, now)
        self.touched[s] = self.portal.call(self.automation.evaluate, now)

    def close(self) -> None:
        self.portal.call(self.runner.close)
        self.portal.call(self.target.stop)


@pytest.fixture
def scenario(
    client: TestClient, clock: Clock, headers: Headers
) -> Iterator[tuple[Scenario, dict[str, str]]]:
    admin = headers("alice")
    made = Scenario(client, clock)
    client.post("/api/services", json={"id": "api", "name": "API"}, headers=admin)
    monitor = {
        "service_id": "api",
        "name": "health",
        "type": "http",
        "url": made.target.url,
        "interval_s": 1,
        "timeout_s": 0.5,
    }
    assert client.post("/api/monitors", json=monitor, headers=admin).status_code == 201
    made.portal.call(made.runner.load)
    yield made, admin
    made.close()


def _opt_in(client: TestClient, admin: dict[str, str], after_s: int | None) -> None:
    response = client.put(
        "/api/services/api/auto-incidents",
        json={"enabled": True, "after_s": after_s},
        headers=admin,
    )
    assert response.json() == {"automation": {"enabled": True, "after_s": after_s}}


def test_it_opens_and_resolves_an_incident_when_the_target_goes_down_and_up(
    client: TestClient, scenario: tuple[Scenario, dict[str, str]]
) -> None:
    run, admin = scenario
    _opt_in(client, admin, 5)
    for s in range(0, 45):
        run.second(s, "error" if 10 <= s < 30 else "up")
    # Down from the first failure (10 s), open after 5 s of outage, monitoring on recovery
    # (30 s), resolved after the 10 s quiet period.
    assert {s: ids for s, ids in run.touched.items() if ids} == {
        15: ["inc-2026-001"],
        30: ["inc-2026-001"],
        40: ["inc-2026-001"],
    }
    body = client.get("/api/incidents/inc-2026-001", headers=admin).json()
    incident = body["incident"]
    assert incident["title"] == "API: major outage"
    assert incident["reporter"] == "monitoring system"
    assert (incident["severity"], incident["priority"]) == ("critical", "P1")
    assert incident["priority_inputs"]["services"]["api"]["status"] == "major_outage"
    assert incident["affected_services"] == ["api"]
    assert incident["detection_criteria"].startswith(
        f"health: 3 consecutive failed http checks of GET {run.target.url} "
        "(every 1 s, timeout 0.5 s, degraded above 7000 ms); last error http_error"
    )
    assert [(u["status"], u["author"], u["created_at"]) for u in incident["updates"]] == [
        ("investigating", "monitoring system", "2026-03-02T09:00:15Z"),
        ("monitoring", "monitoring system", "2026-03-02T09:00:30Z"),
        ("resolved", "monitoring system", "2026-03-02T09:00:40Z"),
    ]
    assert incident["created_at"] == "2026-03-02T09:00:15Z"
    assert (incident["resolution_time_s"], incident["automatic"]) == (25, True)


def test_it_uses_the_default_outage_time_and_ignores_services_not_opted_in(
    client: TestClient, scenario: tuple[Scenario, dict[str, str]]
) -> None:
    run, admin = scenario
    for s in range(0, 20):
        run.second(s, "error")
    assert not any(run.touched.values())
    _opt_in(client, admin, None)
    for s in range(20, 32):
        run.second(s, "error")
    # Down since 0 s; the default outage time is 30 s.
    assert {s: ids for s, ids in run.touched.items() if ids} == {30: ["inc-2026-001"]}


def test_it_leaves_an_incident_a_person_took_over(
    client: TestClient, scenario: tuple[Scenario, dict[str, str]], headers: Headers
) -> None:
    run, admin = scenario
    _opt_in(client, admin, 0)
    for s in range(0, 4):
        run.second(s, "error")
    assert run.touched[2] == ["inc-2026-001"]
    taken = client.post(
        "/api/incidents/inc-2026-001/updates",
        json={"status": "identified", "description": "bob looks at it"},
        headers=headers("bob"),
    )
    assert taken.json()["incident"]["automatic"] is False
    for s in range(4, 30):
        run.second(s, "up")
    assert not any(run.touched[s] for s in range(4, 30))
    incident = client.get("/api/incidents/inc-2026-001").json()["incident"]
    assert [u["status"] for u in incident["updates"]] == ["investigating", "identified"]


def test_it_notes_a_relapse_and_restarts_the_quiet_period(
    client: TestClient, scenario: tuple[Scenario, dict[str, str]]
) -> None:
    run, admin = scenario
    _opt_in(client, admin, 0)
    script = {s: "error" for s in (*range(0, 3), *range(10, 13))}
    for s in range(0, 35):
        run.second(s, script.get(s, "up"))
    incident = client.get("/api/incidents/inc-2026-001").json()["incident"]
    assert [(u["status"], u["created_at"][-3:-1]) for u in incident["updates"]] == [
        ("investigating", "02"),
        ("monitoring", "03"),
        ("monitoring", "12"),
        ("monitoring", "13"),
        ("resolved", "23"),
    ]
    assert "again" in incident["updates"][2]["description"]


def test_it_evaluates_as_soon_as_a_state_change_is_stored(
    client: TestClient, scenario: tuple[Scenario, dict[str, str]]
) -> None:
    run, admin = scenario
    _opt_in(client, admin, 0)
    run.automation.settings = IncidentSettings(auto_check_s=3600, auto_quiet_s=10)
    run.runner.flush_listeners.append(run.automation.on_stored)

    async def loop_until_opened() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run.automation.run(stop))
        for s in range(0, 3):
            run.target.mode = "error"
            now = T0 + timedelta(seconds=s)
            run.clock.freeze(now)
            await run.runner.tick(now)
        for _ in range(250):
            async with run.runner.db.read() as conn:
                _found, total = await list_incidents(conn, 1, Filters([], [], []), 1, 10)
            if total:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await task

    run.portal.call(loop_until_opened)
    assert client.get("/api/incidents").json()["pagination"]["total"] == 1
