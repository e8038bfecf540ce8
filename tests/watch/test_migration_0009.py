"""Migration ``watch_0009`` on a database that already holds checks: results keyed by
(monitor, instant), narrower rollups, the checks counter, and the KPI views."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from kpiwatch.core.db import UTCDateTime, make_engine
from kpiwatch.core.migrate import upgrade

T0 = "2026-03-01 09:00:00"
RESULTS = [
    (T0, "up", None),
    (T0, "up", None),  # the same instant twice: one is kept
    ("2026-03-01 09:01:00", "down", "http_error"),
]


def _sql(statement: str) -> TextClause:
    return text(statement).bindparams(bindparam("at", type_=UTCDateTime))


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


async def _migrate_with_checks(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(url)
    try:
        await upgrade(engine, "0008")
        async with engine.begin() as conn:
            await conn.execute(
                _sql(
                    "INSERT INTO services (tenant_id, id, name, created_at, updated_at) "
                    "VALUES (1, 'mail', 'Mail', :at, :at)"
                ),
                {"at": _at(T0)},
            )
            await conn.execute(
                _sql(
                    "INSERT INTO monitors (id, tenant_id, service_id, name, type, url, headers, "
                    "expected_status, interval_s, timeout_s, grace_s, failures_before_down, "
                    "successes_before_up, degraded_ms, created_at, updated_at) VALUES (7, 1, "
                    "'mail', 'web', 'http', 'http://127.0.0.1:9/', '{}', '[]', 60, 10, 60, 3, "
                    "1, 7000, :at, :at)"
                ),
                {"at": _at(T0)},
            )
            for at, status, error in RESULTS:
                await conn.execute(
                    _sql(
                        "INSERT INTO check_results (monitor_id, at, status, is_success, "
                        "error_type) VALUES (7, :at, :status, :ok, :error)"
                    ),
                    {"at": _at(at), "status": status, "ok": status == "up", "error": error},
                )
            for grain, start in (("day", "2026-03-01 00:00:00"), ("hour", T0)):
                await conn.execute(
                    _sql(
                        "INSERT INTO check_rollups (monitor_id, grain, bucket_start, checks, ok, "
                        "failed, observed_s, downtime_s, timed, sum_ms, le_100, le_inf) VALUES "
                        "(7, :grain, :at, 2, 1, 1, 60, 0, 2, 4100, 1, 1)"
                    ),
                    {"grain": grain, "at": _at(start)},
                )
            await conn.execute(
                text("INSERT INTO monitor_state (monitor_id, state) VALUES (7, 'up')")
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            out = {}
            for name, query in {
                "results": "SELECT status, error_type FROM check_results ORDER BY at",
                "state": "SELECT checks_total FROM monitor_state",
                "days": "SELECT tenant_id, service, monitor, checks, sum_ms, latency_le_100, "
                "latency_le_inf FROM monitor_days",
                "hours": "SELECT service, checks FROM monitor_hours",
            }.items():
                out[name] = [dict(r._mapping) for r in await conn.execute(text(query))]
            return out
    finally:
        await engine.dispose()


def test_it_keeps_the_checks_already_stored(fresh_url: str) -> None:
    found = asyncio.run(_migrate_with_checks(fresh_url))
    assert found["results"] == [
        {"status": "up", "error_type": None},
        {"status": "down", "error_type": "http_error"},
    ]
    assert found["state"] == [{"checks_total": 2}]
    assert found["days"] == [
        {
            "tenant_id": 1,
            "service": "mail",
            "monitor": "web",
            "checks": 2,
            "sum_ms": 4100,
            "latency_le_100": 1,
            "latency_le_inf": 1,
        }
    ]
    assert found["hours"] == [{"service": "mail", "checks": 2}]
