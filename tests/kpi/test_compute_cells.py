"""Per-cell statements (``formula/cells.py``) against the grouped ones, and backlog edges.

Tenant ``acme`` (Asia/Seoul). Daily periods 10 to 12 March 2026, local; requests (local):

  id  service status  created          resolved
  s1  api     open    03-01 09:00      -                 open before the range, still open
  s2  api     done    03-05 09:00      03-11 12:00       open at the end of the 10th
  s3  api     done    03-10 10:00      03-10 11:00       never open at a day's end
  s4  api     done    03-11 10:00      03-11 10:00       resolved as created: never open
  s5  api     done    03-12 20:00      03-13 01:00       open at the end of the 12th
  s6  api     done    03-09 10:00      03-12 00:00       resolved exactly at the end of the 11th
  s7  web     open    03-11 23:59      -                 open at the end of the 11th and 12th

Backlog at the end of each day: api 10th s1 s2 s6 = 3, 11th s1 s6 = 2, 12th s1 s5 = 2;
web 0, 1, 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from kpiwatch.kpi.formula import cells
from kpiwatch.kpi.periods import periods
from kpiwatch.kpi.templates import TEMPLATES

DAYS = periods("DAILY", date(2026, 3, 10), date(2026, 3, 12), "Asia/Seoul")


def _request(id: str, service: str, created: str, resolved: str | None = None) -> dict[str, Any]:
    return {
        "id": id,
        "service": service,
        "status": "open" if resolved is None else "done",
        "created_at": f"2026-{created}:00+09:00",
        "resolved_at": resolved and f"2026-{resolved}:00+09:00",
        "reassignment_count": int(id[1:]) % 2,
        "sla_due_at": f"2026-{created}:00+09:00" if id in ("s3", "s5") else None,
    }


REQUESTS = [
    _request("s1", "api", "03-01T09:00"),
    _request("s2", "api", "03-05T09:00", "03-11T12:00"),
    _request("s3", "api", "03-10T10:00", "03-10T11:00"),
    _request("s4", "api", "03-11T10:00", "03-11T10:00"),
    _request("s5", "api", "03-12T20:00", "03-13T01:00"),
    _request("s6", "api", "03-09T10:00", "03-12T00:00"),
    _request("s7", "web", "03-11T23:59"),
]


@pytest.fixture
def acme(ingest: Callable[..., None], tenant_id: Callable[[str], int]) -> int:
    ingest("dave", "service_requests", REQUESTS)
    return tenant_id("acme")


def test_it_counts_the_backlog_at_each_day_s_end(kpi: Any, acme: int) -> None:
    rows = kpi.compute(TEMPLATES["SR_BACKLOG"].formula, acme, DAYS, ["service"])
    assert [(r.dims["service"], r.value) for r in rows] == [
        ("api", 3),
        ("web", 0),
        ("api", 2),
        ("web", 1),
        ("api", 2),
        ("web", 1),
    ]
    totals = kpi.compute(TEMPLATES["SR_BACKLOG"].formula, acme, DAYS)
    assert [r.value for r in totals] == [3, 3, 3]


FORMULAS = [
    *(t.formula for t in TEMPLATES.values() if t.name != "DEPLOY_SUCCESS_RATE"),
    "count_distinct(status of service_requests by created_at) + open(service_requests"
    " where reassignment_count = 0)",
    "sum(minutes(resolved_at - created_at) / 2 of service_requests by resolved_at)",
    "max(reassignment_count of service_requests where sla_due_at is null by resolved_at)",
    "count(resolved_at of service_requests by created_at)",
]


def _plain(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows with numbers rounded: the two statements may add floats in another order."""

    def number(value: float | None) -> float | None:
        return None if value is None else round(value, 9)

    return [
        (r.period_start, r.dims, number(r.value), {k: number(v) for k, v in r.parts.items()})
        for r in rows
    ]


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_gives_the_rows_of_the_grouped_statement(
    kpi: Any, acme: int, formula: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans = [*DAYS, *periods("MONTHLY", date(2026, 4, 1), date(2026, 4, 1), "Asia/Seoul")]
    per_service = _plain(kpi.compute(formula, acme, DAYS, ["service"]))
    total = _plain(kpi.compute(formula, acme, DAYS))
    with monkeypatch.context() as patch:
        patch.setattr(cells, "usable", lambda *_: False)
        assert _plain(kpi.compute(formula, acme, DAYS, ["service"])) == per_service
        assert _plain(kpi.compute(formula, acme, DAYS)) == total
    # With a gap between periods a snapshot is grouped, with the same answer.
    with_gap = _plain(kpi.compute(formula, acme, spans, ["service"]))
    assert with_gap[: len(per_service)] == per_service


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_gives_the_same_rows_on_shared_connections(kpi: Any, acme: int, formula: str) -> None:
    # api on one connection, web on the other: exactly the rows of one connection.
    one = kpi.compute(formula, acme, DAYS, ["service"])
    assert kpi.compute(formula, acme, DAYS, ["service"], spare=1) == one
    assert kpi.compute(formula, acme, DAYS, ["service"], spare=2) == one
