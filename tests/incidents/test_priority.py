"""P1/P2/P3: given, or derived by the first matching PRD §11.2.4 rule, recorded with inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UP_FAST = ("up", 120.0, T0)


# (monitor states of id-recognition, severity, data_loss_risk) → (priority, rule)
CASES = {
    "severity-critical": ([UP_FAST], "critical", False, "P1"),
    "data-loss-risk": ([UP_FAST], "low", True, "P1"),
    "service-major-outage": ([("down", None, T0), ("down", None, T0)], "low", False, "P1"),
    "severity-high": ([UP_FAST], "high", False, "P2"),
    "response-over-15s": ([("degraded", 15_001.0, T0)], "medium", False, "P2"),
    "service-partial-outage": ([("down", None, T0), UP_FAST], "medium", False, "P3"),
    "response-7-15s": ([("degraded", 7_000.0, T0)], "low", False, "P3"),
    "default": ([("degraded", 6_999.0, T0)], "medium", False, "P3"),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_it_derives_the_priority_by_each_rule(
    client: TestClient,
    open_incident: Callable[..., dict[str, Any]],
    services: tuple[str, ...],
    monitor_states: Callable[..., None],
    rule: str,
) -> None:
    states, severity, data_loss, expected = CASES[rule]
    monitor_states("id-recognition", *states)
    incident = open_incident(
        severity=severity,
        data_loss_risk=data_loss,
        affected_services=["id-recognition", "face-liveness"],
    )
    assert (incident["priority"], incident["priority_rule"]) == (expected, rule)
    inputs = incident["priority_inputs"]
    assert (inputs["severity"], inputs["data_loss_risk"]) == (severity, data_loss)
    assert inputs["services"]["face-liveness"] == {"status": "no_data", "response_ms": None}
    slowest = max((s[1] for s in states if s[1] is not None), default=None)
    assert inputs["services"]["id-recognition"]["response_ms"] == slowest


def test_it_keeps_a_given_priority_with_its_inputs(
    open_incident: Callable[..., dict[str, Any]], services: tuple[str, ...]
) -> None:
    incident = open_incident(severity="critical", priority="P3", affected_services=["face-compare"])
    assert (incident["priority"], incident["priority_rule"]) == ("P3", "given")
    assert incident["priority_inputs"]["severity"] == "critical"


def test_it_derives_again_when_severity_changes_unless_priority_was_given(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    bob = headers("bob")
    derived = open_incident(severity="low")
    response = client.put(
        f"/api/incidents/{derived['id']}", json={"version": 1, "severity": "critical"}, headers=bob
    )
    assert (
        response.json()["incident"]["priority"],
        response.json()["incident"]["priority_rule"],
    ) == (
        "P1",
        "severity-critical",
    )
    given = open_incident(severity="low", priority="P2")
    response = client.put(
        f"/api/incidents/{given['id']}", json={"version": 1, "severity": "critical"}, headers=bob
    )
    assert (
        response.json()["incident"]["priority"],
        response.json()["incident"]["priority_rule"],
    ) == (
        "P2",
        "given",
    )
