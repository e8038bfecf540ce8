from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from kpiwatch.core.db import Database
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


def test_it_keeps_results_while_the_database_refuses_and_writes_them_later(
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
    refusing: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    driver.ticks(range(3))
    healthy, driver.runner.db = driver.runner.db, refusing
    target.mode = "error"
    driver.ticks(range(3, 8))
    assert "kept for retry" in caplog.text
    driver.runner.db = healthy
    target.mode = "up"
    driver.ticks(range(8, 11))
    assert _count(driver, monitor["id"]) == 11
    [minute] = driver.rollup(monitor["id"], "minute")
    assert (minute["checks"], minute["failed"], minute["downtime_s"]) == (11, 5, 5)
