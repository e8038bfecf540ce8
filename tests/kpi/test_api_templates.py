"""The five templates through the API, on a hand-made month in Asia/Seoul (tenant acme).

Requests (local times, +09:00):
  SR-1 mail done  01-31 20:00 → 01-31 23:30 (3.5 h) reassigned 0, due 02-01 00:00 (met)
  SR-2 mail done  01-10 09:00 → 01-10 13:00 (4 h)   reassigned 1, due 01-10 12:00 (missed)
  SR-3 vpn  done  01-05 09:00 → 01-05 10:30 (1.5 h) reassigned 0, no due date
  SR-4 vpn  done  02-01 00:30 → 02-01 02:30 — February
  SR-5 vpn  open  created 01-20 10:00
  SR-6 mail cancelled 01-25 09:00 → closed 01-26 10:00
January: MTTR (3.5 + 4 + 1.5) / 3 = 3.0 h (mail 3.75, vpn 1.5); FCR 2/3 (mail 1/2, vpn 1/1);
SLA compliance 1/2 (SR-3 has no due date: mail 1/2, vpn no data).
Backlog at the end of a day: 01-19 → 0, 01-20 → 1 (SR-5), 01-25 → 2 (SR-5, SR-6), 01-31 → 1.
Deployments finished in January: succeeded 1 of 3 (failed, rolled back at 23:50 on 01-31);
the one finished 02-01 00:10 and the one in progress do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

NDJSON = {"Content-Type": "application/x-ndjson"}
NAMES = ["MTTR", "FCR", "SLA_COMPLIANCE", "SR_BACKLOG", "DEPLOY_SUCCESS_RATE"]


def sr(
    id: str,
    service: str,
    status: str,
    created: str,
    resolved: str | None = None,
    due: str | None = None,
    reassigned: int = 0,
) -> dict[str, Any]:
    return {
        "id": id,
        "service": service,
        "status": status,
        "created_at": f"2026-{created}:00+09:00",
        "resolved_at": f"2026-{resolved}:00+09:00" if resolved else None,
        "sla_due_at": f"2026-{due}:00+09:00" if due else None,
        "reassignment_count": reassigned,
    }


REQUESTS = [
    sr("SR-1", "mail", "done", "01-31T20:00", "01-31T23:30", "02-01T00:00", 0),
    sr("SR-2", "mail", "done", "01-10T09:00", "01-10T13:00", "01-10T12:00", 1),
    sr("SR-3", "vpn", "done", "01-05T09:00", "01-05T10:30", None, 0),
    sr("SR-4", "vpn", "done", "02-01T00:30", "02-01T02:30", "02-01T04:00", 0),
    sr("SR-5", "vpn", "open", "01-20T10:00"),
    sr("SR-6", "mail", "cancelled", "01-25T09:00", "01-26T10:00"),
]
DEPLOYMENTS = [
    {
        "id": "D1",
        "service": "mail",
        "status": "succeeded",
        "started_at": "2026-01-15T10:00:00+09:00",
        "finished_at": "2026-01-15T10:20:00+09:00",
    },
    {
        "id": "D2",
        "service": "mail",
        "status": "failed",
        "started_at": "2026-01-20T10:00:00+09:00",
        "finished_at": "2026-01-20T10:20:00+09:00",
    },
    {
        "id": "D3",
        "service": "vpn",
        "status": "rolled_back",
        "started_at": "2026-01-31T23:40:00+09:00",
        "finished_at": "2026-01-31T23:50:00+09:00",
    },
    {
        "id": "D4",
        "service": "vpn",
        "status": "in_progress",
        "started_at": "2026-01-31T23:55:00+09:00",
    },
    {
        "id": "D5",
        "service": "vpn",
        "status": "succeeded",
        "started_at": "2026-01-31T23:58:00+09:00",
        "finished_at": "2026-02-01T00:10:00+09:00",
    },
]


@pytest.fixture
def kpis(client: TestClient, headers: Callable[[str], dict[str, str]]) -> dict[str, int]:
    """acme's five template KPIs, backfilled over January 2026."""
    dave = headers("dave")
    for dataset, rows in (("service_requests", REQUESTS), ("deployments", DEPLOYMENTS)):
        body = b"".join(orjson.dumps(r) + b"\n" for r in rows)
        assert (
            client.post(f"/api/ingest/{dataset}", content=body, headers=dave | NDJSON).status_code
            == 200
        )
    applied = client.post("/api/kpi/apply-template", json={"template_names": NAMES}, headers=dave)
    assert applied.json() == {"created": NAMES, "count": 5}
    ids = {k["name"]: k["id"] for k in client.get("/api/kpi/", headers=dave).json()}
    for kpi_id in ids.values():
        response = client.post(
            f"/api/kpi/{kpi_id}/backfill",
            json={"from": "2026-01-01", "to": "2026-01-31"},
            headers=dave,
        )
        assert response.status_code == 200, response.text
    return ids


