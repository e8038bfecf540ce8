"""Sessions: login, refresh, logout, and turning credentials into a ``Caller``.

A login creates an ``auth_sessions`` row holding the hashed refresh token. Access tokens
name their session, so logging out, deactivating a user, or 2 h without activity ends
every token of that session at once.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import NotAuthenticated, RateLimited
from kpiwatch.core.models import api_keys, auth_sessions, login_failures, tenants, users
from kpiwatch.core.security import (
    InvalidToken,
    api_key_prefix,
    expires,
    issue_access_token,
    new_refresh_token,
    read_access_token,
    same_secret,
    sha256_hex,
    split_refresh_token,
    verify_password,
)

# Activity is written at most this often per session; idle expiry is exact to within it.
_TOUCH_EVERY = timedelta(seconds=60)
# PostgreSQL advisory lock that makes "check the failure count, count this attempt" atomic.
_LOGIN_LOCK = 0x6B70775F6C6F67


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: dict[str, Any]


USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.role,
    users.c.is_active,
    users.c.created_at,
    users.c.last_login_at,
)


async def _retry_after(
    conn: AsyncConnection, settings: Settings, username: str, ip: str, now: datetime
) -> int | None:
    """Seconds until another attempt is allowed, or None when the caller is under the limit."""
    since = now - timedelta(seconds=settings.login_window_s)
    waits = []
    for column, value in ((login_failures.c.username, username), (login_failures.c.ip, ip)):
        rows = await conn.execute(
            select(login_failures.c.at)
            .where(column == value, login_failures.c.at > since)
            .order_by(login_failures.c.at.desc())
            .limit(settings.login_max_failures)
        )
        recent = [r.at for r in rows]
        if len(recent) >= settings.login_max_failures:
            # The attempt is allowed again once the oldest of the last N leaves the window.
            free_at = recent[-1] + timedelta(seconds=settings.login_window_s)
            waits.append(max(1, int((free_at - now).total_seconds() + 0.999)))
    return max(waits) if waits else None


async def login(
    db: Database, settings: Settings, key: str, username: str, password: str, ip: str, now: datetime
) -> Tokens:
    async with db.write() as conn:
        if not db.is_sqlite:  # SQLite's write transactions are serial already
            await conn.execute(select(func.pg_advisory_xact_lock(_LOGIN_LOCK)))
        wait = await _retry_after(conn, settings, username, ip, now)
        row = (
            await conn.execute(
                select(*USER_COLUMNS, users.c.tenant_id, users.c.password_hash, tenants.c.slug)
                .join(tenants, tenants.c.id == users.c.tenant_id)
                .where(users.c.username == username)
            )
        ).first()
        if wait is not None:
            await _audit_login(conn, row, username, ip, now, "auth.login_blocked")
        else:
            # Counted before the slow password check, so guesses sent at once cannot all
            # pass the limit; a success deletes it with the username's other failures.
            await conn.execute(insert(login_failures).values(username=username, ip=ip, at=now))
            # Failures older than the window count for nothing: dropping them here keeps the
            # table at one window's failures, so this scan stays small.
            since = now - timedelta(seconds=settings.login_window_s)
            await conn.execute(delete(login_failures).where(login_failures.c.at <= since))
    if wait is not None:
        raise RateLimited("too many failed logins; try again later", wait)

    # bcrypt takes a quarter of a second: in a thread, so other requests go on meanwhile.
    ok = await asyncio.to_thread(verify_password, password, row.password_hash if row else None)
    if not ok or row is None or not row.is_active:
        async with db.write() as conn:
            await _audit_login(conn, row, username, ip, now, "auth.login_failed")
        raise NotAuthenticated("incorrect username or password")

    session_id = secrets.token_hex(16)
    refresh = new_refresh_token(session_id)
    async with db.write() as conn:
        await conn.execute(
            insert(auth_sessions).values(
                id=session_id,
                user_id=row.id,
                refresh_hash=sha256_hex(refresh),
                created_at=now,
                last_seen_at=now,
                expires_at=expires(now, settings.refresh_token_ttl_s),
                ip=ip,
            )
        )
        await conn.execute(update(users).where(users.c.id == row.id).values(last_login_at=now))
        await conn.execute(delete(login_failures).where(login_failures.c.username == username))
        await _audit_login(conn, row, username, ip, now, "auth.login")
    user = {c.name: getattr(row, c.name) for c in USER_COLUMNS} | {"last_login_at": now}
    access = issue_access_token(
        key, user_id=row.id, session_id=session_id, now=now, ttl_s=settings.access_token_ttl_s
    )
    return Tokens(access, refresh, settings.access_token_ttl_s, user)


async def _audit_login(
    conn: AsyncConnection, row: Any, username: str, ip: str, now: datetime, action: str
) -> None:
    if row is None:
        tenant_id = (
            await conn.execute(select(tenants.c.id).where(tenants.c.slug == "default"))
        ).scalar_one()
        caller = Caller(tenant_id, "default", now, ip=ip, name=username)
    else:
        caller = Caller(row.tenant_id, row.slug, now, ip=ip, user_id=row.id, name=username)
    await audit.record(conn, caller, action, "session", None, {"username": username})


def _live_session(now: datetime, idle_s: int) -> list[Any]:
    return [
        auth_sessions.c.revoked_at.is_(None),
        auth_sessions.c.expires_at > now,
        auth_sessions.c.last_seen_at > now - timedelta(seconds=idle_s),
        users.c.is_active.is_(True),
    ]


async def refresh(db: Database, settings: Settings, key: str, token: str, now: datetime) -> Tokens:
    """Rotate the refresh token: the old one stops working, the session lives on."""
    try:
        session_id, _ = split_refresh_token(token)
    except InvalidToken as exc:
        raise NotAuthenticated("invalid refresh token") from exc
    async with db.write() as conn:
        row = (
            await conn.execute(
                select(auth_sessions.c.refresh_hash, *USER_COLUMNS)
                .join(users, users.c.id == auth_sessions.c.user_id)
                .where(
                    auth_sessions.c.id == session_id, *_live_session(now, settings.session_idle_s)
                )
            )
        ).first()
        if row is None or not same_secret(row.refresh_hash, sha256_hex(token)):
            raise NotAuthenticated("refresh token expired or revoked")
        new_token = new_refresh_token(session_id)
        # Conditional on the old hash, so of two refreshes racing with one token only one wins.
        rotated = await conn.execute(
            update(auth_sessions)
            .where(
                auth_sessions.c.id == session_id,
                auth_sessions.c.refresh_hash == row.refresh_hash,
            )
            .values(refresh_hash=sha256_hex(new_token), last_seen_at=now)
        )
        if rotated.rowcount != 1:
            raise NotAuthenticated("refresh token expired or revoked")
    user = {c.name: getattr(row, c.name) for c in USER_COLUMNS}
    access = issue_access_token(
        key, user_id=row.id, session_id=session_id, now=now, ttl_s=settings.access_token_ttl_s
    )
    return Tokens(access, new_token, settings.access_token_ttl_s, user)


async def logout(db: Database, caller: Caller) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(auth_sessions)
            .where(auth_sessions.c.id == caller.session_id, auth_sessions.c.revoked_at.is_(None))
            .values(revoked_at=caller.now)
        )
        await audit.record(conn, caller, "auth.logout", "session", None)


async def revoke_user_sessions(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    await conn.execute(
        update(auth_sessions)
        .where(auth_sessions.c.user_id == user_id, auth_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def caller_from_credentials(
    db: Database,
    settings: Settings,
    key: str,
    credential: str,
    ip: str | None,
    now: datetime,
) -> Caller:
    """The caller behind an access token or an API key; raises ``NotAuthenticated``."""
    prefix = api_key_prefix(credential)
    if prefix is not None:
        return await _caller_from_api_key(db, credential, prefix, ip, now)
    try:
        claims = read_access_token(key, credential, now=now)
    except InvalidToken as exc:
        raise NotAuthenticated(str(exc)) from exc
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(
                    users.c.id,
                    users.c.username,
                    users.c.role,
                    users.c.tenant_id,
                    tenants.c.slug,
                    auth_sessions.c.last_seen_at,
                )
                .join(users, users.c.id == auth_sessions.c.user_id)
                .join(tenants, tenants.c.id == users.c.tenant_id)
                .where(
                    auth_sessions.c.id == claims.session_id,
                    users.c.id == claims.user_id,
                    *_live_session(now, settings.session_idle_s),
                )
            )
        ).first()
    if row is None:
        raise NotAuthenticated("session ended; log in again")
    if now - row.last_seen_at >= _TOUCH_EVERY:
        async with db.write() as conn:
            await conn.execute(
                update(auth_sessions)
                .where(auth_sessions.c.id == claims.session_id)
                .values(last_seen_at=now)
            )
    return Caller(
        row.tenant_id,
        row.slug,
        now,
        ip=ip,
        user_id=row.id,
        name=row.username,
        role=row.role,
        session_id=claims.session_id,
    )


async def _caller_from_api_key(
    db: Database, credential: str, prefix: str, ip: str | None, now: datetime
) -> Caller:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(api_keys, tenants.c.slug)
                .join(tenants, tenants.c.id == api_keys.c.tenant_id)
                .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
            )
        ).first()
    if row is None or not same_secret(row.key_hash, sha256_hex(credential)):
        raise NotAuthenticated("invalid API key")
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        async with db.write() as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now)
            )
    return Caller(
        row.tenant_id,
        row.slug,
        now,
        ip=ip,
        name=f"api-key:{row.name}",
        role=row.role,
        api_key_id=row.id,
    )
