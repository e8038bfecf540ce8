"""Changing incidents: create, edit (optimistic ``version``), post updates, comment, delete.

Every function runs in the caller's write transaction and records its audit entry there,
and queues the notifications of a creation or status change there too (``outbox``).
Status changes all go through ``_move``, which writes the update that carries the
mandatory note, keeps ``resolved_at``/``resolution_s`` right and bumps ``version``.
A change by a person ends the monitoring system's control of an automatic incident.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit, tenancy
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.incidents import outbox, priority, queries
from kpiwatch.incidents.health import ServiceHealth, service_health
from kpiwatch.incidents.ids import next_id
from kpiwatch.incidents.models import (
    auto_incidents,
    incident_comments,
    incident_drafts,
    incident_services,
    incident_updates,
    incidents,
)
from kpiwatch.incidents.schemas import CommentIn, IncidentIn, IncidentPatch, UpdateIn
from kpiwatch.incidents.workflow import check_transition, resolution
from kpiwatch.status.models import services

NO_DATA = ServiceHealth("no_data", None, None, None)
# Fields a PUT may clear with null; the others must keep a value.
_NULLABLE = {"description", "reporter", "detection_criteria"}


async def _tz(conn: AsyncConnection, tenant_id: int) -> ZoneInfo:
    return ZoneInfo((await tenancy.get_tenant(conn, tenant_id))["timezone"])


async def _checked_services(conn: AsyncConnection, tenant_id: int, wanted: list[str]) -> list[str]:
    """``wanted`` without repeats; a 422 naming the first one the tenant does not have."""
    unique = list(dict.fromkeys(wanted))
    known = set(
        (
            await conn.execute(
                select(services.c.id).where(
                    services.c.tenant_id == tenant_id, services.c.id.in_(unique)
                )
            )
        ).scalars()
    )
    for index, service_id in enumerate(wanted):
        if service_id not in known:
            raise InvalidInput.field(
                ("body", "affected_services", index), f"no service {service_id!r} in this tenant"
            )
    return unique


async def _priority(
    conn: AsyncConnection,
    tenant_id: int,
    given: str | None,
    severity: str,
    data_loss_risk: bool,
    service_ids: list[str],
) -> priority.Priority:
    health = await service_health(conn, tenant_id)
    seen = {sid: health.get(sid, NO_DATA) for sid in service_ids}
    if given is not None:
        return priority.given(given, severity, data_loss_risk, seen)
    return priority.derive(severity, data_loss_risk, seen)


async def _set_services(
    conn: AsyncConnection, tenant_id: int, incident_id: str, service_ids: list[str]
) -> None:
    await conn.execute(
        delete(incident_services).where(
            incident_services.c.tenant_id == tenant_id,
            incident_services.c.incident_id == incident_id,
        )
    )
    if service_ids:
        await conn.execute(
            insert(incident_services),
            [
                {"tenant_id": tenant_id, "incident_id": incident_id, "service_id": s, "position": i}
                for i, s in enumerate(service_ids)
            ],
        )


async def _locked(conn: AsyncConnection, tenant_id: int, incident_id: str) -> Any:
    row = (
        await conn.execute(queries.incident_row(tenant_id, incident_id).with_for_update())
    ).first()
    if row is None:
        raise NotFound(f"incident {incident_id!r} not found")
    return row


async def _write_update(
    conn: AsyncConnection,
    caller: Caller,
    incident_id: str,
    status: str,
    previous: str | None,
    note: str,
) -> dict[str, Any]:
    tz = await _tz(conn, caller.tenant_id)
    update_id = await next_id(conn, caller.tenant_id, "upd", caller.now, tz)
    await conn.execute(
        insert(incident_updates).values(
            tenant_id=caller.tenant_id,
            id=update_id,
            incident_id=incident_id,
            status=status,
            previous_status=previous,
            description=note,
            user_id=caller.user_id,
            author=caller.name or "unknown",
            created_at=caller.now,
        )
    )
    inserted = (
        await conn.execute(
            select(incident_updates).where(
                incident_updates.c.tenant_id == caller.tenant_id,
                incident_updates.c.id == update_id,
            )
        )
    ).one()
    return queries.render_update(inserted)


async def _move(
    conn: AsyncConnection,
    caller: Caller,
    row: Any,
    status: str,
    note: str,
    *,
    automated: bool,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the update moving ``row`` to ``status`` with ``note``; returns the update."""
    made = await _write_update(conn, caller, row.id, status, row.status, note)
    kept = row.resolved_at if row.status == status else None
    resolved_at, resolution_s = resolution(row.created_at, status, caller.now, kept)
    values = {
        **(changes or {}),
        "status": status,
        "resolved_at": resolved_at,
        "resolution_s": resolution_s,
        "updated_at": caller.now,
        "version": row.version + 1,
    }
    if not automated:
        values["automatic"] = False
        await _release(conn, caller.tenant_id, row.id)
    await conn.execute(
        update(incidents)
        .where(incidents.c.tenant_id == caller.tenant_id, incidents.c.id == row.id)
        .values(**values)
    )
    return made


