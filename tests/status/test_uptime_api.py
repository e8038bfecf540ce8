"""The read side on stored day rollups: codes, uptime strings and month shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert

from kpiwatch.core.db import Database
from kpiwatch.watch.models import check_rollups

DAY = 86400.0
# Local (UTC) day → (observed_s, downtime_s, maintenance_s)
FIGURES = {
    "2026-01-31": (DAY, 0.0, 0.0),  # o
    "2026-02-10": (DAY, 600.0, 0.0),  # po: 99.30 %
    "2026-02-11": (DAY, 7200.0, 0.0),  # mo: 91.66 %
    "2026-02-12": (DAY - 3600, 0.0, 3600.0),  # m
    "2026-03-01": (DAY, 0.0, 0.0),  # o
}


def _store(client: TestClient, monitor_id: int) -> None:
    async def run() -> None:
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        async with db.write() as conn:
            for day, (observed, down, maint) in FIGURES.items():
                start = datetime.fromisoformat(day).replace(tzinfo=UTC)
                await conn.execute(
                    insert(check_rollups).values(
                        monitor_id=monitor_id,
                        grain="day",
                        bucket_start=start,
                        checks=1440,
                        ok=1440,
                        observed_s=observed,
                        downtime_s=down,
                        maintenance_s=maint,
                    )
                )

    assert client.portal is not None
    client.portal.call(run)


def _setup(client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
    admin = headers("alice")
    client.post(
        "/api/services", json={"id": "id-recognition", "name": "ID Recognition"}, headers=admin
    )
    monitor = client.post(
        "/api/monitors",
        headers=admin,
        json={
            "service_id": "id-recognition",
            "name": "h",
            "type": "http",
            "url": "http://127.0.0.1:9/h",
        },
    ).json()["monitor"]
    _store(client, monitor["id"])


def test_it_answers_months_with_day_codes(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    _setup(client, headers)
    body = client.get("/api/uptime/id-recognition", params={"months": 3}).json()
    assert body["service"] == {"id": "id-recognition", "name": "ID Recognition"}
    assert [m["name"] for m in body["months"]] == ["January 2026", "February 2026", "March 2026"]
    january, february, march = body["months"]
    assert january["days"] == ["nd"] * 30 + ["o"]
    assert january["uptime"] == "100.00"
    assert len(february["days"]) == 28
    assert february["days"][9:12] == ["po", "mo", "m"]
    assert february["days"].count("nd") == 25
    observed = 3 * DAY - 3600
    expected = int((observed - 7800) / observed * 10000) / 100
    assert february["uptime"] == f"{expected:.2f}" == "96.94"
    assert march["days"][0] == "o" and march["days"][1:] == ["nd"] * 30
    assert march["uptime"] == "100.00"


def test_it_starts_at_the_start_date_month_and_covers_all_systems(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    _setup(client, headers)
    body = client.get("/api/uptime/all-systems?months=1&startDate=2026-02-01").json()
    assert body["service"] == {"id": "all-systems", "name": "All Systems"}
    [february] = body["months"]
    assert february["name"] == "February 2026" and february["uptime"] == "96.94"


def test_it_answers_the_system_status_over_90_days(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    _setup(client, headers)
    body = client.get("/api/system-status").json()
    assert set(body) == {"overallStatus", "lastUpdated", "services"}
    [service] = body["services"]
    assert service["id"] == "id-recognition" and service["status"] == "no_data"
    codes = service["uptimeData"]
    assert len(codes) == 90
    first = datetime(2026, 3, 2, tzinfo=UTC).date() - timedelta(days=89)
    index = {(first + timedelta(days=i)).isoformat(): i for i in range(90)}
    assert [codes[index[d]] for d in FIGURES] == ["o", "po", "mo", "m", "o"]
    observed = 5 * DAY - 3600
    assert service["uptime"] == f"{int((observed - 7800) / observed * 10000) / 100:.2f}"
    assert body["overallStatus"] == "operational" and body["lastUpdated"] is None


def test_it_answers_404_for_an_unknown_or_foreign_service(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    _setup(client, headers)
    assert client.get("/api/uptime/nope").status_code == 404
    assert client.get("/api/uptime/id-recognition?tenant=acme").status_code == 404
    assert client.get("/api/uptime/id-recognition?months=0").status_code == 422
