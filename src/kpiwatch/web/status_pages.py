"""The public status page: ``/`` (the default tenant, or ``?tenant=``) and ``/status/{slug}``.

Server-rendered from the status slice's board and the incident slice's past incidents, so
it reads fully without JavaScript; ``/static/status.js`` then joins the tenant's
``system-status``, ``uptime`` and ``incidents`` rooms and updates statuses live, and on
an incident event re-reads the past-incidents section and the bars' incident lines from
``/status/{slug}/past`` (the same rendering as the page's).

Past incidents come from the data of ``GET /api/incidents/past``: ``PAST_DAYS`` local
days per page (``?page=2`` goes back further, up to the bars' 90 days), each with its
incidents or the PRD's "no problem" message; with no incident on the page at all, the
section shows the PRD's "data is being prepared" message instead. Messages are Korean,
or English when the browser prefers it. Each day bar's title (a tooltip on hover, shown
by CSS on keyboard focus) lists that service's incidents open that day, and those that
name no service.

Responses are gzip-compressed by the app's middleware when the browser accepts it: 50
services × 90 focusable, titled day bars are ~200 KB of HTML but ~20 KB on the wire.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import tenancy
from kpiwatch.core.db import Database
from kpiwatch.core.deps import CallerDep, ClockDep, DbDep, SettingsDep
from kpiwatch.incidents import history as incident_history
from kpiwatch.status import services, uptime
from kpiwatch.web.templating import env, render

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
NO_INCIDENT = {"ko": incident_history.NO_INCIDENT_MESSAGE, "en": "No incidents reported."}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
PAST_DAYS = 15
PAST_PAGES = -(-uptime.STATUS_DAYS // PAST_DAYS)


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


def day_title(day: date, figures: uptime.Figures, notes: str = "") -> str:
    """A bar's title: the day's figures, then a line per incident (``notes``)."""
    code = figures.code()
    if code == "nd":
        text = f"{day.isoformat()}: no data"
    elif code == "m":
        text = f"{day.isoformat()}: maintenance"
    else:
        note = DAY_NOTES.get(code)
        text = f"{day.isoformat()}: {figures.uptime()} % uptime"
        text = f"{text}, {note}" if note else text
    return f"{text}\n{notes}" if notes else text


def bar_notes(
    by_day: dict[str | None, dict[date, list[incident_history.DayIncident]]], service_ids: list[str]
) -> dict[str, dict[str, str]]:
    """Per service and ISO day, the incident lines of its bar (days without any left out)."""
    out: dict[str, dict[str, str]] = {}
    shared = by_day.get(None, {})
    for service_id in service_ids:
        own = by_day.get(service_id, {})
        lines: dict[str, str] = {}
        for day in sorted(set(own) | set(shared)):
            found = {i.id: i for i in [*shared.get(day, []), *own.get(day, [])]}
            listed = sorted(found.values(), key=lambda i: i.id)
            lines[day.isoformat()] = "\n".join(
                f"Incident: {i.title} ({STATUS_WORDS.get(i.status, i.status).lower()})"
                for i in listed
            )
        if lines:
            out[service_id] = lines
    return out


def when(value: str, zone: ZoneInfo) -> str:
    """An update's time on the page: ``Mar 2, 18:00 KST`` in the tenant's zone."""
    at = datetime.fromisoformat(value).astimezone(zone)
    return f"{uptime.MONTHS[at.month - 1][:3]} {at.day}, {at:%H:%M %Z}"


def day_heading(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{uptime.MONTHS[day.month - 1]} {day.day}, {day.year}"


def _past_page(request: Request) -> int:
    """``?page=`` of the past incidents, kept within the bars' 90 days (default 1)."""
    raw = request.query_params.get("page", "1")
    return min(max(int(raw), 1), PAST_PAGES) if raw.isdigit() else 1


async def _past(
    conn: AsyncConnection,
    tenant_id: int,
    zone: ZoneInfo,
    now: datetime,
    page: int,
    service_ids: list[str],
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The page's past incidents (``/api/incidents/past``'s data) and its bars' notes."""
    past = await incident_history.past_incidents(
        conn, tenant_id, zone, now, days=uptime.STATUS_DAYS, page=page, limit=PAST_DAYS
    )
    today = now.astimezone(zone).date()
    first = today - timedelta(days=uptime.STATUS_DAYS - 1)
    by_day = await incident_history.incidents_by_day(conn, tenant_id, zone, first, today, now)
    return past, bar_notes(by_day, service_ids)


def _past_context(
    request: Request,
    tenant: dict[str, Any],
    zone: ZoneInfo,
    past: dict[str, Any],
    names: dict[str, str],
) -> dict[str, Any]:
    language = preferred_language(request.headers.get("accept-language"))
    query = "" if tenant["slug"] == "default" else f"tenant={tenant['slug']}&"
    return {
        "past": past,
        "past_any": any(day["incidents"] for day in past["days"]),
        "past_message": PREPARING[language],
        "no_incident": NO_INCIDENT[language],
        "past_lang": language,
        "past_link": f"/?{query}page=",
        "service_names": names,
        "status_words": STATUS_WORDS,
        "when": when,
        "day_heading": day_heading,
        "zone": zone,
    }


async def _page(
    request: Request, db: Database, tenant_id: int, now: Any, with_form: bool
) -> HTMLResponse:
    page = _past_page(request)
    async with db.read() as conn:
        tenant = await tenancy.get_tenant(conn, tenant_id)
        zone = ZoneInfo(tenant["timezone"])
        listed = await services.list_services(conn, tenant_id)
        history = request.app.state.status_history  # the days before today, kept
        board = await uptime.status_board(conn, tenant_id, zone, now, listed, history)
        past, notes = await _past(conn, tenant_id, zone, now, page, [s["id"] for s in listed])
    groups = [
        (name, list(rows)) for name, rows in groupby(board.services, lambda r: r.service["group"])
    ]
    names = {s["id"]: s["name"] for s in listed}
    return render(
        request,
        "status/page.html",
        tenant=tenant,
        board=board,
        groups=groups,
        banner=BANNERS[board.overall],
        labels=STATUS_LABELS,
        banners=BANNERS,
        day_title=day_title,
        notes=notes,
        subscribe_email=with_form,
        tenant_query="" if tenant["slug"] == "default" else f"?tenant={tenant['slug']}",
        **_past_context(request, tenant, zone, past, names),
    )


@router.get("/", response_class=HTMLResponse)
async def status_page(
    request: Request, caller: CallerDep, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    return await _page(request, db, caller.tenant_id, caller.now, bool(settings.smtp_host))


@router.get("/status/{slug}", response_class=HTMLResponse)
async def tenant_status_page(
    slug: str, request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> HTMLResponse:
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, slug)
    return await _page(request, db, tenant_id, clock.now(), bool(settings.smtp_host))


@router.get("/status/{slug}/past")
async def past_incidents(slug: str, request: Request, db: DbDep, clock: ClockDep) -> dict[str, Any]:
    """The past-incidents section's HTML and the bars' incident lines, for ``status.js``."""
    now = clock.now()
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, slug)
        tenant = await tenancy.get_tenant(conn, tenant_id)
        zone = ZoneInfo(tenant["timezone"])
        listed = await services.list_services(conn, tenant_id)
        page = _past_page(request)
        past, notes = await _past(conn, tenant_id, zone, now, page, [s["id"] for s in listed])
    names = {s["id"]: s["name"] for s in listed}
    context = _past_context(request, tenant, zone, past, names)
    html = env.get_template("status/_past.html").render(request=request, **context)
    return {"html": html, "notes": notes}
