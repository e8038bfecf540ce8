"""/api/incidents/{id}/draft: a reporter's autosaved form, per incident (``new`` too)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from kpiwatch.core.deps import DbDep, ReporterDep
from kpiwatch.core.errors import NotFound
from kpiwatch.incidents import drafts

router = APIRouter(prefix="/api", tags=["incidents"])


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(description="The form's fields as the user left them.")
    base_version: int | None = Field(
        None, ge=1, description="The incident version the form was opened at."
    )


@router.put("/incidents/{incident_id}/draft")
async def save_draft(
    incident_id: str, body: DraftIn, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Autosave the caller's draft; ``conflict`` tells whether the incident moved on."""
    async with db.write() as conn:
        return await drafts.save_draft(conn, caller, incident_id, body.data, body.base_version)


@router.get("/incidents/{incident_id}/draft")
async def get_draft(incident_id: str, caller: ReporterDep, db: DbDep) -> dict[str, Any]:
    """The caller's draft to restore, with ``conflict`` and the incident's current version."""
    async with db.read() as conn:
        found = await drafts.get_draft(conn, caller, incident_id)
    if found is None:
        raise NotFound(f"no draft of {incident_id!r}")
    return found


@router.delete("/incidents/{incident_id}/draft", status_code=204)
async def discard_draft(incident_id: str, caller: ReporterDep, db: DbDep) -> Response:
    """Drop the caller's draft."""
    async with db.write() as conn:
        await drafts.discard_draft(conn, caller, incident_id)
    return Response(status_code=204)