def january(client: TestClient, kpi_id: int, query: str = "") -> list[dict[str, Any]]:
    url = f"/api/kpi/{kpi_id}/values?tenant=acme&from=2026-01-01&to=2026-01-31{query}"
    response = client.get(url)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_it_applies_templates_once(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpis: dict[str, int]
) -> None:
    again = client.post(
        "/api/kpi/apply-template", json={"template_names": NAMES}, headers=headers("dave")
    )
    assert again.json() == {"created": [], "count": 0}


def test_it_computes_mttr_per_month_in_the_tenant_zone(
    client: TestClient, kpis: dict[str, int]
) -> None:
    (row,) = january(client, kpis["MTTR"])
    assert row["period_start"] == "2026-01-01T00:00:00+09:00"
    assert row["period_end"] == "2026-02-01T00:00:00+09:00"
    assert row["value"] == 3.0
    # LOWER_BETTER with target 4: within target.
    assert (row["status"], row["achievement_pct"]) == ("GREEN", 100.0)
    by_service = {
        r["dims"]["service"]: r["value"] for r in january(client, kpis["MTTR"], "&by=service")
    }
    assert by_service == {"mail": 3.75, "vpn": 1.5}


def test_it_computes_fcr_and_rolls_up_from_parts(client: TestClient, kpis: dict[str, int]) -> None:
    (row,) = january(client, kpis["FCR"])
    assert row["value"] == 100 * 2 / 3
    assert row["parts"] == {"count_1": 2, "count_2": 3}
    # 66.7 % of a target of 80 is 83.3 %: YELLOW.
    assert (row["status"], row["achievement_pct"]) == ("YELLOW", 83.3)
    services = january(client, kpis["FCR"], "&by=service")
    assert {r["dims"]["service"]: r["value"] for r in services} == {"mail": 50.0, "vpn": 100.0}
    # The total is Σnum/Σden over services, not the mean of 50 and 100.
    assert sum(r["parts"]["count_1"] for r in services) == 2
    assert sum(r["parts"]["count_2"] for r in services) == 3


def test_it_leaves_requests_without_due_date_out_of_sla_compliance(
    client: TestClient, kpis: dict[str, int]
) -> None:
    (row,) = january(client, kpis["SLA_COMPLIANCE"])
    assert row["value"] == 50.0
    assert (row["status"], row["achievement_pct"]) == ("RED", 52.6)
    services = january(client, kpis["SLA_COMPLIANCE"], "&by=service")
    # vpn had no request with a due date: no row, no made-up value.
    assert {r["dims"]["service"]: r["value"] for r in services} == {"mail": 50.0}


def test_it_counts_the_backlog_at_the_end_of_each_day(
    client: TestClient, kpis: dict[str, int]
) -> None:
    rows = january(client, kpis["SR_BACKLOG"])
    assert len(rows) == 31
    backlog = {r["period_start"][:10]: r["value"] for r in rows}
    assert backlog["2026-01-19"] == 0
    assert backlog["2026-01-20"] == 1
    assert backlog["2026-01-25"] == 2
    assert backlog["2026-01-26"] == 1
    assert backlog["2026-01-31"] == 1
    mail = january(client, kpis["SR_BACKLOG"], "&service=mail")
    assert {r["period_start"][:10]: r["value"] for r in mail}["2026-01-25"] == 1


def test_it_computes_deployment_success_among_finished_ones(
    client: TestClient, kpis: dict[str, int]
) -> None:
    (row,) = january(client, kpis["DEPLOY_SUCCESS_RATE"])
    assert row["value"] == 100 * 1 / 3
    assert row["status"] == "RED"


def test_it_shows_no_data_for_an_empty_period(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpis: dict[str, int]
) -> None:
    client.post(
        f"/api/kpi/{kpis['MTTR']}/backfill",
        json={"from": "2025-12-01", "to": "2025-12-31"},
        headers=headers("dave"),
    )
    response = client.get(
        f"/api/kpi/{kpis['MTTR']}/values?tenant=acme&from=2025-12-01&to=2025-12-31"
    )
    (row,) = response.json()
    assert (row["value"], row["status"], row["achievement_pct"]) == (None, "NO_DATA", None)


def test_it_replaces_values_when_recomputed(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpis: dict[str, int]
) -> None:
    fixed = sr("SR-2", "mail", "done", "01-10T09:00", "01-10T10:00", "01-10T12:00", 1)
    client.post(
        "/api/ingest/service_requests",
        content=orjson.dumps(fixed) + b"\n",
        headers=headers("dave") | NDJSON,
    )
    client.post(
        f"/api/kpi/{kpis['MTTR']}/backfill",
        json={"from": "2026-01-01", "to": "2026-01-31"},
        headers=headers("dave"),
    )
    (row,) = january(client, kpis["MTTR"])
    assert row["value"] == (3.5 + 1 + 1.5) / 3
    assert len(january(client, kpis["MTTR"], "&by=service")) == 2
