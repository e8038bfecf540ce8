"""``GET /metrics``: monitors, services and KPIs of every tenant, in Prometheus' text format."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def _samples(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = [line for line in response.text.splitlines() if not line.startswith("#")]
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in lines)}


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
    samples = _samples(client)
    labels = f'{{tenant="default",service="api",monitor="health",id="{monitor["id"]}"}}'
    assert samples[f"kpiwatch_monitor_up{labels}"] == 0
    assert samples[f"kpiwatch_monitor_checks_total{labels}"] == 4
    assert f"kpiwatch_monitor_response_ms{labels}" in samples
    service = '{tenant="default",service="api",status="%s"}'
    assert samples["kpiwatch_service_status" + service % "major_outage"] == 1
    assert samples["kpiwatch_service_status" + service % "operational"] == 0


def test_it_keeps_counting_checks_across_a_restart(
    client: TestClient,
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    monitor = make_monitor(url=target.url)
    driver.load()
    driver.ticks(range(3))
    driver.restart()
    driver.ticks(range(10, 12))
    labels = f'{{tenant="default",service="api",monitor="health",id="{monitor["id"]}"}}'
    assert _samples(client)[f"kpiwatch_monitor_checks_total{labels}"] == 5


def test_it_exposes_the_latest_value_and_light_of_each_active_kpi(
    client: TestClient,
    driver: Driver,
    target: Target,
    headers: Callable[[str], dict[str, str]],
    make_monitor: Callable[..., dict[str, Any]],
) -> None:
    alice, dave = headers("alice"), headers("dave")
    make_monitor(url=target.url)
    driver.load()
    for second in range(21):  # failing 17-19: down from 17 to 20, 3 s of 20 observed
        target.mode = "error" if 17 <= second < 20 else "up"
        driver.tick(second)
    names = ["AVAILABILITY", "MTTR"]
    client.post("/api/kpi/apply-template", json={"template_names": names}, headers=alice)
    client.post("/api/kpi/apply-template", json={"template_names": ["MTTR"]}, headers=dave)
    kpis = {k["name"]: k["id"] for k in client.get("/api/kpi/", headers=alice).json()}
    changed = client.put(f"/api/kpi/{kpis['MTTR']}", json={"is_active": False}, headers=alice)
    assert changed.status_code == 200, changed.text
    done = client.post(
        f"/api/kpi/{kpis['AVAILABILITY']}/backfill",
        json={"from": "2026-03-01", "to": "2026-03-02"},
        headers=alice,
    )
    assert done.status_code == 200, done.text

    samples = _samples(client)
    value = 'kpiwatch_kpi_value{tenant="default",kpi="AVAILABILITY",unit="%",period="MONTHLY"}'
    assert samples[value] == pytest.approx(85.0)
    assert samples['kpiwatch_kpi_target{tenant="default",kpi="AVAILABILITY"}'] == 99.9
    light = 'kpiwatch_kpi_status{tenant="%s",kpi="%s",status="%s"}'
    lights = {s: samples[light % ("default", "AVAILABILITY", s)] for s in ("GREEN", "YELLOW")}
    assert lights == {"GREEN": 0, "YELLOW": 1}  # 85 % of a 99.9 % target: ≥ 80 %, < 95 %
    # acme's MTTR was never computed: a light, no value; default's MTTR is inactive.
    assert samples[light % ("acme", "MTTR", "NO_DATA")] == 1
    assert not any(name.startswith('kpiwatch_kpi_value{tenant="acme"') for name in samples)
    assert not any('tenant="default",kpi="MTTR"' in name for name in samples)
