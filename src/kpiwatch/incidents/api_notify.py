"""Notification channels (admins) and an incident's deliveries (signed-in users)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from kpiwatch.core.deps import AdminDep, DbDep, ViewerDep
from kpiwatch.core.errors import Conflict, NotFound
from kpiwatch.incidents import channels, outbox, queries
from kpiwatch.incidents.channels import ChannelIn, ChannelPatch

router = APIRouter(prefix="/api", tags=["notifications"])


def _answer(channel: dict[str, Any], secret: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"channel": channel}
    if secret is not None:
        out["secret"] = secret
    return out


@router.get("/notification-channels")
async def list_channels(caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """The tenant's channels; secrets appear as hints only."""
    async with db.read() as conn:
        return {"channels": await channels.list_channels(conn, caller.tenant_id)}


@router.post("/notification-channels", status_code=201)
async def create_channel(body: ChannelIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Add a channel; a webhook's signing ``secret`` is in this answer and never again."""
    try:
        async with db.write() as conn:
            channel, secret = await channels.create_channel(conn, caller, body)
    except IntegrityError as exc:  # a concurrent create took the name
        raise Conflict(f"a notification channel named {body.name!r} exists already") from exc
    return _answer(channel, secret)


@router.get("/notification-channels/{channel_id}")
async def get_channel(channel_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    async with db.read() as conn:
        return {"channel": await channels.get_channel(conn, caller.tenant_id, channel_id)}


@router.put("/notification-channels/{channel_id}")
async def edit_channel(
    channel_id: int, body: ChannelPatch, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Change a channel; ``rotate_secret`` answers a webhook's new secret (once)."""
    try:
        async with db.write() as conn:
            channel, secret = await channels.edit_channel(conn, caller, channel_id, body)
    except IntegrityError as exc:
        raise Conflict(f"a notification channel named {body.name!r} exists already") from exc
    return _answer(channel, secret)


@router.delete("/notification-channels/{channel_id}")
async def delete_channel(channel_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Delete a channel; what it was sent stays listed on the incidents."""
    async with db.write() as conn:
        await channels.delete_channel(conn, caller, channel_id)
    return {"success": True}


@router.get("/incidents/{incident_id}/deliveries")
async def incident_deliveries(incident_id: str, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """Each channel notification of the incident with every attempt (time, status code,
    error), and how many subscriber notifications are pending, sent, failed, cancelled."""
    async with db.read() as conn:
        row = (await conn.execute(queries.incident_row(caller.tenant_id, incident_id))).first()
        if row is None:
            raise NotFound(f"incident {incident_id!r} not found")
        return await outbox.incident_deliveries(conn, caller.tenant_id, incident_id)
