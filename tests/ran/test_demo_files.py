"""The demo's RAN PM files: every cell has its KPIs for the demo's days, loading again
stores only new periods, the numbers are the counters' own, and the faulty cell degrades.

The default tenant is in Asia/Seoul here, so the demo's days are local days: at 09:00 UTC
on 2 March it is 18:00 in Seoul, and the 14 days run from 17 February 00:00 (16 February
15:00 UTC) to 2 March 18:00, 1,320 quarter-hours of three NEs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from tests.web.ran_support import comparison_rows, log_in, tree

from kpiwatch import demo_ran
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.ran.files import FileResult

Headers = Callable[[str], dict[str, str]]
SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's time: 18:00 in Seoul
FILES = 1320 * 3
CELLS = [(ne, f"{ne}-{n}") for ne in ("ENB1", "ENB2", "GNB1") for n in (1, 2, 3)]
ALL_DAYS = {"start_date": "2026-02-17", "end_date": "2026-03-02", "grain": "day"}


def _load(url: str, now: datetime) -> list[FileResult]:
    async def run() -> list[FileResult]:
        db = Database(url)
        try:
            return await demo_ran.load(db, Caller(1, "default", now, name="demo"), SEOUL)
        finally:
            await db.dispose()

    return asyncio.run(run())


@pytest.fixture
def seoul(client: TestClient, headers: Headers) -> None:
    admin = headers("alice")
    tenant = client.get("/api/tenant", headers=admin).json()
    body = {"name": tenant["name"], "timezone": "Asia/Seoul"}
    assert client.put("/api/tenant", json=body, headers=admin).status_code == 200


def _rrc(client: TestClient, headers: Headers, **body: Any) -> list[dict[str, Any]]:
    query = {"kpi_types": ["RRC_SETUP_SR"]} | body
    response = client.post("/api/kpi/query", json=query, headers=headers("carol"))
    assert response.status_code == 200, response.text
    [kpi] = response.json()["kpis"]
    series: list[dict[str, Any]] = kpi["series"]
    return series


def _file_count(client: TestClient, headers: Headers) -> int:
    response = client.get("/api/pm/files", params={"limit": 1}, headers=headers("carol"))
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


@pytest.mark.usefixtures("seoul")
def test_it_gives_every_cell_an_rrc_setup_rate_for_each_day(
    client: TestClient, headers: Headers, database_url: str
) -> None:
    results = _load(database_url, NOW)
    assert [r.status for r in results] == ["imported"] * FILES
    assert {(r.values, r.blocks) for r in results} == {(57, 3)}  # 3 cells, 19 counters
    assert _file_count(client, headers) == FILES
    newest = client.get("/api/pm/files", params={"limit": 1}, headers=headers("carol"))
    [item] = newest.json()["items"]
    assert (item["name"], item["ne"], item["gran_s"]) == (
        "A20260302.0845+0000-0900+0000_GNB1.xml",
        "GNB1",
        900,
    )

    series = _rrc(client, headers, per_cell=True, **ALL_DAYS)
    assert [(s["ne"], s["cell"]) for s in series] == CELLS
    for s in series:
        starts = [p["period_start"] for p in s["points"]]
        assert starts[0] == "2026-02-17T00:00:00+09:00"
        assert starts[-1] == "2026-03-02T00:00:00+09:00"
        assert all(90 < p["value"] < 100 for p in s["points"]), s


@pytest.mark.usefixtures("seoul")
def test_it_stores_only_the_new_periods_when_loaded_again(
    client: TestClient, headers: Headers, database_url: str
) -> None:
    _load(database_url, NOW)
    before = _rrc(client, headers, per_cell=True, **ALL_DAYS)

    again = _load(database_url, NOW)
    assert {r.status for r in again} == {"duplicate"}
    assert len(again) == FILES
    assert _file_count(client, headers) == FILES

    later = _load(database_url, NOW + timedelta(hours=1))
    imported = [r.name for r in later if r.status == "imported"]
    assert len(later) == FILES + 12
    assert imported[:3] == [f"A20260302.0900+0000-0915+0000_{ne}.xml" for ne in demo_ran.NETWORK]
    assert len(imported) == 12  # four quarter-hours of three NEs
    assert _file_count(client, headers) == FILES + 12
    after = _rrc(client, headers, per_cell=True, **ALL_DAYS)
    for old, new in zip(before, after, strict=True):  # only today's value moves
        assert old["points"][:-1] == new["points"][:-1]


@pytest.mark.usefixtures("seoul")
def test_it_computes_a_quarter_hour_from_the_counters_written(
    client: TestClient, headers: Headers, database_url: str
) -> None:
    _load(database_url, NOW)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=SEOUL)  # the faulty cell on the fault day
    [cell] = [c for c in demo_ran.NETWORK["ENB2"] if c.cell == "ENB2-2"]
    counters = demo_ran.counters(cell, start.astimezone(UTC), SEOUL, date(2026, 3, 2))
    attempts, successes = counters["RRC.ConnEstabAtt.sum"], counters["RRC.ConnEstabSucc.sum"]
    assert 0 < successes < attempts

    quarter = {"start_date": "2026-03-02T12:00", "end_date": "2026-03-02T12:15", "grain": "15min"}
    [series] = _rrc(client, headers, ne="ENB2", cellid="ENB2-2", **quarter)
    [point] = series["points"]
    assert point["period_start"] == "2026-03-02T12:00:00+09:00"
    assert point["parts"]["sum_1"] == successes
    assert point["parts"]["sum_2"] == attempts
    assert point["value"] == pytest.approx(100 * successes / attempts)


@pytest.mark.usefixtures("seoul")
def test_it_shows_the_faulty_cell_degraded_on_its_last_day(
    client: TestClient, headers: Headers, database_url: str
) -> None:
    _load(database_url, NOW)
    [faulty] = _rrc(client, headers, ne="ENB2", cellid="ENB2-2", **ALL_DAYS)
    days = [p["value"] for p in faulty["points"]]
    assert days[-1] < days[-2] < min(days[:-2])  # worse on 1 March, worse still on 2 March
    assert days[-2] < min(days[:-2]) - 1  # about 2 points
    assert days[-1] < days[-2] - 4  # about 6 more

    log_in(client, "carol")
    page = tree(client.get("/ran").text)  # the first view: 2 March against 1 March
    rows = comparison_rows(page)
    rrc = {row[1]: row[5] for row in rows if row[0] == "RRC setup success rate"}
    assert rrc == {"Selection": "stable"} | {
        f"{ne} · {cell}": "degraded" if cell == "ENB2-2" else "stable" for ne, cell in CELLS
    }
    # Every other KPI is stable but LTE accessibility, a product of the RRC success ratio
    # and two others: the faulty cell's, and with it the selection's.
    assert [row[:2] + row[5:6] for row in rows if row[5] != "stable"] == [
        ("RRC setup success rate", "ENB2 · ENB2-2", "degraded"),
        ("LTE accessibility (E-RAB accessibility)", "Selection", "degraded"),
        ("LTE accessibility (E-RAB accessibility)", "ENB2 · ENB2-2", "degraded"),
    ]
