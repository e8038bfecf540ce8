"""Pages /kpis (a card per KPI) and /kpis/{id} (history chart, values, formula)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kpiwatch.core import tenancy
from kpiwatch.core.deps import CallerDep, DbDep
from kpiwatch.kpi import calculate, dashboard, definitions, values
from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.status import status_of
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
HISTORY_PERIODS = 60


def _tenant_query(request: Request) -> str:
    slug = request.query_params.get("tenant")
    return f"?tenant={slug}" if slug and "authorization" not in request.headers else ""


@router.get("/kpis", response_class=HTMLResponse)
async def kpis_page(request: Request, caller: CallerDep, db: DbDep) -> HTMLResponse:
    cards = await dashboard.cards(db, caller.tenant_id)
    counts, light = dashboard.summary([c["status"] for c in cards])
    async with db.read() as conn:
        tenant = await tenancy.get_tenant(conn, caller.tenant_id)
        zone = await calculate.tenant_zone(conn, caller.tenant_id)
    return render(
        request,
        "kpi/list.html",
        cards=cards,
        summary=counts,
        overall=light,
        tenant=tenant,
        zone=zone,
        tenant_query=_tenant_query(request),
    )


@router.get("/kpis/{kpi_id:int}", response_class=HTMLResponse)
async def kpi_page(kpi_id: int, request: Request, caller: CallerDep, db: DbDep) -> HTMLResponse:
    async with db.read() as conn:
        kpi = await definitions.get(conn, caller.tenant_id, kpi_id)
        tenant = await tenancy.get_tenant(conn, caller.tenant_id)
        zone = await calculate.tenant_zone(conn, caller.tenant_id)
        recent = (await values.recent_totals(conn, [kpi_id], HISTORY_PERIODS)).get(kpi_id, [])
        start = recent[0]["period_start"] if recent else None
        end = recent[-1]["period_start"] + timedelta(seconds=1) if recent else None
        by = kpi["dimensions"][:1]
        per_dim = await values.history(conn, kpi, start, end, by, {}) if by and recent else []
    latest = recent[-1] if recent else None
    history = [
        r
        | {
            "status": status_of(
                kpi["direction"],
                kpi["target"],
                r["value"],
                kpi["green_threshold"],
                kpi["yellow_threshold"],
            )[0]
        }
        for r in recent
    ]
    by_dims = {(r["period_start"], str(r["dims"][by[0]])): r["value"] for r in per_dim}
    services = sorted({key[1] for key in by_dims})
    return render(
        request,
        "kpi/detail.html",
        kpi=dashboard.card(kpi, latest),
        history=history,
        by_dims=by_dims,
        services=services,
        tenant=tenant,
        zone=zone,
        explain=parse(kpi["formula"]).explain(),
        tenant_query=_tenant_query(request),
    )
