"""``GET /metrics``: monitors, services and KPIs in the Prometheus text format (0.0.4).

- ``kpiwatch_monitor_up``, ``kpiwatch_monitor_response_ms``, ``kpiwatch_monitor_checks_total``
  per active monitor (the counter lives in ``monitor_state``, so it survives restarts);
- ``kpiwatch_service_status`` per service: one series per status, 1 for the current one;
- ``kpiwatch_kpi_value`` (omitted while a KPI has no data), ``kpiwatch_kpi_target`` and
  ``kpiwatch_kpi_status`` (one series per light, 1 for the current one) per active KPI:
  the latest period the KPI engine stored, all its dimensions together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.deps import DbDep
from kpiwatch.core.models import tenants
from kpiwatch.kpi import status as kpi_status
from kpiwatch.kpi import values as kpi_values
from kpiwatch.kpi.models import kpi_definitions
from kpiwatch.status.uptime import service_status
from kpiwatch.watch.models import monitor_state, monitors

router = APIRouter(tags=["watch"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SERVICE_STATUSES = (
    "operational",
    "degraded",
    "partial_outage",
    "major_outage",
    "maintenance",
    "no_data",
)
KPI_STATUSES = (kpi_status.GREEN, kpi_status.YELLOW, kpi_status.RED, kpi_status.NO_DATA)


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _family(name: str, kind: str, help_: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", *samples]


async def _monitor_lines(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(
        select(
            tenants.c.slug,
            monitors.c.id,
            monitors.c.name,
            monitors.c.service_id,
            monitor_state.c.state,
            monitor_state.c.last_response_ms,
            monitor_state.c.checks_total,
        )
        .join(tenants, tenants.c.id == monitors.c.tenant_id)
        .outerjoin(monitor_state, monitor_state.c.monitor_id == monitors.c.id)
        .where(monitors.c.active.is_(True))
        .order_by(tenants.c.slug, monitors.c.id)
    )
    up, latency, checks = [], [], []
    services: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for slug, monitor_id, name, service_id, state, response_ms, total in rows:
        labels = _labels(tenant=slug, service=service_id, monitor=name, id=monitor_id)
        services[(slug, service_id)].append(state)
        if state in ("up", "degraded", "down"):
            up.append(f"kpiwatch_monitor_up{labels} {0 if state == 'down' else 1}")
        if response_ms is not None:
            latency.append(f"kpiwatch_monitor_response_ms{labels} {response_ms}")
        checks.append(f"kpiwatch_monitor_checks_total{labels} {int(total or 0)}")
    statuses = []
    for (slug, service_id), states in services.items():
        current = service_status(states, False)
        for status in SERVICE_STATUSES:
            labels = _labels(tenant=slug, service=service_id, status=status)
            statuses.append(f"kpiwatch_service_status{labels} {int(status == current)}")
    return [
        *_family(
            "kpiwatch_monitor_up", "gauge", "1 when the monitor is up or degraded, 0 when down.", up
        ),
        *_family("kpiwatch_monitor_response_ms", "gauge", "Last response time.", latency),
        *_family(
            "kpiwatch_monitor_checks_total", "counter", "Checks run (maintenance excluded).", checks
        ),
        *_family(
            "kpiwatch_service_status",
            "gauge",
            "1 for the service's current status (the worst of its monitors), 0 for the others.",
            statuses,
        ),
    ]


async def _kpi_lines(conn: AsyncConnection) -> list[str]:
    k = kpi_definitions.c
    kpis = [
        dict(r._mapping)
        for r in await conn.execute(
            select(
                tenants.c.slug,
                k.id,
                k.name,
                k.unit,
                k.period,
                k.direction,
                k.target,
                k.green_threshold,
                k.yellow_threshold,
            )
            .join(tenants, tenants.c.id == k.tenant_id)
            .where(k.is_active.is_(True))
            .order_by(tenants.c.slug, k.name)
        )
    ]
    latest = await kpi_values.recent_totals(conn, [kpi["id"] for kpi in kpis], 1)
    value, target, lights = [], [], []
    for kpi in kpis:
        rows = latest.get(kpi["id"], [])
        current = rows[-1]["value"] if rows else None
        labels = _labels(tenant=kpi["slug"], kpi=kpi["name"])
        if current is not None:
            described = _labels(
                tenant=kpi["slug"], kpi=kpi["name"], unit=kpi["unit"], period=kpi["period"]
            )
            value.append(f"kpiwatch_kpi_value{described} {current!r}")
        target.append(f"kpiwatch_kpi_target{labels} {float(kpi['target'])!r}")
        light, _ = kpi_status.status_of(
            kpi["direction"],
            kpi["target"],
            current,
            kpi["green_threshold"],
            kpi["yellow_threshold"],
        )
        for status in KPI_STATUSES:
            status_labels = _labels(tenant=kpi["slug"], kpi=kpi["name"], status=status)
            lights.append(f"kpiwatch_kpi_status{status_labels} {int(status == light)}")
    return [
        *_family(
            "kpiwatch_kpi_value",
            "gauge",
            "Latest value of each active KPI (its latest period, all dimensions together).",
            value,
        ),
        *_family("kpiwatch_kpi_target", "gauge", "Target of each active KPI.", target),
        *_family(
            "kpiwatch_kpi_status",
            "gauge",
            "1 for the KPI's current light (GREEN, YELLOW, RED, NO_DATA), 0 for the others.",
            lights,
        ),
    ]


async def render(conn: AsyncConnection) -> str:
    return "\n".join([*await _monitor_lines(conn), *await _kpi_lines(conn)]) + "\n"


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(db: DbDep) -> PlainTextResponse:
    """Monitor up/down, response time and checks; service status; KPI values and lights."""
    async with db.read() as conn:
        return PlainTextResponse(await render(conn), media_type=CONTENT_TYPE)
