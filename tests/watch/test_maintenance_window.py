from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def test_it_counts_maintenance_time_neither_up_nor_down(
    client: TestClient,
    driver: Driver,
    target: Target,
    headers: Callable[[str], dict[str, str]],
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    monitor = make_monitor(url=target.url)
    window = {
        "title": "database upgrade",
        "service_ids": ["api"],
        "starts_at": "2026-03-02T09:00:10Z",
        "ends_at": "2026-03-02T09:00:20Z",
    }
    created = client.post("/api/maintenance", json=window, headers=headers("alice"))
    assert created.status_code == 201, created.text
    driver.load()
    for second in range(31):
        target.mode = "error" if 10 <= second < 20 else "up"
        driver.tick(second)
        if second == 15:
            status = client.get("/api/system-status").json()
            assert status["services"][0]["status"] == "maintenance"
    [minute] = driver.rollup(monitor["id"], "minute")
    assert (minute["checks"], minute["maintenance"], minute["failed"]) == (21, 10, 0)
    assert (minute["observed_s"], minute["maintenance_s"], minute["downtime_s"]) == (20, 10, 0)
    body = client.get("/api/system-status").json()
    assert body["services"][0]["uptime"] == "100.00"
    assert body["services"][0]["uptimeData"][-1] == "m"
