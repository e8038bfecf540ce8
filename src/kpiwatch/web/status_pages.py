"""The public status page: ``/`` (the default tenant, or ``?tenant=``) and ``/status/{slug}``.

Server-rendered from the status slice's board, so it reads fully without JavaScript;
``/static/status.js`` then joins the tenant's ``system-status`` and ``uptime`` rooms and
updates statuses live. The past-incidents section shows the PRD's "data is being
prepared" message (in Korean, or English when the browser prefers it) until the
incidents slice provides its list.

Responses are gzip-compressed by the app's middleware when the browser accepts it: 50
services × 90 focusable, titled day bars are ~200 KB of HTML but ~20 KB on the wire.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kpiwatch.core import tenancy
from kpiwatch.core.db import Database
from kpiwatch.core.deps import CallerDep, ClockDep, DbDep
from kpiwatch.status import services, uptime
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

STATUS_LABELS = {
    "operational": "Operational",
    "degraded": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "maintenance": "Under maintenance",
    "no_data": "No data yet",
}
BANNERS = {
    "operational": "All Systems Operational",
    "degraded": "Some Systems Degraded",
    "outage": "Major System Outage",
}
DAY_NOTES = {"po": "partial outage", "mo": "major outage"}
PREPARING = {
    "ko": "데이터를 준비 중입니다.",
    "en": "Data is being prepared.",
}


def preferred_language(header: str | None) -> str:
    """``en`` when Accept-Language ranks English above Korean, else ``ko`` (the PRD's)."""
    best: dict[str, float] = {}
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in PREPARING and quality > 0:
            # Earlier entries win ties, as browsers list them by preference.
            best.setdefault(primary, quality - position * 1e-6)
    if "en" in best and best["en"] > best.get("ko", -1.0):
        return "en"
    return "ko"


def day_title(day: date, figures: uptime.Figures) -> str:
    code = figures.code()
    if code == "nd":
        return f"{day.isoformat()}: no data"
    if code == "m":
        return f"{day.isoformat()}: maintenance"
    note = DAY_NOTES.get(code)
    text = f"{day.isoformat()}: {figures.uptime()} % uptime"
    return f"{text}, {note}" if note else text


async def _page(request: Request, db: Database, tenant_id: int, now: Any) -> HTMLResponse:
    async with db.read() as conn:
        tenant = await tenancy.get_tenant(conn, tenant_id)
        zone = ZoneInfo(tenant["timezone"])
        listed = await services.list_services(conn, tenant_id)
        board = await uptime.status_board(conn, tenant_id, zone, now, listed)
    groups = [
        (name, list(rows)) for name, rows in groupby(board.services, lambda r: r.service["group"])
    ]
    language = preferred_language(request.headers.get("accept-language"))
    response = render(
        request,
        "status/page.html",
        tenant=tenant,
        zone=zone,
        board=board,
        groups=groups,
        banner=BANNERS[board.overall],
        labels=STATUS_LABELS,
        banners=BANNERS,
        day_title=day_title,
        past_incidents=None,
        past_message=PREPARING[language],
        past_lang=language,
        tenant_query="" if tenant["slug"] == "default" else f"?tenant={tenant['slug']}",
    )
    return response


@router.get("/", response_class=HTMLResponse)
async def status_page(request: Request, caller: CallerDep, db: DbDep) -> HTMLResponse:
    return await _page(request, db, caller.tenant_id, caller.now)


@router.get("/status/{slug}", response_class=HTMLResponse)
async def tenant_status_page(
    slug: str, request: Request, db: DbDep, clock: ClockDep
) -> HTMLResponse:
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, slug)
    return await _page(request, db, tenant_id, clock.now())
