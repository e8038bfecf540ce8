"""Autosaved drafts: one per user and incident (``new`` for the form of a new incident).

The console saves the form every 30 s (Socket.IO ``auto-save`` or ``PUT …/draft``) and
restores it when the user reopens the incident. A draft remembers the incident
``version`` it was edited from; when the incident has moved on since, the draft is in
conflict: the page shows both and saving needs the user's decision, never an overwrite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.context import Caller
from kpiwatch.core.errors import InvalidInput, NotFound
from kpiwatch.incidents import queries
from kpiwatch.incidents.events import INCIDENT_ID
from kpiwatch.incidents.models import incident_drafts
from kpiwatch.status.uptime import iso

NEW = "new"
# The form fields a draft keeps; anything else a client sends is dropped.
FIELDS = (
    "title",
    "description",
    "severity",
    "priority",
    "status",
    "affected_services",
    "reporter",
    "detection_criteria",
    "note",
    "comment",
)
MAX_TEXT = 20_000


def clean(data: Any) -> dict[str, Any]:
    """The draftable fields of ``data``: strings, or lists of strings for the services."""
    if not isinstance(data, dict):
        raise InvalidInput.field(("body", "data"), "must be an object of form fields")
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            out[name] = value[:MAX_TEXT]
        elif isinstance(value, list) and name == "affected_services":
            out[name] = [v for v in value if isinstance(v, str)][:100]
    return out


async def _current_version(conn: AsyncConnection, caller: Caller, key: str) -> int | None:
    if key == NEW:
        return None
    if INCIDENT_ID.fullmatch(key) is None:
        raise NotFound(f"incident {key!r} not found")
    row = (await conn.execute(queries.incident_row(caller.tenant_id, key))).first()
    if row is None:
        raise NotFound(f"incident {key!r} not found")
    return int(row.version)


def _answer(key: str, row: Any, current: int | None) -> dict[str, Any]:
    return {
        "draft": {
            "incidentId": key,
            "data": row.data,
            "baseVersion": row.base_version,
            "savedAt": iso(row.saved_at),
        },
        "currentVersion": current,
        "conflict": current is not None and row.base_version != current,
    }


def _where(caller: Caller, key: str) -> list[Any]:
    return [
        incident_drafts.c.user_id == caller.user_id,
        incident_drafts.c.tenant_id == caller.tenant_id,
        incident_drafts.c.incident_key == key,
    ]


async def save_draft(
    conn: AsyncConnection, caller: Caller, key: str, data: Any, base_version: int | None
) -> dict[str, Any]:
    """Store the caller's draft of ``key``; answers it as ``get_draft`` does.

    Without ``base_version`` the draft keeps the one it had, else the incident's current
    version. A stale one is stored all the same (the text is the user's) and answered as a
    conflict.
    """
    if caller.user_id is None:
        raise InvalidInput.field(("auth",), "drafts belong to users; log in")
    fields = clean(data)
    current = await _current_version(conn, caller, key)
    if base_version is None and current is not None:
        kept = (
            await conn.execute(select(incident_drafts.c.base_version).where(*_where(caller, key)))
        ).scalar_one_or_none()
        base_version = kept if kept is not None else current
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"data": fields, "base_version": base_version, "saved_at": caller.now}
    stmt = insert_(incident_drafts).values(
        user_id=caller.user_id, incident_key=key, tenant_id=caller.tenant_id, **values
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["user_id", "incident_key"], set_=values)
    )
    row = (await conn.execute(select(incident_drafts).where(*_where(caller, key)))).one()
    return _answer(key, row, current)


async def get_draft(conn: AsyncConnection, caller: Caller, key: str) -> dict[str, Any] | None:
    """The caller's draft of ``key`` with its conflict state, or None."""
    current = await _current_version(conn, caller, key)
    if caller.user_id is None:
        return None
    row = (await conn.execute(select(incident_drafts).where(*_where(caller, key)))).first()
    return None if row is None else _answer(key, row, current)


async def discard_draft(conn: AsyncConnection, caller: Caller, key: str) -> None:
    """Forget the caller's draft of ``key`` (after a save, or when the user drops it)."""
    if caller.user_id is not None:
        await conn.execute(delete(incident_drafts).where(*_where(caller, key)))
