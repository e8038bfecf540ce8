"""A daily MTTR across both DST changes of 2026 in Europe/Berlin (tenant ``default``).

id  created (local)          resolved (local)          real hours  local day
b1  03-29 01:30 +01:00       03-29 03:30 +02:00        1.0         29 Mar (clock says 2)
b2  03-28 22:30 +01:00       03-29 00:30 +01:00        2.0         29 Mar (28 Mar in UTC)
b3  03-29 20:00 +02:00       03-30 00:30 +02:00        4.5         30 Mar (29 Mar at +01:00)
b4  03-28 10:00 +01:00       03-28 13:00 +01:00        3.0         28 Mar
b5  10-25 01:00 +02:00       10-25 23:30 +01:00       23.5         25 Oct (26 Oct at +02:00)
b6  10-25 02:30 +02:00       10-25 02:30 +01:00        1.0         25 Oct (same wall time)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from kpiwatch.kpi.periods import periods
from kpiwatch.kpi.templates import TEMPLATES


def _done(id: str, created: str, resolved: str) -> dict[str, Any]:
    return {
        "id": id,
        "service": "api",
        "status": "done",
        "created_at": f"2026-{created}",
        "resolved_at": f"2026-{resolved}",
    }


ROWS = [
    _done("b1", "03-29T01:30:00+01:00", "03-29T03:30:00+02:00"),
    _done("b2", "03-28T22:30:00+01:00", "03-29T00:30:00+01:00"),
    _done("b3", "03-29T20:00:00+02:00", "03-30T00:30:00+02:00"),
    _done("b4", "03-28T10:00:00+01:00", "03-28T13:00:00+01:00"),
    _done("b5", "10-25T01:00:00+02:00", "10-25T23:30:00+01:00"),
    _done("b6", "10-25T02:30:00+02:00", "10-25T02:30:00+01:00"),
]


def test_it_buckets_days_in_local_time_across_dst(
    kpi: Any, ingest: Callable[..., None], tenant_id: Callable[[str], int]
) -> None:
    ingest("bob", "service_requests", ROWS)
    tenant = tenant_id("default")
    days = periods("DAILY", date(2026, 3, 28), date(2026, 3, 31), "Europe/Berlin")
    rows = kpi.compute(TEMPLATES["MTTR"].formula, tenant, days)
    assert [r.period_start for r in rows] == [d[0] for d in days]
    # 28 Mar: b4 3 h. 29 Mar (23 h long): b1 1 h, b2 2 h. 30 Mar: b3 4.5 h. 31 Mar: empty.
    assert [r.value for r in rows] == [
        pytest.approx(3.0),
        pytest.approx(1.5),
        pytest.approx(4.5),
        None,
    ]
    assert [r.parts["avg_1.count"] for r in rows] == [1, 2, 1, 0]

    autumn = periods("DAILY", date(2026, 10, 24), date(2026, 10, 26), "Europe/Berlin")
    rows = kpi.compute(TEMPLATES["MTTR"].formula, tenant, autumn)
    # 25 Oct (25 h long): (23.5 + 1) / 2.
    assert [r.value for r in rows] == [None, pytest.approx(12.25), None]
