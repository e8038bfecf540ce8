"""FastAPI dependencies: the database, the clock, and the caller with the role it needs.

Reading public data needs no credentials: an anonymous caller reads the ``default`` tenant,
or the one ``?tenant=slug`` names. Credentials, when sent, must be valid (401 otherwise)
and fix the tenant to the caller's own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from kpiwatch.core import auth
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import NotAuthenticated, NotFound, PermissionDenied
from kpiwatch.core.models import tenants


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("Authorization must be 'Bearer <token>'")
        return value.strip()
    return request.headers.get("x-api-key") or None


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_caller(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep) -> Caller:
    now = clock.now()
    ip = client_ip(request)
    credential = _credential(request)
    if credential is not None:
        key: str = request.app.state.secret_key
        return await auth.caller_from_credentials(db, settings, key, credential, ip, now)
    slug = request.query_params.get("tenant") or "default"
    async with db.read() as conn:
        tenant_id = (
            await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))
        ).scalar_one_or_none()
    if tenant_id is None:
        raise NotFound(f"tenant {slug!r} not found")
    return Caller(tenant_id, slug, now, ip=ip)


def require(role: str) -> object:
    async def dependency(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if caller.role is None:
            raise NotAuthenticated("authentication required")
        if not caller.has_role(role):
            raise PermissionDenied(f"requires the {role} role")
        return caller

    return Depends(dependency)


CallerDep = Annotated[Caller, Depends(get_caller)]
"""Anyone; anonymous callers read their chosen tenant's public data."""
ViewerDep = Annotated[Caller, require("viewer")]
ReporterDep = Annotated[Caller, require("reporter")]
AdminDep = Annotated[Caller, require("admin")]
