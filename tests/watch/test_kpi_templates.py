"""AVAILABILITY and RESPONSE_TIME_P95 computed from day rollups (tenant acme, Asia/Seoul).

Day rollups written through ``rollups.upsert`` (local days, so a bucket starts at 15:00Z):
  mail/web   01-31  observed 86400 s, down 1728 s; latency ≤50: 60, ≤100: 30, ≤200: 10
  mail/imap  01-10  observed 86400 s, down 0;      latency ≤100: 50, ≤300: 50
  vpn/gw     01-20  observed 86400 s, down 8640 s, maintenance 3600 s;
                    latency ≤5000: 10, ≤7000: 80, >10000: 10
  mail/web   02-01  observed 86400 s, all down — February, outside January.
January availability: mail (172800 − 1728) / 172800 = 99.0 %, vpn 90.0 %,
all (259200 − 10368) / 259200 = 96.0 %.
January p95, interpolated in the bucket holding rank 0.95 × n:
  mail: n = 200, rank 190; 150 up to 200 ms, then 50 in (200, 300]: 200 + 100 × 40/50 = 280
  vpn: n = 100, rank 95 falls in the open bucket: 10000 (at least)
  all: n = 300, rank 285; 210 up to 5000 ms, 80 in (5000, 7000]: 5000 + 2000 × 75/80 = 6875
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from kpiwatch.core.db import Database
from kpiwatch.watch import rollups
from kpiwatch.watch.buckets import bucket_start

SEOUL = ZoneInfo("Asia/Seoul")
DAYS: list[tuple[str, str, str, dict[str, float]]] = [
    ("mail", "web", "01-31", {"observed_s": 86400, "downtime_s": 1728}),
    ("mail", "imap", "01-10", {"observed_s": 86400}),
    ("vpn", "gw", "01-20", {"observed_s": 86400, "downtime_s": 8640, "maintenance_s": 3600}),
    ("mail", "web", "02-01", {"observed_s": 86400, "downtime_s": 86400}),
]
LATENCY = {
    ("web", "01-31"): {"le_50": 60, "le_100": 30, "le_200": 10},
    ("imap", "01-10"): {"le_100": 50, "le_300": 50},
    ("gw", "01-20"): {"le_5000": 10, "le_7000": 80, "le_inf": 10},
    ("web", "02-01"): {"le_inf": 100},
}
TEMPLATES = ["AVAILABILITY", "RESPONSE_TIME_P95"]


def _monitors(client: TestClient, dave: dict[str, str]) -> dict[str, int]:
    ids = {}
    for service, monitor, _, _ in DAYS:
        if client.get(f"/api/services/{service}", headers=dave).status_code == 404:
            body = {"id": service, "name": service.upper()}
            assert client.post("/api/services", json=body, headers=dave).status_code == 201
        if monitor not in ids:
            body = {"service_id": service, "name": monitor, "type": "tcp", "host": "127.0.0.1"}
            created = client.post("/api/monitors", json=body | {"port": 9}, headers=dave)
            assert created.status_code == 201, created.text
            ids[monitor] = created.json()["monitor"]["id"]
    return ids


def _write_rollups(client: TestClient, ids: dict[str, int]) -> None:
    deltas: dict[rollups.Key, rollups.Delta] = {}
    for _, monitor, day, seconds in DAYS:
        delta = rollups.Delta()
        for column, amount in (seconds | LATENCY[(monitor, day)]).items():
            delta.add(column, amount)
        start = bucket_start("day", datetime.fromisoformat(f"2026-{day}T12:00:00+09:00"), SEOUL)
        deltas[(ids[monitor], "day", start)] = delta

    _upsert(client, deltas)


def _upsert(client: TestClient, deltas: dict[rollups.Key, rollups.Delta]) -> None:
    async def write() -> None:
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        async with db.write() as conn:
            await rollups.upsert(conn, deltas)

    assert client.portal is not None
    client.portal.call(write)


@pytest.fixture
def january(client: TestClient, headers: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    """acme's two watch templates backfilled over January 2026: name → (total, by service)."""
    dave = headers("dave")
    _write_rollups(client, _monitors(client, dave))
    applied = client.post(
        "/api/kpi/apply-template", json={"template_names": TEMPLATES}, headers=dave
    )
    assert applied.json() == {"created": TEMPLATES, "count": 2}
    out = {}
    for kpi in client.get("/api/kpi/", headers=dave).json():
        backfill = {"from": "2026-01-01", "to": "2026-01-31"}
        done = client.post(f"/api/kpi/{kpi['id']}/backfill", json=backfill, headers=dave)
        assert done.status_code == 200, done.text
        url = f"/api/kpi/{kpi['id']}/values?from=2026-01-01&to=2026-01-31"
        [total] = client.get(url, headers=dave).json()
        by = client.get(url + "&by=service", headers=dave).json()
        out[kpi["name"]] = (total, {r["dims"]["service"]: r["value"] for r in by})
    return out


