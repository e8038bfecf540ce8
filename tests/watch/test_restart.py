from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kpiwatch.watch.models import status_timeline
from kpiwatch.watch.state import Transition
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def test_it_continues_an_outage_across_a_restart_and_counts_the_stop_as_no_data(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    target.mode = "error"
    driver.ticks(range(10))  # down since 0 (confirmed at 2)
    driver.restart()
    seen: list[Transition] = []
    driver.runner.listeners.append(seen.extend)
    assert driver.runner.states[monitor["id"]].state == "down"
    driver.ticks(range(40, 45))  # still failing after 30 s stopped: no new alert
    target.mode = "up"
    driver.ticks(range(45, 50))
    assert [(t.previous, t.state) for t in seen] == [("down", "up")]
    [minute] = driver.rollup(monitor["id"], "minute")
    # Observed 0→9 and 40→49; seconds 9→40 are no data.
    assert minute["observed_s"] == 18
    assert minute["downtime_s"] == 9 + 5
    rows = driver.rows(
        select(status_timeline.c.state, status_timeline.c.started_at, status_timeline.c.ended_at)
        .where(status_timeline.c.monitor_id == monitor["id"])
        .order_by(status_timeline.c.started_at)
    )
    spans = [
        (r["state"], r["started_at"].second, r["ended_at"] and r["ended_at"].second) for r in rows
    ]
    assert spans == [("down", 0, 9), ("down", 40, 45), ("up", 45, None)]
