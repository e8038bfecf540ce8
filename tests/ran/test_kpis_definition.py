"""RAN KPIs as KPI definitions: created from a pack template or by hand, then calculated,
backfilled, read per cell and shown on the dashboard like any other KPI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.ran.kpi_samples import load

from kpiwatch.core.clock import Clock
from kpiwatch.kpi import scheduler
from kpiwatch.ran.kpis import RAN_KPIS

Headers = Callable[[str], dict[str, str]]
RRC = 100 * 324 / 340


def _apply(client: TestClient, headers: Headers, *names: str) -> dict[str, int]:
    alice = headers("alice")
    applied = client.post(
        "/api/kpi/apply-template", json={"template_names": list(names)}, headers=alice
    )
    assert applied.status_code == 200, applied.text
    return {k["name"]: k["id"] for k in client.get("/api/kpi/", headers=alice).json()}


def test_it_lists_the_pack_among_the_templates(client: TestClient) -> None:
    templates = {t["name"]: t for t in client.get("/api/kpi/templates").json()}
    assert set(RAN_KPIS) <= set(templates)
    assert templates["RRC_SETUP_SR"] | {"description": ""} == {
        "name": "RRC_SETUP_SR",
        "display_name": "RRC setup success rate",
        "description": "",
        "unit": "%",
        "direction": "HIGHER_BETTER",
        "default_target": 99.0,
        "period": "DAILY",
        "formula": "100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)",
        "dimensions": ["ne", "cell"],
    }
    assert templates["ERAB_DROP_RATE"]["direction"] == "LOWER_BETTER"


def test_it_calculates_a_kpi_created_from_a_pack_template(
    client: TestClient, headers: Headers
) -> None:
    load(client, headers)
    kpi_id = _apply(client, headers, "RRC_SETUP_SR")["RRC_SETUP_SR"]
    alice = headers("alice")
    result = client.post(f"/api/kpi/{kpi_id}/calculate", headers=alice)
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["value"], body["parts"]) == (
        pytest.approx(RRC, rel=1e-12),
        {"sum_1": 324.0, "sum_2": 340.0},
    )
    assert (body["period_start"], body["period_end"], body["status"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
        "GREEN",  # 95.29 of a 99 target: ≥ 95 % of it
    )
    cells = client.get(f"/api/kpi/{kpi_id}/values", params={"by": "ne,cell"}, headers=alice)
    assert [(r["dims"], r["value"], r["parts"]) for r in cells.json()] == [
        ({"ne": "ENB7", "cell": "C1"}, 96.0, {"sum_1": 288.0, "sum_2": 300.0}),
        ({"ne": "ENB7", "cell": "C2"}, 90.0, {"sum_1": 36.0, "sum_2": 40.0}),
    ]
    by_ne = client.get(f"/api/kpi/{kpi_id}/values", params={"by": "ne"}, headers=alice).json()
    assert [(r["dims"], r["value"]) for r in by_ne] == [({"ne": "ENB7"}, pytest.approx(RRC))]
    [card] = client.get("/api/kpi/dashboard", headers=alice).json()["kpis"]
    assert (card["name"], card["current_value"]) == ("RRC_SETUP_SR", pytest.approx(RRC))


def test_it_backfills_days_without_counters_as_no_data(
    client: TestClient, headers: Headers
) -> None:
    load(client, headers)
    kpi_id = _apply(client, headers, "CELL_AVAILABILITY")["CELL_AVAILABILITY"]
    alice = headers("alice")
    done = client.post(
        f"/api/kpi/{kpi_id}/backfill",
        json={"from": "2026-03-01", "to": "2026-03-02"},
        headers=alice,
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"kpi_id": kpi_id, "periods": 2, "values": 6}  # 2 totals, 2 cells × 2
    totals = client.get(f"/api/kpi/{kpi_id}/values", headers=alice).json()
    assert [(r["period_start"], r["value"], r["status"]) for r in totals] == [
        ("2026-03-01T00:00:00+00:00", None, "NO_DATA"),
        ("2026-03-02T00:00:00+00:00", pytest.approx(100 * 4950 / 5400), "YELLOW"),
    ]


def test_it_queries_a_tenant_kpi_with_a_counter_formula(
    client: TestClient, headers: Headers
) -> None:
    load(client, headers)
    created = client.post(
        "/api/kpi/",
        json={
            "name": "HO_FAILURES",
            "display_name": "Failed intra-frequency handovers",
            "unit": "",
            "direction": "LOWER_BETTER",
            "target": 10,
            "period": "DAILY",
            "formula": "sum(pm.HO.IntraFreqOutAtt) - sum(pm.HO.IntraFreqOutSucc)",
            "dimensions": ["ne"],
        },
        headers=headers("alice"),
    )
    assert created.status_code == 201, created.text
    answer = client.post(
        "/api/kpi/query",
        json={
            "start_date": "2026-03-02",
            "end_date": "2026-03-02",
            "kpi_types": ["HO_FAILURES"],
            "grain": "day",
        },
        headers=headers("carol"),
    ).json()
    [kpi] = answer["kpis"]
    assert (kpi["display_name"], kpi["direction"], kpi["kind"]) == (
        "Failed intra-frequency handovers",
        "lower",
        None,
    )
    assert kpi["series"][0]["points"][0]["value"] == 5.0  # 120 − 115
    kpi_id = created.json()["id"]
    alice = headers("alice")
    assert client.post(f"/api/kpi/{kpi_id}/calculate", headers=alice).json()["value"] == 5.0
    by_ne = client.get(f"/api/kpi/{kpi_id}/values", params={"by": "ne"}, headers=alice).json()
    assert [(r["dims"], r["value"]) for r in by_ne] == [({"ne": "ENB7"}, 5.0)]


def test_it_refuses_cells_without_their_ne(client: TestClient, headers: Headers) -> None:
    response = client.post(
        "/api/kpi/",
        json={
            "name": "RRC",
            "display_name": "RRC",
            "direction": "HIGHER_BETTER",
            "target": 99,
            "formula": "100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)",
            "dimensions": ["cell"],
        },
        headers=headers("alice"),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "dimensions"],
            "msg": "cell ids repeat across NEs: group by ne and cell together",
            "type": "value_error",
        }
    ]


def test_it_refreshes_pack_kpis_on_schedule(
    client: TestClient, headers: Headers, clock: Clock
) -> None:
    load(client, headers)
    ids = _apply(client, headers, "RRC_SETUP_SR", "NR_HO_INTER_SR")
    db = client.app.state.db  # type: ignore[attr-defined]
    assert client.portal.call(scheduler.refresh_all, db, clock) == (2, 0)  # type: ignore[union-attr]
    alice = headers("alice")
    for name, expected in (("RRC_SETUP_SR", RRC), ("NR_HO_INTER_SR", 90.0)):
        values = client.get(f"/api/kpi/{ids[name]}/values", headers=alice).json()
        assert [(v["period_start"], v["value"]) for v in values] == [
            ("2026-03-01T00:00:00+00:00", None),
            ("2026-03-02T00:00:00+00:00", pytest.approx(expected)),
        ]