def test_it_computes_availability_by_time_per_service(january: dict[str, Any]) -> None:
    total, by_service = january["AVAILABILITY"]
    assert total["period_start"] == "2026-01-01T00:00:00+09:00"
    assert total["value"] == pytest.approx(96.0)
    assert by_service == {"mail": pytest.approx(99.0), "vpn": pytest.approx(90.0)}
    assert total["parts"] == {"sum_1": 259200.0, "sum_2": 10368.0, "sum_3": 259200.0}


def test_it_computes_the_p95_from_the_latency_histogram(january: dict[str, Any]) -> None:
    total, by_service = january["RESPONSE_TIME_P95"]
    assert total["value"] == pytest.approx(6875.0)
    assert by_service == {"mail": pytest.approx(280.0), "vpn": 10000.0}
    assert total["status"] == "GREEN"  # within the 7000 ms target
    parts = total["parts"]
    assert (parts["p95_1.le_50"], parts["p95_1.le_7000"], parts["p95_1.le_inf"]) == (60, 80, 10)
    assert sum(parts.values()) == 300


def test_it_keeps_day_rows_out_of_hourly_kpis_and_out_of_ingestion(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    dave = headers("dave")
    hourly = {
        "name": "HOURLY_UPTIME",
        "display_name": "Hourly uptime",
        "direction": "HIGHER_BETTER",
        "target": 99.9,
        "period": "HOURLY",
        "formula": "100 * sum(ok of monitor_days) / sum(checks of monitor_days)",
    }
    refused = client.post("/api/kpi/", json=hourly, headers=dave)
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "period"]
    assert "monitor_days cannot be split finer than DAILY" in error["msg"]
    hours = hourly | {"formula": "100 * sum(ok of monitor_hours) / sum(checks of monitor_hours)"}
    created = client.post("/api/kpi/", json=hours, headers=dave)
    assert created.status_code == 201, created.text
    web = _monitors(client, dave)["web"]
    hour = rollups.Delta({"checks": 60, "ok": 57, "failed": 3})
    _upsert(client, {(web, "hour", datetime(2026, 1, 10, 3, tzinfo=UTC)): hour})
    kpi_id = created.json()["id"]
    day = {"from": "2026-01-10", "to": "2026-01-10"}
    assert client.post(f"/api/kpi/{kpi_id}/backfill", json=day, headers=dave).status_code == 200
    url = f"/api/kpi/{kpi_id}/values?from=2026-01-10&to=2026-01-10"
    values = {r["period_start"]: r["value"] for r in client.get(url, headers=dave).json()}
    assert len(values) == 24
    assert values.pop("2026-01-10T12:00:00+09:00") == pytest.approx(95.0)
    assert set(values.values()) == {None}

    ingest = client.post(
        "/api/ingest/monitor_days",
        content=b'{"service": "x"}\n',
        headers=dave | {"Content-Type": "application/x-ndjson"},
    )
    assert ingest.status_code == 404
    assert "written by kpiwatch itself" in ingest.json()["detail"]
    listed = [d["name"] for d in client.get("/api/ingest").json()]
    assert "monitor_days" not in listed and "monitor_hours" not in listed
