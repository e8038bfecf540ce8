"""The incident console: ``/incidents``, ``/incidents/new``, ``/incidents/{id}``, history.

Pages for signed-in reporters and admins (``session.signed_in``); every form posts back to
a page route here, with the session's CSRF token, which calls the incident slice's service
functions and publishes their events as the API does. A refused form is shown again with
the user's input and a message per field; a save against a stale ``version`` shows the
conflict and keeps the user's text (also as a draft) instead of overwriting anything.
``/static/incidents.js`` adds live updates, presence, autosave and the shortcuts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput
from kpiwatch.incidents import drafts, events, outbox, queries, service
from kpiwatch.incidents.models import PRIORITIES, SEVERITIES, STATUSES
from kpiwatch.incidents.schemas import CommentIn, IncidentIn, IncidentPatch, UpdateIn
from kpiwatch.incidents.workflow import allowed_next
from kpiwatch.status import services
from kpiwatch.web.session import PageCaller, checked_form, csrf_token
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

Form = dict[str, list[str]]
Errors = dict[str, str]
TEXT_FIELDS = ("title", "description", "reporter", "detection_criteria", "note")
LIST_LIMIT = 50


def _one(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _optional(form: Form, name: str) -> str | None:
    return _one(form, name) or None


def _errors(exc: ValidationError | InvalidInput) -> Errors:
    """``{field: message}`` from a pydantic error or a service's 422 detail."""
    items = exc.errors() if isinstance(exc, ValidationError) else exc.detail
    out: Errors = {}
    for item in items if isinstance(items, list) else [items]:
        loc = [part for part in item.get("loc", []) if part != "body"]
        name = str(loc[0]) if loc else "form"
        out.setdefault(name, str(item.get("msg", "invalid value")).removeprefix("Value error, "))
    return out