async def _notify(
    conn: AsyncConnection,
    caller: Caller,
    previous: str,
    incident: dict[str, Any],
    made: dict[str, Any] | None,
) -> None:
    """Queue the notifications of a status change in the change's own transaction."""
    if made is None or previous == incident["status"]:
        return
    event = "incident.resolved" if incident["status"] == "resolved" else "incident.updated"
    await outbox.enqueue(conn, caller, event, incident, made)


async def _release(conn: AsyncConnection, tenant_id: int, incident_id: str) -> None:
    await conn.execute(
        delete(auto_incidents).where(
            auto_incidents.c.tenant_id == tenant_id, auto_incidents.c.incident_id == incident_id
        )
    )


async def create_incident(
    conn: AsyncConnection, caller: Caller, body: IncidentIn, *, automated: bool = False
) -> dict[str, Any]:
    """Open an incident with its first update; answers it as the API shows it."""
    service_ids = await _checked_services(conn, caller.tenant_id, body.affected_services)
    chosen = await _priority(
        conn, caller.tenant_id, body.priority, body.severity, body.data_loss_risk, service_ids
    )
    tz = await _tz(conn, caller.tenant_id)
    incident_id = await next_id(conn, caller.tenant_id, "inc", caller.now, tz)
    resolved_at, resolution_s = resolution(caller.now, body.status, caller.now, None)
    await conn.execute(
        insert(incidents).values(
            tenant_id=caller.tenant_id,
            id=incident_id,
            title=body.title,
            description=body.description,
            status=body.status,
            severity=body.severity,
            priority=chosen.value,
            priority_rule=chosen.rule,
            priority_inputs=chosen.inputs,
            reporter=body.reporter or caller.name,
            detection_criteria=body.detection_criteria,
            created_by=caller.user_id,
            automatic=automated,
            created_at=caller.now,
            updated_at=caller.now,
            resolved_at=resolved_at,
            resolution_s=resolution_s,
            version=1,
        )
    )
    await _set_services(conn, caller.tenant_id, incident_id, service_ids)
    note = body.note or (body.description or "").strip() or body.title
    first = await _write_update(conn, caller, incident_id, body.status, None, note)
    await audit.record(
        conn,
        caller,
        "incident.create",
        "incident",
        incident_id,
        {
            "title": body.title,
            "status": body.status,
            "severity": body.severity,
            "priority": chosen.value,
            "priority_rule": chosen.rule,
            "affected_services": service_ids,
        },
    )
    incident = await queries.get_incident(conn, caller.tenant_id, incident_id)
    await outbox.enqueue(conn, caller, "incident.created", incident, first)
    return incident


def _stale(version: int, current: dict[str, Any]) -> Conflict:
    return Conflict(
        {
            "msg": f"version {version} is stale: the incident is at version {current['version']}",
            "incident": current,
        }
    )


