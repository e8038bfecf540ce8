"""What is kept and for how long: results 48 h (abnormal ones 90 days), minute rollups 14
days (monitors checked more often than every 60 s only), hour rollups 30 days, day rollups
400 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.watch.models import check_results, check_rollups
from kpiwatch.watch.retention import prune
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def _prune_after(driver: Driver, delay: timedelta) -> dict[str, int]:
    counts: dict[str, int] = driver.portal.call(
        prune, driver.db, driver.runner.settings, driver.clock.now() + delay
    )
    return counts


def _left(driver: Driver) -> tuple[list[str], list[str]]:
    results = driver.rows(select(check_results.c.status).order_by(check_results.c.at))
    grains = driver.rows(select(check_rollups.c.grain).distinct().order_by(check_rollups.c.grain))
    return [r["status"] for r in results], [r["grain"] for r in grains]


def test_it_keeps_each_kind_of_row_for_its_retention(
    client: TestClient,
    driver: Driver,
    target: Target,
    headers: Callable[[str], dict[str, str]],
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    make_monitor(url=target.url, degraded_ms=100)
    window = {
        "title": "switch swap",
        "service_ids": ["api"],
        "starts_at": "2026-03-02T09:00:03Z",
        "ends_at": "2026-03-02T09:00:04Z",
    }
    assert client.post("/api/maintenance", json=window, headers=headers("alice")).is_success
    driver.load()
    for second, mode in enumerate(["up", "up", "error", "up", "slow"]):
        target.mode = mode
        driver.tick(second)
    statuses, grains = _left(driver)
    assert statuses == ["up", "up", "down", "maintenance", "degraded"]
    assert grains == ["day", "hour", "minute"]

    counts = _prune_after(driver, timedelta(hours=49))
    assert counts["results"] == 3
    assert _left(driver) == (["down", "degraded"], ["day", "hour", "minute"])

    counts = _prune_after(driver, timedelta(days=15))
    assert (counts["minute_rollups"], counts["hour_rollups"]) == (1, 0)
    counts = _prune_after(driver, timedelta(days=31))
    assert (counts["hour_rollups"], counts["abnormal_results"]) == (1, 0)
    assert _left(driver) == (["down", "degraded"], ["day"])

    counts = _prune_after(driver, timedelta(days=91))
    assert (counts["abnormal_results"], counts["day_rollups"]) == (2, 0)
    counts = _prune_after(driver, timedelta(days=401))
    assert counts["day_rollups"] == 1
    assert _left(driver) == ([], [])


def test_it_writes_no_minute_rollups_for_a_monitor_checked_every_minute(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    every_minute = make_monitor(url=target.url, interval_s=60)
    every_second = make_monitor(url=target.url, name="fast", interval_s=1)
    driver.load()
    for second in (0, 60, 120):
        driver.tick(second)
    assert driver.rollup(every_minute["id"], "minute") == []
    [hour] = driver.rollup(every_minute["id"], "hour")
    [day] = driver.rollup(every_minute["id"], "day")
    assert (hour["checks"], hour["observed_s"]) == (day["checks"], day["observed_s"]) == (3, 120)
    # The 1 s monitor was due at each tick too: three checks, three minutes.
    assert [m["checks"] for m in driver.rollup(every_second["id"], "minute")] == [1, 1, 1]


def test_it_keeps_the_phase_timings_of_abnormal_results_only(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    make_monitor(url=target.url)
    driver.load()
    for second, mode in enumerate(["up", "error"]):
        target.mode = mode
        driver.tick(second)
    rows = driver.rows(
        select(check_results.c.status, check_results.c.timings).order_by(check_results.c.at)
    )
    assert [r["status"] for r in rows] == ["up", "down"]
    assert rows[0]["timings"] is None
    assert set(rows[1]["timings"]) >= {"first_byte", "total"}