def _validate(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput([dict(e) for e in exc.errors()]) from exc


def _page(request: Request, caller: Caller, template: str, **context: Any) -> HTMLResponse:
    return render(
        request,
        template,
        user=caller,
        csrf=csrf_token(request.app.state.secret_key, caller),
        statuses=STATUSES,
        severities=SEVERITIES,
        priorities=PRIORITIES,
        tenant_query="",
        **context,
    )


def _filter(request: Request, name: str, allowed: tuple[str, ...]) -> list[str]:
    value = request.query_params.get(name, "")
    return [value] if value in allowed else []


@router.get("/incidents", response_class=HTMLResponse)
async def list_page(request: Request, caller: PageCaller) -> HTMLResponse:
    status = _filter(request, "status", STATUSES)
    priority = _filter(request, "priority", PRIORITIES)
    filters = queries.Filters(statuses=status, priorities=priority, severities=[])
    async with request.app.state.db.read() as conn:
        found, total = await queries.list_incidents(conn, caller.tenant_id, filters, 1, LIST_LIMIT)
    return _page(
        request,
        caller,
        "incidents/list.html",
        incidents=found,
        total=total,
        status=status[0] if status else "",
        priority=priority[0] if priority else "",
    )


@router.get("/incidents/history", response_class=HTMLResponse)
async def history_page(request: Request, caller: PageCaller) -> HTMLResponse:
    filters = queries.Filters(statuses=["resolved"], priorities=[], severities=[])
    async with request.app.state.db.read() as conn:
        found, total = await queries.list_incidents(conn, caller.tenant_id, filters, 1, LIST_LIMIT)
    return _page(request, caller, "incidents/history.html", incidents=found, total=total)


async def _new_form(
    request: Request, caller: Caller, values: dict[str, Any], errors: Errors, status: int
) -> HTMLResponse:
    async with request.app.state.db.read() as conn:
        listed = await services.list_services(conn, caller.tenant_id)
        draft = None if values else await drafts.get_draft(conn, caller, drafts.NEW)
    if draft is not None:
        values = draft["draft"]["data"]
    response = _page(
        request,
        caller,
        "incidents/new.html",
        services=listed,
        values=values,
        errors=errors,
        restored=draft is not None,
    )
    response.status_code = status
    return response


@router.get("/incidents/new", response_class=HTMLResponse)
async def new_page(request: Request, caller: PageCaller) -> HTMLResponse:
    return await _new_form(request, caller, {}, {}, 200)


def _incident_values(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {name: _optional(form, name) for name in TEXT_FIELDS}
    values["severity"] = _one(form, "severity")
    values["priority"] = _optional(form, "priority")
    values["affected_services"] = [s for s in form.get("affected_services", []) if s]
    return values


@router.post("/incidents/new")
async def create(request: Request, caller: PageCaller) -> Response:
    form = await checked_form(request, caller)
    values = _incident_values(form)
    try:
        body = _validate(IncidentIn, {k: v for k, v in values.items() if v is not None})
        async with request.app.state.db.write() as conn:
            incident = await service.create_incident(conn, caller, body)
            await drafts.discard_draft(conn, caller, drafts.NEW)
    except InvalidInput as exc:
        return await _new_form(request, caller, values, _errors(exc), 422)
    await events.created(request.app.state.events, caller.tenant_id, incident)
    return RedirectResponse(f"/incidents/{incident['id']}", status_code=303)


async def _detail(
    request: Request,
    caller: Caller,
    incident_id: str,
    *,
    errors: Errors | None = None,
    values: dict[str, Any] | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    async with request.app.state.db.read() as conn:
        incident = await queries.get_incident(conn, caller.tenant_id, incident_id)
        comments = await queries.comments_of(conn, caller.tenant_id, incident_id)
        listed = await services.list_services(conn, caller.tenant_id)
        draft = await drafts.get_draft(conn, caller, incident_id)
        notified = await outbox.incident_deliveries(conn, caller.tenant_id, incident_id)
    if values is None and draft is not None:
        values = draft["draft"]["data"]
        if draft["conflict"]:
            conflict = incident
    response = _page(
        request,
        caller,
        "incidents/detail.html",
        incident=incident,
        timeline=queries.timeline(incident["updates"], comments),
        services=listed,
        next_states=allowed_next(incident["status"]),
        values=values or {},
        errors=errors or {},
        conflict=conflict,
        base_version=draft["draft"]["baseVersion"] if draft and values else incident["version"],
        restored=draft is not None,
        notified=notified,
    )
    response.status_code = status
    return response


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def detail_page(incident_id: str, request: Request, caller: PageCaller) -> HTMLResponse:
    return await _detail(request, caller, incident_id)


def _version(form: Form) -> int | None:
    text = _one(form, "version")
    return int(text) if text.isdigit() else None


@router.post("/incidents/{incident_id}/edit")
async def edit(incident_id: str, request: Request, caller: PageCaller) -> Response:
    form = await checked_form(request, caller)
    values = _incident_values(form)
    values.pop("note")
    patch = {**values, "version": _version(form)}
    if patch["priority"] is None:
        del patch["priority"]
    try:
        body = _validate(IncidentPatch, patch)
        async with request.app.state.db.write() as conn:
            incident, made = await service.edit_incident(conn, caller, incident_id, body)
            await drafts.discard_draft(conn, caller, incident_id)
    except InvalidInput as exc:
        return await _detail(
            request, caller, incident_id, errors=_errors(exc), values=values, status=422
        )
    except Conflict as exc:
        async with request.app.state.db.write() as conn:
            await drafts.save_draft(conn, caller, incident_id, values, _version(form))
        return await _detail(
            request,
            caller,
            incident_id,
            values=values,
            conflict=exc.detail["incident"],
            status=409,
        )
    await events.updated(request.app.state.events, caller.tenant_id, incident, made)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/updates")
async def post_update(incident_id: str, request: Request, caller: PageCaller) -> Response:
    form = await checked_form(request, caller)
    try:
        body = _validate(
            UpdateIn, {"status": _optional(form, "status"), "description": _one(form, "note")}
        )
        async with request.app.state.db.write() as conn:
            made, incident = await service.post_update(conn, caller, incident_id, body)
    except InvalidInput as exc:
        errors = {("note" if k == "description" else k): v for k, v in _errors(exc).items()}
        return await _detail(request, caller, incident_id, errors=errors, status=422)
    await events.updated(request.app.state.events, caller.tenant_id, incident, made)
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.post("/incidents/{incident_id}/comments")
async def comment(incident_id: str, request: Request, caller: PageCaller) -> Response:
    form = await checked_form(request, caller)
    try:
        body = _validate(CommentIn, {"message": _one(form, "message")})
        async with request.app.state.db.write() as conn:
            made = await service.add_comment(conn, caller, incident_id, body)
    except InvalidInput as exc:
        return await _detail(request, caller, incident_id, errors=_errors(exc), status=422)
    await events.commented(request.app.state.events, caller.tenant_id, incident_id, made)
    return RedirectResponse(f"/incidents/{incident_id}#timeline", status_code=303)


@router.post("/incidents/{key}/draft/discard")
async def discard(key: str, request: Request, caller: PageCaller) -> Response:
    await checked_form(request, caller)
    async with request.app.state.db.write() as conn:
        await drafts.discard_draft(conn, caller, key)
    target = "/incidents" if key == drafts.NEW else f"/incidents/{key}"
    return RedirectResponse(target, status_code=303)
