"""/api/maintenance: maintenance windows (public reads, admin writes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kpiwatch.core.deps import AdminDep, CallerDep, DbDep
from kpiwatch.status import maintenance
from kpiwatch.status.maintenance import MaintenanceIn

router = APIRouter(prefix="/api/maintenance", tags=["status"])


@router.get("")
async def list_windows(caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """Maintenance windows, newest first."""
    async with db.read() as conn:
        return {"maintenance": await maintenance.list_windows(conn, caller.tenant_id)}


@router.post("", status_code=201)
async def create_window(body: MaintenanceIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Plan a maintenance window."""
    async with db.write() as conn:
        return {"maintenance": await maintenance.create_window(conn, caller, body)}


@router.get("/{window_id}")
async def get_window(window_id: int, caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """One maintenance window."""
    async with db.read() as conn:
        return {"maintenance": await maintenance.get_window(conn, caller.tenant_id, window_id)}


@router.put("/{window_id}")
async def update_window(
    window_id: int, body: MaintenanceIn, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Replace a maintenance window."""
    async with db.write() as conn:
        return {"maintenance": await maintenance.update_window(conn, caller, window_id, body)}


@router.delete("/{window_id}")
async def delete_window(window_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Cancel a maintenance window."""
    async with db.write() as conn:
        await maintenance.delete_window(conn, caller, window_id)
    return {"success": True, "message": f"maintenance window {window_id} deleted"}
