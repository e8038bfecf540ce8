"""Gatus-style conditions checked against the loopback target."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


def _outcomes(driver: Driver, second: float) -> dict[int, tuple[str, str | None, str | None]]:
    return {r.monitor_id: (r.status, r.error_type, r.error_message) for r in driver.tick(second)}


def test_it_marks_a_check_down_when_a_condition_fails(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    holds = make_monitor(
        conditions=["[STATUS] == 200", "[BODY].data.ok == true", "[RESPONSE_TIME] < 5000"],
        url=target.url,
    )
    fails = make_monitor(
        conditions=["[STATUS] == any(200, 204)", "[BODY].data.ok == false"], url=target.url
    )
    no_tls = make_monitor(conditions=["[CERTIFICATE_EXPIRATION] > 72h"], url=target.url)
    fast = make_monitor(conditions=["[RESPONSE_TIME] < 200"], url=target.url)
    driver.load()

    seen = _outcomes(driver, 0)
    assert seen[holds["id"]] == ("up", None, None)
    assert seen[fails["id"]] == (
        "down",
        "condition_failed",
        "condition 2 failed: [BODY].data.ok == false (found true)",
    )
    assert seen[no_tls["id"]] == (
        "down",
        "condition_failed",
        "condition 1 failed: [CERTIFICATE_EXPIRATION] > 72h (no certificate: the URL is not https)",
    )
    assert seen[fast["id"]][:2] == ("up", None)

    target.mode, target.slow_s = "slow", 0.3
    slow = _outcomes(driver, 1)[fast["id"]]
    assert slow[:2] == ("down", "condition_failed")
    assert slow[2] is not None and slow[2].startswith("condition 1 failed: [RESPONSE_TIME] < 200")


def test_it_lets_conditions_judge_the_status_code(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    expects_500 = make_monitor(conditions=["[STATUS] == pat(5*)"], url=target.url)
    plain = make_monitor(url=target.url)
    target.mode = "error"
    driver.load()
    seen = _outcomes(driver, 0)
    assert seen[expects_500["id"]] == ("up", None, None)
    assert seen[plain["id"]] == ("down", "http_error", "status 500")


def test_it_rejects_a_bad_condition_naming_its_index_and_column(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    admin = headers("alice")
    client.post("/api/services", json={"id": "api", "name": "API"}, headers=admin)
    body = {
        "service_id": "api",
        "name": "health",
        "type": "http",
        "url": "http://127.0.0.1:9/health",
        "conditions": ["[STATUS] == 200", "[STATU] == 200", "[BODY] < 3"],
    }
    response = client.post("/api/monitors", json=body, headers=admin)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", "conditions", 1], ["body", "conditions", 2]]
    assert errors[0]["msg"].startswith(
        "condition 2 ([STATU] == 200), column 1: unknown placeholder [STATU]"
    )
    assert (
        errors[1]["msg"] == "condition 3 ([BODY] < 3), column 1: < needs numbers; [BODY] is not one"
    )
    tcp = {"service_id": "api", "name": "t", "type": "tcp", "host": "127.0.0.1", "port": 9}
    response = client.post(
        "/api/monitors", json=tcp | {"conditions": ["[STATUS] == 200"]}, headers=admin
    )
    assert response.json()["detail"][0]["msg"] == "conditions need an http monitor"
