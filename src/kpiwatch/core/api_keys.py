"""API keys for machines that ingest data. The key is shown once; only its hash is kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import NotFound
from kpiwatch.core.models import api_keys
from kpiwatch.core.security import new_api_key, sha256_hex

KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.role,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
)


async def create_key(
    conn: AsyncConnection, caller: Caller, *, name: str, role: str
) -> dict[str, Any]:
    key, prefix = new_api_key()
    key_id = (
        await conn.execute(
            insert(api_keys)
            .values(
                tenant_id=caller.tenant_id,
                name=name,
                prefix=prefix,
                key_hash=sha256_hex(key),
                role=role,
                created_by=caller.user_id,
                created_at=caller.now,
            )
            .returning(api_keys.c.id)
        )
    ).scalar_one()
    await audit.record(
        conn, caller, "api_key.create", "api_key", key_id, {"name": name, "role": role}
    )
    return await get_key(conn, caller.tenant_id, key_id) | {"key": key}


async def get_key(conn: AsyncConnection, tenant_id: int, key_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(*KEY_COLUMNS).where(api_keys.c.id == key_id, api_keys.c.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"API key {key_id} not found")
    return dict(row._mapping)


async def list_keys(conn: AsyncConnection, tenant_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(*KEY_COLUMNS).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def revoke_key(conn: AsyncConnection, caller: Caller, key_id: int) -> None:
    await get_key(conn, caller.tenant_id, key_id)
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=caller.now)
    )
    await audit.record(conn, caller, "api_key.revoke", "api_key", key_id)
