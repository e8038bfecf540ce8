"""/api/incidents (PRD §5.1): anyone reads, reporters write, admins delete (PRD §6.2)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kpiwatch.core import tenancy
from kpiwatch.core.deps import AdminDep, CallerDep, DbDep, ReporterDep
from kpiwatch.core.errors import InvalidInput
from kpiwatch.core.events import EventBus
from kpiwatch.incidents import automation, events, history, queries, service
from kpiwatch.incidents.models import PRIORITIES, SEVERITIES, STATUSES
from kpiwatch.incidents.schemas import CommentIn, IncidentIn, IncidentPatch, UpdateIn

router = APIRouter(prefix="/api", tags=["incidents"])


def _bus(request: Request) -> EventBus:
    bus: EventBus = request.app.state.events
    return bus


def _choices(name: str, values: list[str] | None, allowed: tuple[str, ...]) -> list[str]:
    """Repeated or comma-separated query values, each one of ``allowed``."""
    out = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    for value in out:
        if value not in allowed:
            raise InvalidInput.field(
                ("query", name), f"{value!r} is not one of {', '.join(allowed)}"
            )
    return out


@router.get("/incidents")
async def list_incidents(
    caller: CallerDep,
    db: DbDep,
    status: Annotated[list[str] | None, Query()] = None,
    priority: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    service_id: Annotated[str | None, Query(alias="service")] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Incidents, newest first, with their updates; filters combine with AND."""
    filters = queries.Filters(
        statuses=_choices("status", status, STATUSES),
        priorities=_choices("priority", priority, PRIORITIES),
        severities=_choices("severity", severity, SEVERITIES),
        service=service_id,
        start=start,
        end=end,
    )
    async with db.read() as conn:
        found, total = await queries.list_incidents(conn, caller.tenant_id, filters, page, limit)
    return {
        "incidents": found,
        "pagination": {
            "page": page,
            "limit": limit,
            "total": total,
            "totalPages": max(1, -(-total // limit)),
        },
    }


@router.get("/incidents/past")
async def past_incidents(
    caller: CallerDep,
    db: DbDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """The last ``days`` local days, today first, each with its incidents or a message."""
    async with db.read() as conn:
        tz = ZoneInfo((await tenancy.get_tenant(conn, caller.tenant_id))["timezone"])
        return await history.past_incidents(
            conn, caller.tenant_id, tz, caller.now, days=days, page=page, limit=limit
        )


@router.post("/incidents", status_code=201)
async def create_incident(
    body: IncidentIn, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Open an incident; without ``priority`` the server derives it (PRD §11.2.4)."""
    async with db.write() as conn:
        incident = await service.create_incident(conn, caller, body)
    await events.created(_bus(request), caller.tenant_id, incident)
    return {"incident": incident}


@router.get("/incidents/{incident_id}")
async def get_incident(incident_id: str, caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """One incident with its timeline (updates, and comments for signed-in users)."""
    async with db.read() as conn:
        incident = await queries.get_incident(conn, caller.tenant_id, incident_id)
        comments = (
            await queries.comments_of(conn, caller.tenant_id, incident_id)
            if caller.has_role("viewer")
            else []
        )
    if caller.has_role("viewer"):
        incident["comments"] = comments
    return {"incident": incident, "timeline": queries.timeline(incident["updates"], comments)}


@router.put("/incidents/{incident_id}")
async def edit_incident(
    incident_id: str, body: IncidentPatch, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Change fields of the incident at ``version`` (409 with the current one if stale)."""
    async with db.write() as conn:
        incident, made = await service.edit_incident(conn, caller, incident_id, body)
    await events.updated(_bus(request), caller.tenant_id, incident, made)
    return {"incident": incident}


@router.post("/incidents/{incident_id}/updates", status_code=201)
async def post_update(
    incident_id: str, body: UpdateIn, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Add a timeline update with its mandatory note, moving the status when given."""
    async with db.write() as conn:
        made, incident = await service.post_update(conn, caller, incident_id, body)
    await events.updated(_bus(request), caller.tenant_id, incident, made)
    return {"update": made, "incident": incident}


@router.post("/incidents/{incident_id}/comments", status_code=201)
async def add_comment(
    incident_id: str, body: CommentIn, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Comment on an incident (seen by signed-in users, not on the status page)."""
    async with db.write() as conn:
        comment = await service.add_comment(conn, caller, incident_id, body)
    await events.commented(_bus(request), caller.tenant_id, incident_id, comment)
    return {"comment": comment}


@router.delete("/incidents/{incident_id}")
async def delete_incident(
    incident_id: str, request: Request, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Delete an incident with its timeline."""
    async with db.write() as conn:
        await service.delete_incident(conn, caller, incident_id)
    await events.deleted(_bus(request), caller.tenant_id, incident_id)
    return {"success": True, "message": "Incident가 성공적으로 삭제되었습니다."}


class AutomationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    after_s: int | None = Field(
        None, ge=0, le=7 * 86400, description="Outage time before opening; null: the default."
    )


@router.get("/services/{service_id}/auto-incidents")
async def get_automation(service_id: str, caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """Whether the monitoring system opens incidents for this service, and after how long."""
    async with db.read() as conn:
        return {"automation": await automation.opt_in(conn, caller.tenant_id, service_id)}


@router.put("/services/{service_id}/auto-incidents")
async def set_automation(
    service_id: str, body: AutomationIn, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Opt a service into (or out of) automatic incidents."""
    async with db.write() as conn:
        found = await automation.set_opt_in(conn, caller, service_id, body.enabled, body.after_s)
    return {"automation": found}
