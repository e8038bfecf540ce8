"""/api/monitors (viewer reads, admin writes) and /api/push/{token} (heartbeats)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kpiwatch.core.context import Caller
from kpiwatch.core.deps import AdminDep, ClockDep, DbDep, ViewerDep
from kpiwatch.watch import monitors
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.monitors import MonitorIn

router = APIRouter(prefix="/api", tags=["watch"])


def _settings(request: Request) -> WatchSettings:
    settings: WatchSettings = request.app.state.watch_settings
    return settings


def _out(row: dict[str, Any], caller: Caller) -> dict[str, Any]:
    if not caller.has_role("admin"):
        # Header values and push tokens are credentials: admins only.
        row = {**row, "headers": {k: "***" for k in row["headers"] or {}}, "push_token": None}
    return row


@router.get("/monitors")
async def list_monitors(
    caller: ViewerDep, db: DbDep, service_id: str | None = None
) -> dict[str, Any]:
    """Monitors with their current state."""
    async with db.read() as conn:
        rows = await monitors.list_(conn, caller.tenant_id, service_id)
    return {"monitors": [_out(r, caller) for r in rows]}


@router.post("/monitors", status_code=201)
async def create_monitor(
    body: MonitorIn, request: Request, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Create a monitor; a push monitor gets a token unless one is given."""
    async with db.write() as conn:
        row = await monitors.create(conn, caller, body, _settings(request))
    return {"monitor": _out(row, caller)}


@router.get("/monitors/{monitor_id}")
async def get_monitor(monitor_id: int, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """One monitor with its current state."""
    async with db.read() as conn:
        return {"monitor": _out(await monitors.get(conn, caller.tenant_id, monitor_id), caller)}


@router.put("/monitors/{monitor_id}")
async def replace_monitor(
    monitor_id: int, body: MonitorIn, request: Request, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Replace a monitor's configuration (its history stays)."""
    async with db.write() as conn:
        row = await monitors.replace(conn, caller, monitor_id, body, _settings(request))
    return {"monitor": _out(row, caller)}


@router.delete("/monitors/{monitor_id}")
async def delete_monitor(monitor_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Delete a monitor and its history."""
    async with db.write() as conn:
        await monitors.remove(conn, caller, monitor_id)
    return {"success": True, "message": f"monitor {monitor_id} deleted"}


@router.api_route("/push/{token}", methods=["GET", "POST"])
async def push(token: str, db: DbDep, clock: ClockDep) -> dict[str, Any]:
    """A heartbeat of a push monitor: the job calls this on every successful run."""
    async with db.write() as conn:
        monitor_id = await monitors.ping(conn, token, clock.now())
    return {"ok": True, "monitor_id": monitor_id}
