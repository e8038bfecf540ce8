"""User accounts of a tenant. The last active admin of a tenant cannot be removed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit, auth
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.core.models import users
from kpiwatch.core.security import hash_password

USER_COLUMNS = auth.USER_COLUMNS
USERNAME = r"^[A-Za-z0-9_.@-]{3,64}$"


async def list_users(conn: AsyncConnection, tenant_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(*USER_COLUMNS).where(users.c.tenant_id == tenant_id).order_by(users.c.username)
    )
    return [dict(r._mapping) for r in rows]


async def get_user(conn: AsyncConnection, tenant_id: int, user_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(*USER_COLUMNS).where(users.c.id == user_id, users.c.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return dict(row._mapping)


async def insert_user(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    username: str,
    password: str,
    role: str,
    email: str | None,
    now: datetime,
) -> int:
    """Insert without auditing (the CLI and demo loader call this directly)."""
    if not re.fullmatch(USERNAME, username):
        raise InvalidInput.field(("username",), "3 to 64 letters, digits or _ . @ -")
    taken = (await conn.execute(select(users.c.id).where(users.c.username == username))).first()
    if taken is not None:
        raise Conflict(f"username {username!r} is taken")
    try:
        result = await conn.execute(
            insert(users)
            .values(
                tenant_id=tenant_id,
                username=username,
                email=email,
                password_hash=hash_password(password),
                role=role,
                is_active=True,
                created_at=now,
            )
            .returning(users.c.id)
        )
    except IntegrityError as exc:  # a concurrent insert took the name
        raise Conflict(f"username {username!r} is taken") from exc
    user_id: int = result.scalar_one()
    return user_id


async def create_user(
    conn: AsyncConnection,
    caller: Caller,
    *,
    username: str,
    password: str,
    role: str,
    email: str | None,
) -> dict[str, Any]:
    user_id = await insert_user(
        conn,
        caller.tenant_id,
        username=username,
        password=password,
        role=role,
        email=email,
        now=caller.now,
    )
    await audit.record(
        conn, caller, "user.create", "user", user_id, {"username": username, "role": role}
    )
    return await get_user(conn, caller.tenant_id, user_id)


async def _lock_active_admins(conn: AsyncConnection, tenant_id: int) -> list[int]:
    """Ids of the tenant's active admins, locked so two requests cannot remove both."""
    rows = await conn.execute(
        select(users.c.id)
        .where(users.c.tenant_id == tenant_id, users.c.role == "admin", users.c.is_active.is_(True))
        .with_for_update()
    )
    return [r.id for r in rows]


async def update_user(
    conn: AsyncConnection, caller: Caller, user_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    before = await get_user(conn, caller.tenant_id, user_id)
    loses_admin = (
        before["role"] == "admin"
        and before["is_active"]
        and (changes.get("role", "admin") != "admin" or changes.get("is_active") is False)
    )
    if loses_admin and await _lock_active_admins(conn, caller.tenant_id) == [user_id]:
        raise Conflict("cannot demote or deactivate the last admin of the tenant")
    values = {k: v for k, v in changes.items() if k != "password"}
    if "password" in changes:
        values["password_hash"] = hash_password(changes["password"])
    if values:
        await conn.execute(update(users).where(users.c.id == user_id).values(**values))
    if "password" in changes or changes.get("is_active") is False:
        await auth.revoke_user_sessions(conn, user_id, caller.now)
    diff = {
        k: {"from": before[k], "to": v}
        for k, v in changes.items()
        if k != "password" and before.get(k) != v
    }
    if "password" in changes:
        diff["password"] = {"changed": True}
    await audit.record(conn, caller, "user.update", "user", user_id, diff)
    if "role" in diff:
        await audit.record(conn, caller, "user.role_change", "user", user_id, diff["role"])
    return await get_user(conn, caller.tenant_id, user_id)


async def delete_user(conn: AsyncConnection, caller: Caller, user_id: int) -> None:
    before = await get_user(conn, caller.tenant_id, user_id)
    if before["role"] == "admin" and before["is_active"]:
        if await _lock_active_admins(conn, caller.tenant_id) == [user_id]:
            raise Conflict("cannot delete the last admin of the tenant")
    # Recorded first: an admin deleting their own account is the entry's author, and the
    # entry must exist before the delete sets its user_id to NULL (it keeps the username).
    await audit.record(
        conn, caller, "user.delete", "user", user_id, {"username": before["username"]}
    )
    await conn.execute(delete(users).where(users.c.id == user_id))
