"""The service loop inside the app (``KPIWATCH_WATCH_ENABLED``), on the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.target import Target


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watch_settings() -> WatchSettings:
    return WatchSettings(min_interval_s=1, enabled=True, reload_s=0.2, flush_interval_s=0.2)


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_it_checks_on_schedule_and_publishes_the_state(
    client: TestClient,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
    headers: Callable[[str], dict[str, str]],
) -> None:
    monitor = make_monitor(url=target.url)
    admin = headers("alice")

    def state() -> Any:
        return client.get(f"/api/monitors/{monitor['id']}", headers=admin).json()["monitor"]

    _wait_for(lambda: state()["state"] == "up", 5)
    target.mode = "error"
    _wait_for(lambda: state()["state"] == "down", 8)
    status = client.get("/api/system-status").json()
    assert status["services"][0]["status"] == "major_outage"
    assert status["overallStatus"] == "outage"
    assert client.app.state.watch_runner is not None  # type: ignore[attr-defined]
    lateness = client.app.state.watch_runner.lateness  # type: ignore[attr-defined]
    assert lateness.count >= 2
    assert 0 <= lateness.percentile(50) < 1
