"""``GET /metrics``: monitor and service state in the Prometheus text format (0.0.4)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.deps import DbDep
from kpiwatch.core.models import tenants
from kpiwatch.status.uptime import service_status
from kpiwatch.watch.models import check_rollups, monitor_state, monitors

router = APIRouter(tags=["watch"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


async def render(conn: AsyncConnection) -> str:
    rows = await conn.execute(
        select(
            tenants.c.slug,
            monitors.c.id,
            monitors.c.name,
            monitors.c.service_id,
            monitor_state.c.state,
            monitor_state.c.last_response_ms,
        )
        .join(tenants, tenants.c.id == monitors.c.tenant_id)
        .outerjoin(monitor_state, monitor_state.c.monitor_id == monitors.c.id)
        .where(monitors.c.active.is_(True))
        .order_by(tenants.c.slug, monitors.c.id)
    )
    totals = dict(
        (
            await conn.execute(
                select(check_rollups.c.monitor_id, func.sum(check_rollups.c.checks))
                .where(check_rollups.c.grain == "day")
                .group_by(check_rollups.c.monitor_id)
            )
        ).all()
    )
    lines = [
        "# HELP kpiwatch_monitor_up 1 when the monitor is up or degraded, 0 when down.",
        "# TYPE kpiwatch_monitor_up gauge",
    ]
    latency = [
        "# HELP kpiwatch_monitor_response_ms Last response time.",
        "# TYPE kpiwatch_monitor_response_ms gauge",
    ]
    checks = [
        "# HELP kpiwatch_monitor_checks_total Checks run (within rollup retention).",
        "# TYPE kpiwatch_monitor_checks_total counter",
    ]
    services: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for slug, monitor_id, name, service_id, state, response_ms in rows:
        labels = _labels(tenant=slug, service=service_id, monitor=name, id=monitor_id)
        services[(slug, service_id)].append(state)
        if state in ("up", "degraded", "down"):
            lines.append(f"kpiwatch_monitor_up{labels} {0 if state == 'down' else 1}")
        if response_ms is not None:
            latency.append(f"kpiwatch_monitor_response_ms{labels} {response_ms}")
        checks.append(f"kpiwatch_monitor_checks_total{labels} {int(totals.get(monitor_id, 0))}")
    status = [
        "# HELP kpiwatch_service_status 1 for the service's current status.",
        "# TYPE kpiwatch_service_status gauge",
    ]
    for (slug, service_id), states in services.items():
        current = service_status(states, False)
        status.append(
            f"kpiwatch_service_status{_labels(tenant=slug, service=service_id, status=current)} 1"
        )
    return "\n".join([*lines, *latency, *checks, *status]) + "\n"


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(db: DbDep) -> PlainTextResponse:
    """Monitor up/down, last response time, check counts and service status."""
    async with db.read() as conn:
        return PlainTextResponse(await render(conn), media_type=CONTENT_TYPE)
