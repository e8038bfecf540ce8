"""POST /api/kpi/query: fields, grains, NE and cell matching, roles, tenants, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ran.kpi_samples import LTE, load

Headers = Callable[[str], dict[str, str]]
RRC = 100 * 324 / 340
HOUR = {
    "start_date": "2026-03-02T09:00",
    "end_date": "2026-03-02T10:00",
    "kpi_types": ["RRC_SETUP_SR"],
}


def _post(client: TestClient, auth: dict[str, str], **body: Any) -> Any:
    return client.post("/api/kpi/query", json=HOUR | body, headers=auth)


def _series(client: TestClient, headers: Headers, **body: Any) -> list[tuple[Any, ...]]:
    response = _post(client, headers("carol"), **body)
    assert response.status_code == 200, response.text
    [kpi] = response.json()["kpis"]
    return [(s["ne"], s["cell"], [p["value"] for p in s["points"]]) for s in kpi["series"]]


def test_it_answers_with_the_fields_of_a_series(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    response = _post(client, headers("carol"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "start_date": "2026-03-02T09:00:00+00:00",
        "end_date": "2026-03-02T10:00:00+00:00",
        "grain": "hour",
        "time_zone": "UTC",
        "kpis": [
            {
                "kpi_type": "RRC_SETUP_SR",
                "display_name": "RRC setup success rate",
                "unit": "%",
                "direction": "higher",
                "kind": "proportion",
                "formula": "100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)",
                "parts": {
                    "sum_1": "sum(pm.RRC.ConnEstabSucc.sum)",
                    "sum_2": "sum(pm.RRC.ConnEstabAtt.sum)",
                },
                "series": [
                    {
                        "ne": None,
                        "cell": None,
                        "points": [
                            {
                                "period_start": "2026-03-02T09:00:00+00:00",
                                "period_end": "2026-03-02T10:00:00+00:00",
                                "value": pytest.approx(RRC),
                                "parts": {
                                    "sum_1": 324.0,
                                    "sum_2": 340.0,
                                    "successes": 324.0,
                                    "trials": 340.0,
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_it_matches_an_ne_by_id_or_full_name(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    whole = [(None, None, [pytest.approx(RRC)])]
    assert _series(client, headers, ne="ENB7") == whole
    assert _series(client, headers, ne="SubNetwork=1,ManagedElement=ENB7") == whole
    assert _series(client, headers, ne=["ENB7", "GNB1"]) == whole
    nr_only = _series(client, headers, ne="GNB1")
    assert nr_only == [(None, None, [None])]  # NR cells report no RRC counters here


def test_it_matches_a_cell_by_id_or_full_name(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    c1 = [("ENB7", "C1", [96.0])]
    assert _series(client, headers, cellid="C1") == c1
    assert _series(client, headers, cellid=LTE + "C1") == c1
    assert _series(client, headers, ne="ENB7", cellid=["C2", "C1"]) == [
        ("ENB7", "C1", [96.0]),
        ("ENB7", "C2", [90.0]),
    ]


def test_it_lists_asked_cells_even_without_values(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    late = {"start_date": "2026-03-02T11:00", "end_date": "2026-03-02T13:00"}
    assert _series(client, headers, cellid="C1", **late) == [("ENB7", "C1", [None, None])]


def test_it_splits_by_cell_on_request(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    assert _series(client, headers, per_cell=True) == [
        ("ENB7", "C1", [96.0]),
        ("ENB7", "C2", [90.0]),
    ]


def test_it_reads_the_seed_form_of_dates(client: TestClient, headers: Headers) -> None:
    load(client, headers)
    seed = {"start_date": "2026-03-02_09:00", "end_date": "2026-03-02_09:59", "grain": "15min"}
    values = _series(client, headers, **seed)[0][2]
    assert values == [pytest.approx(100 * 134 / 140), 95.0, None, None]
    # An end date alone is the whole day; periods start inside the range.
    days = _series(client, headers, start_date="2026-03-01", end_date="2026-03-02", grain="day")
    assert days == [(None, None, [None, pytest.approx(RRC)])]


def test_it_counts_days_in_the_tenant_time_zone(client: TestClient, headers: Headers) -> None:
    load(client, headers, "dave")  # acme, Asia/Seoul: 09:00 UTC is 18:00 local
    response = client.post(
        "/api/kpi/query",
        json={
            "start_date": "2026-03-02",
            "end_date": "2026-03-03",
            "kpi_types": ["RRC_SETUP_SR"],
            "grain": "day",
        },
        headers=headers("erin"),
    )
    body = response.json()
    assert (body["time_zone"], body["start_date"], body["end_date"]) == (
        "Asia/Seoul",
        "2026-03-02T00:00:00+09:00",
        "2026-03-04T00:00:00+09:00",
    )
    points = body["kpis"][0]["series"][0]["points"]
    assert [(p["period_start"], p["value"]) for p in points] == [
        ("2026-03-02T00:00:00+09:00", pytest.approx(RRC)),
        ("2026-03-03T00:00:00+09:00", None),
    ]


def test_it_needs_a_signed_in_user(client: TestClient, headers: Headers) -> None:
    assert _post(client, {}).status_code == 401
    assert _post(client, {"Authorization": "Bearer nope"}).status_code == 401
    for persona in ("alice", "bob", "carol"):
        assert _post(client, headers(persona)).status_code == 200


def test_it_keeps_tenants_apart(client: TestClient, headers: Headers) -> None:
    load(client, headers)  # default tenant only
    erin = headers("erin")
    utc = {"start_date": "2026-03-02T09:00Z", "end_date": "2026-03-02T10:00+00:00"}
    empty = _post(client, erin, **utc).json()["kpis"][0]["series"]
    assert empty == [
        {
            "ne": None,
            "cell": None,
            "points": [
                {
                    "period_start": "2026-03-02T18:00:00+09:00",
                    "period_end": "2026-03-02T19:00:00+09:00",
                    "value": None,
                    "parts": {"sum_1": None, "sum_2": None, "successes": None, "trials": None},
                }
            ],
        }
    ]
    hidden = _post(client, erin, ne="ENB7")
    assert hidden.status_code == 422
    assert hidden.json()["detail"][0]["loc"] == ["body", "ne"]


BAD = [
    ({"kpi_types": ["RRC_SETUP_SR", "NOPE"]}, ["body", "kpi_types", 1], "unknown KPI 'NOPE'"),
    ({"kpi_types": []}, ["body", "kpi_types"], "List should have at least 1 item"),
    ({"grain": "week"}, ["body", "grain"], "Input should be '15min', 'hour' or 'day'"),
    ({"start_date": "yesterday"}, ["body", "start_date"], "'yesterday' is not a date"),
    ({"end_date": "2026-03-02T08:00"}, ["body", "end_date"], "end_date must be after"),
    (
        {"start_date": "2026-01-01", "end_date": "2026-02-01", "grain": "15min"},
        ["body", "end_date"],
        "at most 31 days at grain 15min",
    ),
    ({"ne": "ENB99"}, ["body", "ne"], "no measured object matches ne ENB99"),
    ({"ne": "ENB7", "cellid": "N1"}, ["body", "cellid"], "no measured object matches cellid N1"),
    ({"cellid": ["C1", ""]}, ["body", "cellid", 1], "String should have at least 1 character"),
]


@pytest.mark.parametrize(("change", "loc", "message"), BAD)
def test_it_refuses_bad_input_with_its_field(
    client: TestClient, headers: Headers, change: dict[str, Any], loc: list[Any], message: str
) -> None:
    load(client, headers)
    response = _post(client, headers("carol"), **change)
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["loc"] == loc
    assert detail["msg"].startswith(message), detail["msg"]
