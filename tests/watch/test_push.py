from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import Driver


def test_it_marks_a_push_monitor_down_when_pings_stop_and_up_when_they_resume(
    client: TestClient, driver: Driver, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    monitor = make_monitor(type="push", interval_s=2, grace_s=1, failures_before_down=1)
    token = monitor["push_token"]
    driver.load()
    statuses = []
    for second in range(0, 16, 2):
        driver.at(second)
        if second in (0, 2, 12, 14):
            method = client.post if second % 4 else client.get
            assert method(f"/api/push/{token}").json()["ok"] is True
        [result] = driver.tick(second)
        statuses.append((second, result.status, result.error_type))
    # Pinged at 2, silent until 12: more than interval + grace (3 s) after 2 is second 6.
    assert statuses == [
        (0, "up", None),
        (2, "up", None),
        (4, "up", None),
        (6, "down", "timeout"),
        (8, "down", "timeout"),
        (10, "down", "timeout"),
        (12, "up", None),
        (14, "up", None),
    ]
    [minute] = driver.rollup(monitor["id"], "minute")
    assert minute["downtime_s"] == 6


def test_it_answers_404_to_an_unknown_push_token(client: TestClient) -> None:
    assert client.get("/api/push/not-a-token-of-anyone").status_code == 404
