from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from kpiwatch.core.db import Database
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_results
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


@pytest.fixture
def refusing(driver: Driver, closed_port: int) -> Iterator[Database]:
    db = Database(f"postgresql+asyncpg://kpiwatch@127.0.0.1:{closed_port}/gone")
    yield db
    driver.portal.call(db.dispose)


def _count(driver: Driver, monitor_id: int) -> int:
    query = select(func.count()).select_from(check_results)
    [row] = driver.rows(query.where(check_results.c.monitor_id == monitor_id).add_columns())
    return int(next(iter(row.values())))


@pytest.fixture
def watch_settings() -> WatchSettings:
    return WatchSettings(min_interval_s=1, enabled=False, buffer_max=4)


def test_it_counts_raw_results_dropped_past_the_buffer_but_keeps_rollups_whole(
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
    refusing: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    healthy, driver.runner.db = driver.runner.db, refusing
    driver.ticks(range(10))
    driver.runner.db = healthy
    driver.tick(10)
    assert driver.runner.dropped_total == 7
    assert "7 raw results dropped" in caplog.text
    assert _count(driver, monitor["id"]) == 4
    [minute] = driver.rollup(monitor["id"], "minute")
    assert (minute["checks"], minute["observed_s"]) == (11, 10)
