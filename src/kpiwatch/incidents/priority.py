"""P1/P2/P3 derived from an incident's severity and its services' health (PRD §11.2.4).

The first rule that matches decides, and its name is stored with the inputs it saw:

| rule | priority | when |
|---|---|---|
| ``severity-critical`` | P1 | severity is critical (full outage) |
| ``data-loss-risk`` | P1 | the reporter flags a risk of data loss |
| ``service-major-outage`` | P1 | an affected service has every monitor down |
| ``severity-high`` | P2 | severity is high (core function failing) |
| ``response-over-15s`` | P2 | an affected service's last response took over 15 s |
| ``service-partial-outage`` | P3 | an affected service has some monitors down |
| ``response-7-15s`` | P3 | an affected service's last response took 7–15 s |
| ``default`` | P3 | none of the above |

A priority the reporter gives is kept as is, with the rule ``given``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpiwatch.incidents.health import ServiceHealth

SLOW_MS = 7_000
VERY_SLOW_MS = 15_000


@dataclass(frozen=True)
class Priority:
    value: str
    rule: str
    inputs: dict[str, Any]


def _inputs(
    severity: str, data_loss_risk: bool, services: dict[str, ServiceHealth]
) -> dict[str, Any]:
    return {
        "severity": severity,
        "data_loss_risk": data_loss_risk,
        "services": {
            sid: {"status": h.status, "response_ms": h.response_ms} for sid, h in services.items()
        },
    }


def given(
    priority: str, severity: str, data_loss_risk: bool, services: dict[str, ServiceHealth]
) -> Priority:
    return Priority(priority, "given", _inputs(severity, data_loss_risk, services))


def derive(severity: str, data_loss_risk: bool, services: dict[str, ServiceHealth]) -> Priority:
    """The priority of an incident with ``severity`` affecting ``services`` (their health)."""
    health = list(services.values())
    slowest = max((h.response_ms for h in health if h.response_ms is not None), default=None)
    rules = (
        ("P1", "severity-critical", severity == "critical"),
        ("P1", "data-loss-risk", data_loss_risk),
        ("P1", "service-major-outage", any(h.status == "major_outage" for h in health)),
        ("P2", "severity-high", severity == "high"),
        ("P2", "response-over-15s", slowest is not None and slowest > VERY_SLOW_MS),
        ("P3", "service-partial-outage", any(h.status == "partial_outage" for h in health)),
        ("P3", "response-7-15s", slowest is not None and slowest >= SLOW_MS),
    )
    value, rule = next(((p, r) for p, r, hit in rules if hit), ("P3", "default"))
    return Priority(value, rule, _inputs(severity, data_loss_risk, services))
