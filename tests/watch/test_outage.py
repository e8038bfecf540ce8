"""A scripted outage: the target answers 500 from second 10 to second 19."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.watch.models import status_timeline
from kpiwatch.watch.state import Transition
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def _script(driver: Driver, target: Target) -> None:
    for second in range(31):
        target.mode = "error" if 10 <= second < 20 else "up"
        driver.tick(second)


def test_it_dates_the_outage_from_the_first_failure_to_the_first_success(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    seen: list[Transition] = []
    driver.runner.listeners.append(seen.extend)
    _script(driver, target)
    rows = driver.rows(
        select(status_timeline.c.state, status_timeline.c.started_at, status_timeline.c.ended_at)
        .where(status_timeline.c.monitor_id == monitor["id"])
        .order_by(status_timeline.c.started_at)
    )
    spans = [
        (r["state"], r["started_at"].second, r["ended_at"] and r["ended_at"].second) for r in rows
    ]
    assert spans == [("up", 0, 10), ("down", 10, 20), ("up", 20, None)]
    assert [(t.previous, t.state, t.at.second) for t in seen] == [
        (None, "up", 0),
        ("up", "down", 10),
        ("down", "up", 20),
    ]


def test_it_counts_the_scripted_downtime_in_every_rollup(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    _script(driver, target)
    for grain in ("minute", "hour", "day"):
        [rollup] = driver.rollup(monitor["id"], grain)
        assert rollup["checks"] == 31
        assert (rollup["ok"], rollup["failed"], rollup["degraded"]) == (21, 10, 0)
        assert rollup["observed_s"] == 30
        assert rollup["downtime_s"] == 10
        assert rollup["timed"] == 31
        assert rollup["min_ms"] <= rollup["max_ms"]


def test_it_shows_the_outage_in_the_status_api(
    client: TestClient,
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    make_monitor(url=target.url)
    driver.load()
    _script(driver, target)
    body = client.get("/api/system-status").json()
    [service] = body["services"]
    # 20 of 30 observed seconds up: 66.666…, shown rounded down.
    assert service["uptime"] == "66.66"
    assert service["status"] == "operational"
    assert service["uptimeData"][-1] == "mo"
    assert service["uptimeData"][:-1] == ["nd"] * 89
    assert body["overallStatus"] == "operational"
    assert body["lastUpdated"] == "2026-03-02T09:00:30Z"