async def edit_incident(
    conn: AsyncConnection, caller: Caller, incident_id: str, body: IncidentPatch
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Apply a PUT; answers the incident and the update a status change made (or None)."""
    row = await _locked(conn, caller.tenant_id, incident_id)
    if body.version != row.version:
        raise _stale(body.version, await queries.get_incident(conn, caller.tenant_id, incident_id))
    sent = body.model_dump(exclude_unset=True, exclude={"version", "note", "status"})
    for field, value in sent.items():
        if value is None and field not in _NULLABLE:
            raise InvalidInput.field(("body", field), "may not be null")
    before = await queries.get_incident(conn, caller.tenant_id, incident_id)
    changes: dict[str, Any] = {}
    audited: dict[str, Any] = {}
    for field in ("title", "description", "severity", "reporter", "detection_criteria"):
        if field in sent and sent[field] != before[field]:
            changes[field] = sent[field]
            audited[field] = {"from": before[field], "to": sent[field]}
    service_ids = before["affected_services"]
    if "affected_services" in sent:
        service_ids = await _checked_services(conn, caller.tenant_id, sent["affected_services"])
        if service_ids != before["affected_services"]:
            await _set_services(conn, caller.tenant_id, incident_id, service_ids)
            audited["affected_services"] = {"from": before["affected_services"], "to": service_ids}
    was_at_risk = bool(before["priority_inputs"].get("data_loss_risk", False))
    data_loss = bool(sent.get("data_loss_risk", was_at_risk))
    inputs_changed = "severity" in changes or "affected_services" in audited
    inputs_changed |= data_loss != was_at_risk
    given = sent.get("priority")
    if given is not None or (before["priority_rule"] != "given" and inputs_changed):
        severity = changes.get("severity", before["severity"])
        chosen = await _priority(conn, caller.tenant_id, given, severity, data_loss, service_ids)
        moved = (chosen.value, chosen.rule) != (before["priority"], before["priority_rule"])
        if moved or inputs_changed:
            changes.update(
                priority=chosen.value, priority_rule=chosen.rule, priority_inputs=chosen.inputs
            )
        if moved:
            audited["priority"] = {
                "from": [before["priority"], before["priority_rule"]],
                "to": [chosen.value, chosen.rule],
            }
    made = None
    if body.status is not None and body.status != row.status:
        check_transition(row.status, body.status)
        if body.note is None:
            raise InvalidInput.field(("body", "note"), "a status change needs a note")
        made = await _move(
            conn, caller, row, body.status, body.note, automated=False, changes=changes
        )
        audited["status"] = {"from": row.status, "to": body.status, "update": made["id"]}
    elif changes or "affected_services" in audited:
        await conn.execute(
            update(incidents)
            .where(incidents.c.tenant_id == caller.tenant_id, incidents.c.id == incident_id)
            .values(**changes, automatic=False, updated_at=caller.now, version=row.version + 1)
        )
        await _release(conn, caller.tenant_id, incident_id)
    if audited:
        await audit.record(conn, caller, "incident.update", "incident", incident_id, audited)
    incident = await queries.get_incident(conn, caller.tenant_id, incident_id)
    await _notify(conn, caller, row.status, incident, made)
    return incident, made


async def post_update(
    conn: AsyncConnection,
    caller: Caller,
    incident_id: str,
    body: UpdateIn,
    *,
    automated: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add a timeline update (moving the status when asked); answers it and the incident."""
    row = await _locked(conn, caller.tenant_id, incident_id)
    if body.version is not None and body.version != row.version:
        raise _stale(body.version, await queries.get_incident(conn, caller.tenant_id, incident_id))
    status = body.status or row.status
    check_transition(row.status, status)
    made = await _move(conn, caller, row, status, body.description, automated=automated)
    await audit.record(
        conn,
        caller,
        "incident.status" if status != row.status else "incident.note",
        "incident",
        incident_id,
        {"update": made["id"], "from": row.status, "to": status},
    )
    incident = await queries.get_incident(conn, caller.tenant_id, incident_id)
    await _notify(conn, caller, row.status, incident, made)
    return made, incident


async def add_comment(
    conn: AsyncConnection, caller: Caller, incident_id: str, body: CommentIn
) -> dict[str, Any]:
    await queries.get_incident(conn, caller.tenant_id, incident_id)
    comment_id = await next_id(
        conn, caller.tenant_id, "cmt", caller.now, await _tz(conn, caller.tenant_id)
    )
    await conn.execute(
        insert(incident_comments).values(
            tenant_id=caller.tenant_id,
            id=comment_id,
            incident_id=incident_id,
            user_id=caller.user_id,
            author=caller.name or "unknown",
            message=body.message,
            created_at=caller.now,
        )
    )
    await audit.record(
        conn, caller, "incident.comment", "incident", incident_id, {"comment": comment_id}
    )
    row = (
        await conn.execute(
            select(incident_comments).where(
                incident_comments.c.tenant_id == caller.tenant_id,
                incident_comments.c.id == comment_id,
            )
        )
    ).one()
    return queries.render_comment(row)


async def delete_incident(conn: AsyncConnection, caller: Caller, incident_id: str) -> None:
    """Delete an incident with its updates, comments and drafts."""
    row = await _locked(conn, caller.tenant_id, incident_id)
    await conn.execute(
        delete(incident_drafts).where(
            incident_drafts.c.tenant_id == caller.tenant_id,
            incident_drafts.c.incident_key == incident_id,
        )
    )
    await conn.execute(
        delete(incidents).where(
            incidents.c.tenant_id == caller.tenant_id, incidents.c.id == incident_id
        )
    )
    await audit.record(
        conn,
        caller,
        "incident.delete",
        "incident",
        incident_id,
        {"title": row.title, "status": row.status},
    )
