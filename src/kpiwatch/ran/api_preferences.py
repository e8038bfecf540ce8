"""/api/preference: the caller's own RAN preferences (seed 001).

Any signed-in user reads and saves their own document (viewers too: it only shapes
their view); nobody reads another user's. A save replaces the whole document and is
audited; a body over ``preference_max_bytes`` is refused with 413.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kpiwatch.core.deps import DbDep, SettingsDep, ViewerDep
from kpiwatch.ran import preferences
from kpiwatch.ran.bodies import read_model, schema_of

router = APIRouter(prefix="/api/preference", tags=["analysis"])


@router.get("")
async def get_preference(caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """Your saved preferences (empty lists and nulls before the first save)."""
    async with db.read() as conn:
        return await preferences.load(conn, caller)


@router.post("", openapi_extra=schema_of(preferences.PreferenceIn))
async def save_preference(
    request: Request, caller: ViewerDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Save your preferences: KPIs, NEs, cells, default periods, grain and thresholds."""
    document = await read_model(request, preferences.PreferenceIn, settings.preference_max_bytes)
    async with db.write() as conn:
        return await preferences.save(conn, caller, document)
