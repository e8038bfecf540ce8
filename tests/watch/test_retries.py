from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kpiwatch.watch.state import Transition
from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def test_it_does_not_mark_a_single_failure_as_an_outage(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    seen: list[Transition] = []
    driver.runner.listeners.append(seen.extend)
    for second in range(10):
        target.mode = "error" if second in (3, 6, 7) else "up"
        driver.tick(second)
    [minute] = driver.rollup(monitor["id"], "minute")
    assert (minute["failed"], minute["downtime_s"], minute["observed_s"]) == (3, 0, 9)
    assert [t.state for t in seen] == ["up"]
    assert driver.runner.states[monitor["id"]].state == "up"


def test_it_waits_for_enough_successes_before_marking_up(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(url=target.url, failures_before_down=2, successes_before_up=3)
    driver.load()
    states = []
    for second in range(10):
        target.mode = "error" if second in (1, 2) else "up"
        driver.tick(second)
        states.append(driver.runner.states[monitor["id"]].state)
    assert states == ["up", "up", "down", "down", "down", "up", "up", "up", "up", "up"]
    [minute] = driver.rollup(monitor["id"], "minute")
    # Down from the first failure (1) until up is confirmed (5).
    assert minute["downtime_s"] == 4
