"""Starting an analysis: the seed's trigger call, the period forms read in the tenant's time
zone, and every bad request refused with its field path before anything is queued."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ran.analysis_support import N_MINUS_1, N, hourly_csv, upload, wait_for

Headers = Callable[[str], dict[str, str]]
COUNTERS = {
    ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([100] * 6, [100] * 6),
    ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([99] * 6, [98] * 6),
}
SEOUL_DAY = {"start": "2026-02-27T15:00:00+00:00", "end": "2026-02-28T15:00:00+00:00"}


def test_it_answers_the_seeds_trigger_call_and_its_poll(
    client: TestClient, headers: Headers
) -> None:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    seed_body = {"user_id": "default", "n_minus_1": N_MINUS_1, "n": N, "enable_mock": False}
    answer = client.post(
        "/api/analysis/trigger-llm-analysis",
        json={**seed_body, "use_llm": False},
        headers=headers("bob"),
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert re.fullmatch(r"[0-9a-f]{32}", job["analysis_id"])
    assert (job["status"], job["progress"], job["requested_by"]) == ("queued", 0, "bob")
    assert job["params"]["kpis"][0] == "RRC_SETUP_SR"  # no kpi_types: the whole pack
    wait_for(client, headers("bob"), job["analysis_id"])
    polled = client.get(
        f"/api/analysis/llm-analysis/{job['analysis_id']}", headers=headers("carol")
    )
    body = polled.json()
    assert (body["status"], body["progress"]) == ("succeeded", 100)
    assert body["result"]["id"] == body["result_id"]
    assert body["result"]["metadata"]["analysis_id"] == job["analysis_id"]
    rrc = [r for r in body["result"]["peg_metrics"]["rows"] if r["kpi"] == "RRC_SETUP_SR"]
    assert [(r["cell"], r["value_n"]) for r in rrc] == [(None, 98.0), ("C1", 98.0)]
    no_data = [r for r in body["result"]["peg_metrics"]["rows"] if r["kpi"] == "NR_HO_INTER_SR"]
    assert [(r["verdict"], r["reason"]) for r in no_data] == [("inconclusive", "no data in N-1")]


@pytest.mark.parametrize(
    ("n_minus_1", "n"),
    [
        ("2026-02-28_00:00~2026-02-28_23:59", "2026-03-01_00:00~2026-03-01_23:59"),
        ("2026-02-28~2026-02-28", "2026-03-01/2026-03-01"),
        ("2026-02-28T00:00+09:00~2026-03-01T00:00+09:00", "2026-03-01T00:00~2026-03-02T00:00"),
        ({"start": "2026-02-28T00:00", "end": "2026-03-01T00:00"}, "2026-03-01~2026-03-01"),
    ],
)
def test_it_reads_periods_in_the_tenants_time_zone(
    client: TestClient, headers: Headers, n_minus_1: Any, n: str
) -> None:
    answer = client.post(
        "/api/async-analysis/start",
        json={"n_minus_1": n_minus_1, "n": n, "kpi_types": ["RRC_SETUP_SR"]},
        headers=headers("dave"),  # acme: Asia/Seoul
    )
    assert answer.status_code == 202, answer.text
    params = answer.json()["params"]
    assert {k: params["n_minus_1"][k] for k in ("start", "end")} == SEOUL_DAY
    assert params["n"]["start"] == "2026-02-28T15:00:00+00:00"
    assert params["n"]["end"] == "2026-03-01T15:00:00+00:00"


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"enable_mock": True}, ["body", "enable_mock"], "no mock analysis"),
        ({"n_minus_1": "2026-02-28"}, ["body", "n_minus_1"], "write start~end"),
        ({"n_minus_1": "2026-02-28_25:00~2026-02-28_26:00"}, ["body", "n_minus_1"], "hour"),
        ({"n": "2026-03-02~2026-03-01"}, ["body", "n"], "ends before it starts"),
        ({"n": "2026-03-01~2026-04-15"}, ["body", "n"], "at most 31 days"),
        ({"n": "2026-02-28_05:00~2026-02-28_07:00"}, ["body", "n"], "N-1 and N overlap"),
        ({"n": None}, ["body", "n"], "Field required"),
        ({"kpi_types": ["RRC_SETUP_SR", "BOGUS"]}, ["body", "kpi_types"], "unknown KPIs BOGUS"),
        ({"grain": "week"}, ["body", "grain"], "'15min', 'hour' or 'day'"),
        ({"cellid": ["C1", "C404"]}, ["body", "cellid"], "matches cellid C404"),
        ({"ne": "ENB404"}, ["body", "ne"], "matches ne ENB404"),
        ({"thresholds": {"rate_pp": -1}}, ["body", "thresholds", "rate_pp"], "greater than"),
        ({"surprise": 1}, ["body", "surprise"], "Extra inputs"),
    ],
)
def test_it_refuses_bad_requests_with_their_field_and_queues_nothing(
    client: TestClient, headers: Headers, change: dict[str, Any], loc: list[str], message: str
) -> None:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    body = {"n_minus_1": N_MINUS_1, "n": N, **change}
    answer = client.post("/api/async-analysis/start", json=body, headers=headers("bob"))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == loc
    assert message in error["msg"]
    assert client.get("/api/async-analysis/list", headers=headers("bob")).json()["total"] == 0
