"""The RAN explorer ``/ran``: choose objects, KPIs, grain and the N-1 and N periods; see each
KPI charted (N-1 and N on one chart) and compared; import PM files.

Every signed-in user reads it, viewers included; importing needs the reporter role, as
``POST /api/pm/files`` does, and goes through the same service (``ran.files``) with the
session's CSRF token. Without JavaScript the choices are a GET form and the upload a plain
multipart POST that answers with the page; ``/static/ran.js`` uploads with a progress bar
and asks for HTML fragments (header ``X-Kpiwatch-Fragment: results`` or ``view``) rendered
by the same templates, so nothing is rendered twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from kpiwatch.core.context import Caller
from kpiwatch.core.errors import PayloadTooLarge
from kpiwatch.kpi.calculate import tenant_zone
from kpiwatch.ran import explore, files, preferences
from kpiwatch.ran.kpis import RAN_KPIS
from kpiwatch.web import ran_choices, ran_view
from kpiwatch.web.session import SessionCaller, check_csrf, csrf_token
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

FRAGMENT = "x-kpiwatch-fragment"
UPLOAD_ROLE = "reporter"
MAX_FILES = 100  # per upload from the page; the CLI takes any number


async def _view(request: Request, caller: Caller) -> tuple[dict[str, Any], int]:
    """The context of the choices, charts and comparison, and the page's status code."""
    db = request.app.state.db
    async with db.read() as conn:
        zone = await tenant_zone(conn, caller.tenant_id)
        objects = await explore.objects(conn, caller.tenant_id)
        span = await explore.data_span(conn, caller.tenant_id)
        saved = await preferences.saved(conn, caller)
    form = ran_choices.read_form(request.query_params)
    if not request.query_params:
        form |= ran_choices.preferred(saved, objects, zone)
    if not any(form[name] for name in ran_choices.PERIOD_FIELDS):
        form |= ran_choices.default_periods(span[1] if span else None, caller.now, zone)
    choices, errors = ran_choices.check(form, zone, list(RAN_KPIS), objects)
    cells: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        cells.setdefault(obj["ne"], []).append(obj)
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "zone_name": zone.key,
        "grains": ran_choices.GRAINS,
        "nes": sorted(cells),
        "cells": sorted(cells.items()),
        "kpis": list(RAN_KPIS.values()),
        "has_data": span is not None,
        "VERDICT_MARKS": ran_view.VERDICT_MARKS,
    }
    if choices is None or span is None:
        return context, 422 if errors else 200
    context |= await ran_view.results(db, caller.tenant_id, choices, zone, objects, saved)
    return context, 200


async def _page(
    request: Request, caller: Caller, upload: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    view, view_status = await _view(request, caller)
    if request.headers.get(FRAGMENT) == "view":
        response = render(request, "ran/_view.html", **view)
    else:
        response = render(
            request,
            "ran/page.html",
            user=caller,
            csrf=csrf_token(request.app.state.secret_key, caller),
            can_upload=caller.has_role(UPLOAD_ROLE),
            query=request.url.query,
            tenant_query="",
            **(upload or {}),
            **view,
        )
    response.status_code = status if status != 200 else view_status
    response.headers["Vary"] = "X-Kpiwatch-Fragment"
    return response


@router.get("/ran", response_class=HTMLResponse)
async def ran_page(request: Request, caller: SessionCaller) -> HTMLResponse:
    return await _page(request, caller)


async def _uploaded(request: Request, limit: int) -> tuple[list[files.Source], dict[str, str]]:
    """The files and the text fields of the page's multipart form, at most ``limit`` bytes.

    Browsers send a ``Content-Length`` with a form; the server reads no more than it says,
    so checking it bounds what is read (a request without one is refused: 411).
    """
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise HTTPException(411, "send the form with a Content-Length")
    if int(declared) > limit:
        raise PayloadTooLarge(f"the upload is over the {limit:,} byte limit")
    form = await request.form(max_files=MAX_FILES, max_fields=5)
    try:
        sources = [
            (v.filename or "", await v.read())
            for k, v in form.multi_items()
            if k == "files" and isinstance(v, UploadFile) and (v.filename or v.size)
        ]
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    finally:
        await form.close()
    return sources, fields


@router.post("/ran/upload", response_class=HTMLResponse)
async def upload(request: Request, caller: SessionCaller) -> HTMLResponse:
    """Import PM files from the page; answers the page (or the results fragment)."""
    if not caller.has_role(UPLOAD_ROLE):
        raise HTTPException(403, "importing PM files needs the reporter or admin role")
    limit = request.app.state.settings.ingest_max_bytes
    try:
        sources, fields = await _uploaded(request, limit)
    except PayloadTooLarge as exc:
        return await _answer(request, caller, {"upload_error": str(exc.detail)}, 413)
    check_csrf(request, caller, fields.get("csrf_token"))
    lenient = fields.get("lenient") == "1"
    if not sources:
        return await _answer(request, caller, {"upload_error": "Choose at least one file."}, 422)
    results = await files.import_files(request.app.state.db, caller, sources, lenient=lenient)
    everything_rejected = all(r.status == "rejected" for r in results)
    upload_context = {"upload": [r.as_dict() for r in results], "lenient": lenient}
    return await _answer(request, caller, upload_context, 422 if everything_rejected else 200)


async def _answer(
    request: Request, caller: Caller, upload: dict[str, Any], status: int
) -> HTMLResponse:
    if request.headers.get(FRAGMENT) == "results":
        response = render(request, "ran/_results.html", **upload)
        response.status_code = status
        return response
    return await _page(request, caller, upload, status)
