"""The five templates on a hand-made month of requests and deployments in Asia/Seoul.

Tenant ``acme`` (Asia/Seoul, no DST). Monthly periods January to March 2026, local:
    Jan = [2025-12-31 15:00Z, 2026-01-31 15:00Z)   Feb = [.., 2026-02-28 15:00Z)   Mar = [..)

Requests (local times, +09:00):
  id  service status       created          resolved         hours  reassign  sla_due
  r1  api     done         01-05 09:00      01-05 13:00       4.0    0        01-05 17:00 met
  r2  api     done         01-10 10:00      01-11 12:00      26.0    1        01-11 10:00 missed
  r3  api     done         01-31 20:00      01-31 23:30       3.5    0        -
  r4  web     done         01-31 22:00      02-01 00:30       2.5    0        02-01 06:00 met
  r5  web     cancelled    01-20 09:00      01-20 10:00        -     0        -
  r6  web     open         01-25 09:00      -                  -     0        -
  r7  api     in_progress  02-03 09:00      -                  -     0        -
  r8  web     done         02-10 09:00      02-12 09:00      48.0    2        02-11 09:00 missed
  r9  api     done         02-27 12:00      02-28 12:00      24.0    0        03-01 00:00 met

r3 is resolved at 23:30 on the last day of January: January. r4 at 00:30 on 1 February
local, which is still 31 January in UTC: February.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from kpiwatch.kpi.formula import NotAdditive, parse, rollup
from kpiwatch.kpi.formula import compute as compute_module
from kpiwatch.kpi.formula.compute import KpiRow
from kpiwatch.kpi.periods import periods
from kpiwatch.kpi.templates import TEMPLATES

MONTHS = periods("MONTHLY", date(2026, 1, 1), date(2026, 3, 31), "Asia/Seoul")
JAN, FEB, MAR = (p[0] for p in MONTHS)


def _request(
    id: str,
    service: str,
    status: str,
    created: str,
    resolved: str | None = None,
    reassign: int = 0,
    sla: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "service": service,
        "status": status,
        "created_at": f"2026-{created}:00+09:00",
        "resolved_at": resolved and f"2026-{resolved}:00+09:00",
        "reassignment_count": reassign,
        "sla_due_at": sla and f"2026-{sla}:00+09:00",
        "assignee": assignee,
    }


REQUESTS = [
    _request("r1", "api", "done", "01-05T09:00", "01-05T13:00", 0, "01-05T17:00", "kim"),
    _request("r2", "api", "done", "01-10T10:00", "01-11T12:00", 1, "01-11T10:00", "lee"),
    _request("r3", "api", "done", "01-31T20:00", "01-31T23:30", 0, None, "kim"),
    _request("r4", "web", "done", "01-31T22:00", "02-01T00:30", 0, "02-01T06:00"),
    _request("r5", "web", "cancelled", "01-20T09:00", "01-20T10:00"),
    _request("r6", "web", "open", "01-25T09:00"),
    _request("r7", "api", "in_progress", "02-03T09:00"),
    _request("r8", "web", "done", "02-10T09:00", "02-12T09:00", 2, "02-11T09:00"),
    _request("r9", "api", "done", "02-27T12:00", "02-28T12:00", 0, "03-01T00:00", "kim"),
]


def _deployment(id: str, service: str, status: str, finished: str | None) -> dict[str, Any]:
    at = finished or "01-01T00:00"
    return {
        "id": id,
        "service": service,
        "status": status,
        "started_at": f"2026-{at[:-2]}00:00+09:00",
        "finished_at": finished and f"2026-{finished}:00+09:00",
    }


DEPLOYMENTS = [
    _deployment("d1", "api", "succeeded", "01-10T10:00"),
    _deployment("d2", "api", "failed", "01-15T10:00"),
    _deployment("d3", "api", "rolled_back", "01-31T23:59"),
    _deployment("d4", "web", "succeeded", "01-20T10:00"),
    _deployment("d5", "web", "in_progress", None),
    _deployment("d6", "web", "succeeded", "02-05T10:00"),
    _deployment("d7", "api", "succeeded", "02-06T10:00"),
    _deployment("d8", "web", "failed", "02-07T10:00"),
]

Table = dict[tuple[Any, str], KpiRow]


@pytest.fixture
def acme(ingest: Callable[..., None], tenant_id: Callable[[str], int]) -> int:
    ingest("dave", "service_requests", REQUESTS)
    ingest("dave", "deployments", DEPLOYMENTS)
    return tenant_id("acme")


def _by_service(rows: list[KpiRow]) -> Table:
    return {(r.period_start, r.dims["service"]): r for r in rows}


def _template(kpi: Any, name: str, tenant: int) -> Table:
    rows = kpi.compute(TEMPLATES[name].formula, tenant, MONTHS, ["service"])
    # Every month has a row for every service seen in the range.
    assert len(rows) == 3 * 2
    return _by_service(rows)


def test_it_computes_mttr_by_resolution_month(kpi: Any, acme: int) -> None:
    table = _template(kpi, "MTTR", acme)
    # Jan api: r1 4 + r2 26 + r3 3.5 = 33.5 h over 3; web resolved only a cancelled one.
    assert table[JAN, "api"].parts == {"avg_1.sum": pytest.approx(33.5), "avg_1.count": 3}
    assert table[JAN, "api"].value == pytest.approx(33.5 / 3)
    assert table[JAN, "web"].value is None
    # Feb api: r9 24 h. Feb web: r4 2.5 + r8 48 = 50.5 over 2.
    assert table[FEB, "api"].value == pytest.approx(24.0)
    assert table[FEB, "web"].value == pytest.approx(25.25)
    # Nothing resolved in March: no data, not zero.
    assert table[MAR, "api"].value is None
    assert table[MAR, "web"].parts == {"avg_1.sum": 0.0, "avg_1.count": 0}


def test_it_computes_fcr(kpi: Any, acme: int) -> None:
    table = _template(kpi, "FCR", acme)
    # Jan api: r1, r3 without reassignment among r1, r2, r3.
    assert table[JAN, "api"].parts == {"count_1": 2, "count_2": 3}
    assert table[JAN, "api"].value == pytest.approx(200 / 3)
    assert table[JAN, "web"].value is None
    assert table[FEB, "api"].value == pytest.approx(100.0)  # r9
    assert table[FEB, "web"].value == pytest.approx(50.0)  # r4 yes, r8 no
    assert table[MAR, "api"].parts == {"count_1": 0, "count_2": 0}
    assert table[MAR, "api"].value is None


def test_it_computes_sla_compliance_without_requests_lacking_a_due_date(
    kpi: Any, acme: int
) -> None:
    table = _template(kpi, "SLA_COMPLIANCE", acme)
    # Jan api: r1 met, r2 missed; r3 has no due date and counts on neither side.
    assert table[JAN, "api"].parts == {"count_1": 1, "count_2": 2}
    assert table[JAN, "api"].value == pytest.approx(50.0)
    assert table[FEB, "web"].parts == {"count_1": 1, "count_2": 2}  # r4 met, r8 missed
    assert table[FEB, "api"].value == pytest.approx(100.0)  # r9 met
    assert table[MAR, "web"].value is None


def test_it_computes_the_backlog_at_the_end_of_each_local_month(kpi: Any, acme: int) -> None:
    table = _template(kpi, "SR_BACKLOG", acme)
    # End of Jan (1 Feb 00:00 local): r4 (resolved 00:30 local) and r6 open on web;
    # r3 was resolved at 23:30, r7 does not exist yet. In UTC months r4 would be closed.
    assert table[JAN, "web"].value == 2
    assert table[JAN, "api"].value == 0
    assert table[JAN, "api"].parts == {"open_1": 0}
    # End of Feb and of Mar: r7 on api, r6 on web.
    assert [table[FEB, "api"].value, table[FEB, "web"].value] == [1, 1]
    assert [table[MAR, "api"].value, table[MAR, "web"].value] == [1, 1]


def test_it_computes_the_deployment_success_rate(kpi: Any, acme: int) -> None:
    table = _template(kpi, "DEPLOY_SUCCESS_RATE", acme)
    # Jan api: d1 succeeded, d2 failed, d3 rolled back at 23:59 on 31 Jan local.
    assert table[JAN, "api"].parts == {"count_1": 1, "count_2": 3}
    assert table[JAN, "web"].value == pytest.approx(100.0)  # d4; d5 never finished
    assert table[FEB, "web"].value == pytest.approx(50.0)  # d6 succeeded, d8 failed
    assert table[FEB, "api"].value == pytest.approx(100.0)
    assert table[MAR, "api"].value is None


def test_it_rolls_up_services_as_sum_of_parts_not_mean_of_ratios(kpi: Any, acme: int) -> None:
    formula = parse(TEMPLATES["FCR"].formula)
    table = _by_service(kpi.compute(formula, acme, MONTHS, ["service"]))
    feb = [table[FEB, "api"].parts, table[FEB, "web"].parts]
    value, parts = rollup(formula, feb)
    # Σ first-time fixes / Σ done = (1 + 1) / (1 + 2), not (100 + 50) / 2.
    assert parts == {"count_1": 2, "count_2": 3}
    assert value == pytest.approx(200 / 3)
    total = kpi.compute(formula, acme, MONTHS)
    assert [r.value for r in total] == [pytest.approx(200 / 3), pytest.approx(200 / 3), None]
    assert total[1].parts == parts


def test_it_rolls_up_averages_and_periods_from_parts(kpi: Any, acme: int) -> None:
    formula = parse(TEMPLATES["MTTR"].formula)
    table = _by_service(kpi.compute(formula, acme, MONTHS, ["service"]))
    # Jan + Feb on api: (33.5 + 24) h over 3 + 1 requests.
    value, _ = rollup(formula, [table[JAN, "api"].parts, table[FEB, "api"].parts])
    assert value == pytest.approx(57.5 / 4)
    # Feb over services: (24 + 2.5 + 48) / 3.
    value, _ = rollup(formula, [table[FEB, "api"].parts, table[FEB, "web"].parts])
    assert value == pytest.approx(74.5 / 3)


def test_it_rolls_a_backlog_up_over_periods_as_its_last_value(kpi: Any, acme: int) -> None:
    formula = parse(TEMPLATES["SR_BACKLOG"].formula)
    rows = kpi.compute(formula, acme, MONTHS[:2])
    assert [r.value for r in rows] == [2, 2]
    value, _ = rollup(formula, [r.parts for r in rows], across_periods=True)
    assert value == 2
    # Over services in one period, backlogs add up: 0 on api + 2 on web.
    table = _by_service(kpi.compute(formula, acme, MONTHS, ["service"]))
    assert rollup(formula, [table[JAN, "api"].parts, table[JAN, "web"].parts])[0] == 2
    whole = kpi.rollup(formula, acme, MONTHS, across_periods=True, dimensions=["service"])
    assert {r.dims["service"]: r.value for r in whole} == {"api": 1, "web": 1}


PERCENTILES = (
    "p50(hours(resolved_at - created_at) of service_requests where status = 'done'"
    " by resolved_at) + 0 * p95(hours(resolved_at - created_at) of service_requests"
    " where status = 'done' by resolved_at)"
)


def test_it_computes_exact_percentiles(kpi: Any, acme: int) -> None:
    table = _by_service(kpi.compute(PERCENTILES, acme, MONTHS, ["service"]))
    # Jan api sorted: 3.5, 4, 26. p50: row 1 → 4. p95: h = 0.95·2 = 1.9 → 4 + 0.9·22.
    assert table[JAN, "api"].parts["p50_1"] == pytest.approx(4.0)
    assert table[JAN, "api"].parts["p95_2"] == pytest.approx(23.8)
    # Feb web: 2.5, 48. p50: 2.5 + 0.5·45.5 = 25.25; p95: 2.5 + 0.95·45.5 = 45.725.
    assert table[FEB, "web"].parts["p50_1"] == pytest.approx(25.25)
    assert table[FEB, "web"].parts["p95_2"] == pytest.approx(45.725)
    # One value: every percentile is that value. None: no data.
    assert table[FEB, "api"].parts == {"p50_1": pytest.approx(24.0), "p95_2": pytest.approx(24.0)}
    assert table[MAR, "api"].parts == {"p50_1": None, "p95_2": None}
    assert table[MAR, "api"].value is None


def test_it_recomputes_percentiles_from_rows_for_a_rollup(kpi: Any, acme: int) -> None:
    formula = parse(PERCENTILES)
    with pytest.raises(NotAdditive):
        rollup(formula, [{"p50_1": 1.0, "p95_2": 2.0}])
    rows = kpi.rollup(formula, acme, MONTHS)
    # Feb, all services: 2.5, 24, 48. p50 = 24; p95 = 24 + 0.9·24 = 45.6.
    assert rows[1].parts == {"p50_1": pytest.approx(24.0), "p95_2": pytest.approx(45.6)}
    # Jan and Feb as one period: 2.5, 3.5, 4, 24, 26, 48. p50 = 4 + 0.5·20 = 14.
    # p95: h = 0.95·5 = 4.75 → 26 + 0.75·22 = 42.5.
    whole = kpi.rollup(formula, acme, MONTHS[:2], across_periods=True)
    assert whole[0].parts == {"p50_1": pytest.approx(14.0), "p95_2": pytest.approx(42.5)}
    assert whole[0].value == pytest.approx(14.0)


def test_it_counts_distinct_values_exactly_over_periods(kpi: Any, acme: int) -> None:
    formula = parse("count_distinct(assignee of service_requests by resolved_at)")
    table = _by_service(kpi.compute(formula, acme, MONTHS, ["service"]))
    assert table[JAN, "api"].value == 2  # kim, lee
    assert table[FEB, "api"].value == 1  # kim again
    whole = kpi.rollup(formula, acme, MONTHS[:2], across_periods=True, dimensions=["service"])
    assert {r.dims["service"]: r.value for r in whole} == {"api": 2, "web": 0}


def test_it_keeps_tenants_apart(
    kpi: Any, acme: int, ingest: Callable[..., None], tenant_id: Callable[[str], int]
) -> None:
    ingest("bob", "service_requests", REQUESTS[:1])
    rows = kpi.compute("count(service_requests by resolved_at)", tenant_id("default"), MONTHS)
    assert [r.value for r in rows] == [1, 0, 0]
    rows = kpi.compute("count(service_requests by resolved_at)", acme, MONTHS)
    assert [r.value for r in rows] == [4, 3, 0]


def test_it_starts_every_month_at_local_midnight() -> None:
    assert [d.isoformat() for d in (JAN, FEB, MAR)] == [
        "2025-12-31T15:00:00+00:00",
        "2026-01-31T15:00:00+00:00",
        "2026-02-28T15:00:00+00:00",
    ]


def test_it_mixes_datasets_in_one_formula(kpi: Any, acme: int) -> None:
    formula = "count(deployments where status = 'succeeded') + open(service_requests)"
    table = _by_service(kpi.compute(formula, acme, MONTHS, ["service"]))
    # Jan: api d1 + 0 open, web d4 + 2 open. Feb: d7 + r7, d6 + r6. Mar: 0 + 1 each.
    assert [table[m, s].value for m in (JAN, FEB, MAR) for s in ("api", "web")] == [
        1,
        3,
        2,
        2,
        1,
        1,
    ]


def test_it_runs_one_statement_for_all_periods_and_services(
    kpi: Any, acme: int, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("WITH"):
            statements.append(statement)

    engine = client.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        whole = kpi.compute(TEMPLATES["FCR"].formula, acme, MONTHS, ["service"])
        assert len(statements) == 1
        # Past the per-statement limit the range is split, with the same answer.
        monkeypatch.setattr(compute_module, "MAX_PERIODS_PER_STATEMENT", 2)
        split = kpi.compute(TEMPLATES["FCR"].formula, acme, MONTHS, ["service"])
        assert len(statements) == 3
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert split == whole
