"""Every KPI of the RAN pack on hand-made counters (``kpi_samples``), exact to the last
bits of a float: Σnumerator/Σdenominator across two cells of different traffic, a suspect
quarter left out, ``.sum`` missing (subcounters added), time-weighted means across
15-minute and hourly files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ran.kpi_samples import EXPECTED, load

from kpiwatch.ran.kpis import RAN_KPIS

Headers = Callable[[str], dict[str, str]]
HOUR = {"start_date": "2026-03-02T09:00", "end_date": "2026-03-02T10:00", "grain": "hour"}


def _query(client: TestClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = client.post("/api/kpi/query", json=HOUR | body, headers=headers("carol"))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_it_covers_every_kpi_of_the_pack() -> None:
    assert sorted(EXPECTED) == sorted(RAN_KPIS)


def test_it_computes_every_pack_kpi_over_cells_and_periods(
    client: TestClient, headers: Headers
) -> None:
    load(client, headers)
    answer = _query(client, headers, kpi_types=list(RAN_KPIS))
    got = {}
    for kpi in answer["kpis"]:
        [series] = kpi["series"]
        [point] = series["points"]
        assert (series["ne"], series["cell"]) == (None, None)
        got[kpi["kpi_type"]] = point["value"]
    assert got == {name: pytest.approx(value, rel=1e-12) for name, value in EXPECTED.items()}


def test_it_keeps_the_counter_sums_behind_a_rate(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    [kpi] = _query(client, headers, kpi_types=["RRC_SETUP_SR"])["kpis"]
    assert kpi["parts"] == {
        "sum_1": "sum(pm.RRC.ConnEstabSucc.sum)",
        "sum_2": "sum(pm.RRC.ConnEstabAtt.sum)",
    }
    [point] = kpi["series"][0]["points"]
    # C2's hourly file has no .sum: its mo-Data and mo-Signalling subcounters are added.
    assert point["parts"] == {"sum_1": 324.0, "sum_2": 340.0, "successes": 324.0, "trials": 340.0}


def test_it_rates_each_cell_on_its_own_traffic(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    answer = _query(
        client, headers, kpi_types=["RRC_SETUP_SR", "LTE_PRB_UTIL_DL"], ne="ENB7", per_cell=True
    )
    rrc, prb = answer["kpis"]
    assert [(s["cell"], s["points"][0]["value"]) for s in rrc["series"]] == [
        ("C1", 96.0),  # 288 / 300
        ("C2", 90.0),  # 36 / 40: the network's 95.29 % is not the mean of the two
    ]
    assert [(s["cell"], s["points"][0]["value"]) for s in prb["series"]] == [
        ("C1", 50.0),  # (40·900 + 60·900) / 1800
        ("C2", 10.0),
    ]
    assert prb["series"][0]["points"][0]["parts"] == {
        "avg_1.weighted": 90_000.0,
        "avg_1.seconds": 1800,
    }


def test_it_puts_a_row_in_the_quarter_it_starts_and_leaves_suspect_rows_out(
    client: TestClient, headers: Headers
) -> None:
    load(client, headers)
    [kpi] = _query(client, headers, kpi_types=["RRC_SETUP_SR"], grain="15min")["kpis"]
    points = kpi["series"][0]["points"]
    assert [(p["period_start"], p["value"]) for p in points] == [
        ("2026-03-02T09:00:00+00:00", pytest.approx(100 * 134 / 140)),  # C1 + C2's hour
        ("2026-03-02T09:15:00+00:00", 95.0),
        ("2026-03-02T09:30:00+00:00", None),  # only the suspect quarter
        ("2026-03-02T09:45:00+00:00", None),
    ]
    assert points[2]["parts"] == {"sum_1": None, "sum_2": None, "successes": None, "trials": None}
