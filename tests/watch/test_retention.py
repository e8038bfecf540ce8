from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kpiwatch.watch.models import check_results, check_rollups
from kpiwatch.watch.retention import prune
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def test_it_keeps_abnormal_results_longer_than_normal_ones(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    make_monitor(url=target.url)
    driver.load()
    for second in range(4):
        target.mode = "error" if second == 2 else "up"
        driver.tick(second)
    later = driver.clock.now() + timedelta(hours=49)
    counts = driver.portal.call(prune, driver.db, driver.runner.settings, later)
    assert counts["results"] == 3
    left = driver.rows(select(check_results.c.status))
    assert [r["status"] for r in left] == ["down"]
    much_later = driver.clock.now() + timedelta(days=15)
    counts = driver.portal.call(prune, driver.db, driver.runner.settings, much_later)
    grains = {r["grain"] for r in driver.rows(select(check_rollups.c.grain))}
    assert counts["minute_rollups"] == 1 and grains == {"hour", "day"}
