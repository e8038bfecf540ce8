from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def test_it_exposes_monitor_and_service_state_for_prometheus(
    client: TestClient,
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    target.mode = "error"
    driver.ticks(range(4))
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    labels = f'{{tenant="default",service="api",monitor="health",id="{monitor["id"]}"}}'
    lines = response.text.splitlines()
    assert f"kpiwatch_monitor_up{labels} 0" in lines
    assert f"kpiwatch_monitor_checks_total{labels} 4" in lines
    assert (
        'kpiwatch_service_status{tenant="default",service="api",status="major_outage"} 1' in lines
    )
    assert any(line.startswith(f"kpiwatch_monitor_response_ms{labels} ") for line in lines)
