"""What ``GET /api/system-status`` keeps between requests: one answer per second of the
clock, the days before today up to ``status_cache_s``; credentials are checked every time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import Database
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_rollups, monitor_state

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def cache_s() -> float:
    return 60.0


@pytest.fixture
def client(settings: Settings, clock: Clock, cache_s: float) -> Iterator[TestClient]:
    app = create_app(settings, clock, WatchSettings(enabled=False, status_cache_s=cache_s))
    with TestClient(app) as test_client:
        yield test_client


def _run(client: TestClient, *statements: Any) -> None:
    async def run() -> None:
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        async with db.write() as conn:
            for statement in statements:
                await conn.execute(statement)

    assert client.portal is not None
    client.portal.call(run)


def _monitor(client: TestClient, admin: dict[str, str], service: str, name: str) -> int:
    if client.get(f"/api/services/{service}", headers=admin).status_code == 404:
        body = {"id": service, "name": service.title()}
        assert client.post("/api/services", json=body, headers=admin).status_code == 201
    body = {"service_id": service, "name": name, "type": "tcp", "host": "127.0.0.1", "port": 9}
    created = client.post("/api/monitors", json=body, headers=admin)
    assert created.status_code == 201, created.text
    monitor_id: int = created.json()["monitor"]["id"]
    return monitor_id


def _yesterday(monitor_id: int, downtime_s: float) -> Any:
    """A full day observed yesterday, ``downtime_s`` of it down."""
    day = {"grain": "day", "bucket_start": YESTERDAY, "checks": 1440, "observed_s": 86400.0}
    return insert(check_rollups).values(monitor_id=monitor_id, downtime_s=downtime_s, **day)


def _service(client: TestClient, **query: str) -> dict[str, Any]:
    body = client.get("/api/system-status", params=query).json()
    [service] = body["services"]
    return dict(service)


def test_it_answers_from_one_board_per_second_of_the_clock(
    client: TestClient, clock: Clock, headers: Callable[[str], dict[str, str]]
) -> None:
    monitor_id = _monitor(client, headers("alice"), "mail", "smtp")
    assert _service(client)["status"] == "no_data"
    _run(client, insert(monitor_state).values(monitor_id=monitor_id, state="down"))
    assert _service(client)["status"] == "no_data"  # the same second: the same answer
    clock.freeze(T0 + timedelta(seconds=1))
    assert _service(client)["status"] == "major_outage"


@pytest.mark.parametrize("cache_s", [2.0])
def test_it_shows_a_late_result_of_an_earlier_day_within_the_bound(
    client: TestClient, clock: Clock, headers: Callable[[str], dict[str, str]]
) -> None:
    monitor_id = _monitor(client, headers("alice"), "mail", "smtp")
    _run(client, insert(monitor_state).values(monitor_id=monitor_id, state="up"))
    assert _service(client)["uptimeData"][-2] == "nd"
    _run(client, _yesterday(monitor_id, 43200.0))
    clock.freeze(T0 + timedelta(seconds=1))
    assert _service(client)["uptimeData"][-2] == "nd"  # the past read less than 2 s ago
    _run(client, update(monitor_state).values(state="down"))
    clock.freeze(T0 + timedelta(seconds=2))
    assert _service(client)["status"] == "major_outage"  # while the present is read anew
    time.sleep(2.1)
    clock.freeze(T0 + timedelta(seconds=3))
    service = _service(client)
    assert (service["uptimeData"][-2], service["uptime"]) == ("mo", "50.00")


def test_it_reads_the_past_again_as_soon_as_a_monitor_goes(
    client: TestClient, clock: Clock, headers: Callable[[str], dict[str, str]]
) -> None:
    alice = headers("alice")
    _monitor(client, alice, "mail", "smtp")
    imap = _monitor(client, alice, "mail", "imap")
    _run(client, _yesterday(imap, 864.0))
    assert _service(client)["uptimeData"][-2] == "po"
    assert client.delete(f"/api/monitors/{imap}", headers=alice).status_code == 200
    clock.freeze(T0 + timedelta(seconds=1))
    service = _service(client)
    assert (service["uptimeData"][-2], service["uptime"]) == ("nd", None)


def test_it_checks_credentials_and_tenants_even_with_an_answer_kept(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    _monitor(client, headers("alice"), "mail", "smtp")
    _monitor(client, headers("dave"), "vpn", "gw")
    assert _service(client)["id"] == "mail"
    assert _service(client, tenant="acme")["id"] == "vpn"
    assert client.get("/api/system-status", params={"tenant": "nope"}).status_code == 404
    forged = client.get("/api/system-status", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    # A token fixes the tenant to its own, whatever ?tenant says.
    dave = client.get("/api/system-status", params={"tenant": "default"}, headers=headers("dave"))
    assert [s["id"] for s in dave.json()["services"]] == ["vpn"]
    carol = client.get("/api/system-status", headers=headers("carol")).json()
    assert [s["id"] for s in carol["services"]] == ["mail"]


@pytest.mark.parametrize("cache_s", [0.0])
def test_it_reads_everything_for_every_request_when_told_to(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    monitor_id = _monitor(client, headers("alice"), "mail", "smtp")
    assert _service(client)["uptimeData"][-2] == "nd"
    _run(
        client,
        insert(monitor_state).values(monitor_id=monitor_id, state="up"),
        _yesterday(monitor_id, 0.0),
    )
    service = _service(client)
    assert (service["status"], service["uptimeData"][-2]) == ("operational", "o")
