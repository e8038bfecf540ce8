"""Subscription pages: the status page's form, and where the links of its mails lead.

``POST /subscriptions`` takes the status page's form (works without JavaScript).
``GET /subscriptions/confirm?token=`` confirms. ``GET`` and ``POST
/subscriptions/unsubscribe?token=`` unsubscribe at once: the link in every mail is one
click, and ``POST`` is what mail clients send for ``List-Unsubscribe-Post`` (RFC 8058).
The form needs no CSRF token: it acts for nobody signed in, and a forged request can only
make the address's owner receive a confirmation, which the rate limits bound.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from kpiwatch.core import tenancy
from kpiwatch.core.context import Caller
from kpiwatch.core.deps import ClockDep, DbDep, SettingsDep, client_ip
from kpiwatch.core.errors import InvalidInput, NotFound, RateLimited
from kpiwatch.incidents import subscriptions
from kpiwatch.incidents.delivery import wake
from kpiwatch.incidents.subscriptions import SubscriptionIn
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(
    request: Request, tenant: dict[str, Any] | None, heading: str, text: str, status: int = 200
) -> HTMLResponse:
    slug = tenant["slug"] if tenant else "default"
    response = render(
        request,
        "status/subscription.html",
        tenant=tenant,
        heading=heading,
        text=text,
        back=f"/status/{slug}",
        tenant_query="" if slug == "default" else f"?tenant={slug}",
    )
    response.status_code = status
    return response


def visitor(request: Request, clock: Any) -> Caller:
    """An anonymous caller; the subscriber's own row decides the tenant."""
    return Caller(0, "", clock.now(), ip=client_ip(request))


async def _tenant(db: Any, tenant_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        return await tenancy.get_tenant(conn, tenant_id)


@router.post("/subscriptions", response_class=HTMLResponse)
async def subscribe(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> HTMLResponse:
    form = await request.form()
    slug = str(form.get("tenant") or "default")
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, slug)
    tenant = await _tenant(db, tenant_id)
    fields = {
        k: str(form[k]).strip() for k in ("email", "webhook") if str(form.get(k) or "").strip()
    }
    caller = Caller(tenant_id, slug, clock.now(), ip=client_ip(request))
    try:
        body = SubscriptionIn.model_validate(fields)
        async with db.write() as conn:
            answer = await subscriptions.subscribe(conn, caller, settings, body)
    except ValidationError as exc:
        problem = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return _page(request, tenant, "Not subscribed", f"Please check the form: {problem}.", 422)
    except InvalidInput as exc:
        detail = exc.detail if isinstance(exc.detail, list) else [exc.detail]
        problem = "; ".join(str(e.get("msg")) for e in detail)
        return _page(request, tenant, "Not subscribed", f"Please check the form: {problem}.", 422)
    except RateLimited as exc:
        text = (
            f"Too many subscription requests from your address; try again in {exc.retry_after} s."
        )
        return _page(request, tenant, "Not subscribed", text, 429)
    wake(request.app)
    return _page(request, tenant, "Check your inbox", answer["message"], 202)


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep, token: str = ""
) -> HTMLResponse:
    key: str = request.app.state.secret_key
    try:
        async with db.write() as conn:
            found = await subscriptions.confirm(conn, key, settings, token, visitor(request, clock))
    except NotFound as exc:
        return _page(request, None, "Not confirmed", str(exc.detail), 404)
    tenant = await _tenant(db, found["tenant_id"])
    text = (
        f"{found['address']} will receive {tenant['name']} incident updates. "
        "Every message carries a link to unsubscribe."
    )
    return _page(request, tenant, "Subscription confirmed", text)


async def _unsubscribe(request: Request, db: Any, clock: Any, token: str) -> HTMLResponse:
    key: str = request.app.state.secret_key
    try:
        async with db.write() as conn:
            found = await subscriptions.unsubscribe(conn, key, token, visitor(request, clock))
    except NotFound as exc:
        return _page(request, None, "Not unsubscribed", str(exc.detail), 404)
    if found is None:
        return _page(request, None, "Unsubscribed", "This subscription had already ended.")
    tenant = await _tenant(db, found["tenant_id"])
    text = f"{found['address']} will receive no more {tenant['name']} incident updates."
    return _page(request, tenant, "Unsubscribed", text)


@router.get("/subscriptions/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_link(
    request: Request, db: DbDep, clock: ClockDep, token: str = ""
) -> HTMLResponse:
    return await _unsubscribe(request, db, clock, token)


@router.post("/subscriptions/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_one_click(
    request: Request, db: DbDep, clock: ClockDep, token: str = ""
) -> HTMLResponse:
    return await _unsubscribe(request, db, clock, token)
