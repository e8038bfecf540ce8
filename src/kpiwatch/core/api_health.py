"""/api/health: is the database reachable and migrated, and which version runs."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kpiwatch import __version__
from kpiwatch.core.deps import DbDep
from kpiwatch.core.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/api/health")
async def health(db: DbDep) -> JSONResponse:
    """200 when the database answers and is at the latest migration, 503 otherwise."""
    body: dict[str, Any] = {"version": __version__, "database": db.dialect}
    head = sorted(head_revisions())
    try:
        async with db.read() as conn:
            current = sorted(await conn.run_sync(current_revisions))
    except Exception as exc:
        log.warning("health check cannot reach the database: %s", exc)
        body |= {"status": "error", "database_ok": False, "migration": {"head": head}}
        return JSONResponse(body, 503)
    ok = current == head
    body |= {
        "status": "ok" if ok else "error",
        "database_ok": True,
        "migration": {"current": current, "head": head, "up_to_date": ok},
    }
    return JSONResponse(body, 200 if ok else 503)
