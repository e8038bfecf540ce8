"""Status-page subscriptions: the public endpoints, and the admins' list of subscribers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from kpiwatch.core.context import Caller
from kpiwatch.core.deps import AdminDep, CallerDep, ClockDep, DbDep, SettingsDep, client_ip
from kpiwatch.incidents import subscriptions
from kpiwatch.incidents.delivery import wake
from kpiwatch.incidents.subscriptions import SubscriptionIn

router = APIRouter(prefix="/api", tags=["subscriptions"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=3, max_length=200)


def visitor(request: Request, clock: ClockDep) -> Caller:
    """An anonymous caller whose tenant the subscriber's own row decides."""
    return Caller(0, "", clock.now(), ip=client_ip(request))


@router.post("/subscriptions", status_code=202)
async def subscribe(
    body: SubscriptionIn, request: Request, caller: CallerDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Subscribe an e-mail address or a webhook to the tenant's incident updates (``?tenant=``);
    a confirmation is sent, and nothing else until it is confirmed."""
    async with db.write() as conn:
        answer = await subscriptions.subscribe(conn, caller, settings, body)
    wake(request.app)
    return {"subscription": answer}


@router.post("/subscriptions/confirm")
async def confirm(
    body: TokenIn, request: Request, clock: ClockDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Confirm a subscription with the token of its confirmation link."""
    key: str = request.app.state.secret_key
    async with db.write() as conn:
        found = await subscriptions.confirm(
            conn, key, settings, body.token, visitor(request, clock)
        )
    confirmed = {"kind": found["kind"], "address": found["address"], "status": "confirmed"}
    return {"subscription": confirmed}


@router.post("/subscriptions/unsubscribe")
async def unsubscribe(
    body: TokenIn, request: Request, clock: ClockDep, db: DbDep
) -> dict[str, Any]:
    """End a subscription with the token of its unsubscribe link (again: still success)."""
    key: str = request.app.state.secret_key
    async with db.write() as conn:
        await subscriptions.unsubscribe(conn, key, body.token, visitor(request, clock))
    return {"success": True}


@router.get("/subscribers")
async def list_subscribers(
    caller: AdminDep,
    db: DbDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The tenant's subscribers, confirmed or pending."""
    async with db.read() as conn:
        found, total = await subscriptions.list_subscribers(conn, caller.tenant_id, page, limit)
    pages = max(1, -(-total // limit))
    return {
        "subscribers": found,
        "pagination": {"page": page, "limit": limit, "total": total, "totalPages": pages},
    }


@router.delete("/subscribers/{subscriber_id}")
async def remove_subscriber(subscriber_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Remove a subscriber."""
    async with db.write() as conn:
        await subscriptions.remove_subscriber(conn, caller, subscriber_id)
    return {"success": True}
