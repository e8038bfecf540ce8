"""POST /api/kpi/statistics/batch: several KPIs and cells at once; samples are the periods
with a value, missing periods the others; ``overall`` is Σ parts, not a mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ran.kpi_samples import load

Headers = Callable[[str], dict[str, str]]
QUARTERS = {
    "start_date": "2026-03-02T09:00",
    "end_date": "2026-03-02T10:00",
    "grain": "15min",
    "kpi_types": ["RRC_SETUP_SR", "LTE_PRB_UTIL_DL"],
}


def _stats(client: TestClient, auth: dict[str, str], **body: Any) -> Any:
    return client.post("/api/kpi/statistics/batch", json=QUARTERS | body, headers=auth)


def test_it_summarises_each_kpi_and_cell(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    response = _stats(client, headers("carol"), ne="ENB7", per_cell=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["grain"], body["time_zone"]) == ("15min", "UTC")
    rows = {(s["kpi_type"], s["cell"]): s for s in body["statistics"]}
    assert list(rows) == [
        ("RRC_SETUP_SR", "C1"),
        ("RRC_SETUP_SR", "C2"),
        ("LTE_PRB_UTIL_DL", "C1"),
        ("LTE_PRB_UTIL_DL", "C2"),
    ]
    # C1: quarters 98 % and 95 %, the suspect quarter and the last one missing.
    assert rows["RRC_SETUP_SR", "C1"] == {
        "kpi_type": "RRC_SETUP_SR",
        "display_name": "RRC setup success rate",
        "unit": "%",
        "ne": "ENB7",
        "cell": "C1",
        "periods": 4,
        "samples": 2,
        "missing_periods": 2,
        "mean": 96.5,
        "min": 95.0,
        "max": 98.0,
        "p95": pytest.approx(95 + 0.95 * 3),
        "overall": 96.0,  # 288 / 300
        "parts": {"sum_1": 288.0, "sum_2": 300.0, "successes": 288.0, "trials": 300.0},
    }
    c2 = rows["RRC_SETUP_SR", "C2"]  # its hourly row sits in the first quarter
    assert [c2[k] for k in ("samples", "missing_periods", "mean", "p95", "overall")] == [
        1,
        3,
        90.0,
        90.0,
        90.0,
    ]
    prb = rows["LTE_PRB_UTIL_DL", "C1"]
    assert [prb[k] for k in ("mean", "min", "max", "overall")] == [50.0, 40.0, 60.0, 50.0]
    assert prb["parts"] == {"avg_1.weighted": 90_000.0, "avg_1.seconds": 1800}


def test_it_summarises_the_whole_selection(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    body = _stats(client, headers("carol"), kpi_types=["RRC_SETUP_SR"]).json()
    [row] = body["statistics"]
    first = 100 * 134 / 140
    assert (row["ne"], row["cell"], row["samples"], row["missing_periods"]) == (None, None, 2, 2)
    assert (row["mean"], row["min"], row["max"]) == (
        pytest.approx((first + 95) / 2),
        95.0,
        pytest.approx(first),
    )
    assert row["overall"] == pytest.approx(100 * 324 / 340)


def test_it_counts_every_period_missing_without_data(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    body = _stats(
        client,
        headers("carol"),
        start_date="2026-03-03",
        end_date="2026-03-03",
        grain="hour",
        cellid="C1",
        kpi_types=["RRC_SETUP_SR"],
    ).json()
    [row] = body["statistics"]
    assert {
        k: row[k] for k in ("periods", "samples", "missing_periods", "mean", "p95", "overall")
    } == {
        "periods": 24,
        "samples": 0,
        "missing_periods": 24,
        "mean": None,
        "p95": None,
        "overall": None,
    }


def test_it_needs_a_user_of_the_tenant(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    assert _stats(client, {}).status_code == 401
    foreign = _stats(client, headers("erin"), cellid="C1")
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["loc"] == ["body", "cellid"]
    assert _stats(client, headers("bob")).status_code == 200


def test_it_refuses_an_answer_too_big(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    many = [
        "RRC_SETUP_SR",
        "LTE_PRB_UTIL_DL",
        "LTE_PRB_UTIL_UL",
        "CELL_AVAILABILITY",
        "LTE_HO_SR",
        "ERAB_SETUP_SR",
        "ERAB_DROP_RATE",
        "LTE_ACCESSIBILITY",
        "LTE_DL_THROUGHPUT",
        "LTE_UL_THROUGHPUT",
        "LTE_ACTIVE_UE_DL",
    ]
    # 30 days of quarters (2880) × 11 KPIs × 4 cells > 100 000 points.
    month = {"start_date": "2026-03-01", "end_date": "2026-03-31", "per_cell": True}
    too_big = _stats(client, headers("carol"), kpi_types=many, **month)
    assert too_big.status_code == 422
    [detail] = too_big.json()["detail"]
    assert detail["loc"] == ["body"]
    assert detail["msg"].startswith("the answer would hold")
