"""What the watch slice says about a tenant's services right now, as incidents need it:
each service's status, its slowest last response, since when it has been in outage, and
how its failing monitors detect a failure (the detection criteria of automatic incidents).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.status.uptime import service_status
from kpiwatch.watch import monitors

OUTAGES = ("major_outage", "partial_outage")


@dataclass(frozen=True)
class ServiceHealth:
    status: str
    response_ms: float | None
    outage_since: datetime | None
    criteria: str | None

    @property
    def in_outage(self) -> bool:
        return self.status in OUTAGES


def _target(monitor: dict[str, Any]) -> str:
    if monitor["type"] == "http":
        return f"{monitor['method']} {monitor['url']}"
    if monitor["type"] == "push":
        return "push heartbeat"
    return monitor["url"] or f"{monitor['host']}:{monitor['port']}"


def criteria_of(monitor: dict[str, Any]) -> str:
    """How ``monitor`` decided the service is failing, from its settings and last error."""
    text = (
        f"{monitor['name']}: {monitor['failures_before_down']} consecutive failed "
        f"{monitor['type']} checks of {_target(monitor)} (every {monitor['interval_s']:g} s, "
        f"timeout {monitor['timeout_s']:g} s, degraded above {monitor['degraded_ms']} ms)"
    )
    if monitor["last_error_type"]:
        text += f"; last error {monitor['last_error_type']}"
        if monitor["last_error_message"]:
            text += f": {monitor['last_error_message']}"
    return text


def _health(found: list[dict[str, Any]]) -> ServiceHealth:
    timed = [m["last_response_ms"] for m in found if m["last_response_ms"] is not None]
    down = [m for m in found if m["state"] == "down"]
    since = [m["since"] for m in down if m["since"] is not None]
    return ServiceHealth(
        status=service_status([m["state"] for m in found], under_maintenance=False),
        response_ms=max(timed) if timed else None,
        outage_since=min(since) if since else None,
        criteria="; ".join(criteria_of(m) for m in down) or None,
    )


async def service_health(conn: AsyncConnection, tenant_id: int) -> dict[str, ServiceHealth]:
    """Health of every service of the tenant with an active monitor."""
    by_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for monitor in await monitors.list_(conn, tenant_id):
        if monitor["active"]:
            by_service[monitor["service_id"]].append(monitor)
    return {sid: _health(found) for sid, found in by_service.items()}
