"""Administration: users, API keys, the tenant's settings and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kpiwatch.core import api_keys, audit, tenancy, users
from kpiwatch.core.api_auth import UserOut
from kpiwatch.core.deps import AdminDep, CallerDep, DbDep
from kpiwatch.core.errors import InvalidInput

router = APIRouter(prefix="/api", tags=["admin"])

Role = Literal["viewer", "reporter", "admin"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class UserIn(BaseModel):
    username: str = Field(pattern=users.USERNAME)
    password: str = Field(min_length=8, max_length=1024)
    role: Role = "viewer"
    email: str | None = Field(None, max_length=254, pattern=EMAIL)


class UserUpdate(BaseModel):
    email: str | None = Field(None, max_length=254, pattern=EMAIL)
    password: str | None = Field(None, min_length=8, max_length=1024)
    role: Role | None = None
    is_active: bool | None = None


@router.get("/users", response_model=list[UserOut])
async def list_users(caller: AdminDep, db: DbDep) -> list[dict[str, Any]]:
    """Users of the caller's tenant."""
    async with db.read() as conn:
        return await users.list_users(conn, caller.tenant_id)


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Create a user in the caller's tenant."""
    async with db.write() as conn:
        return await users.create_user(
            conn,
            caller,
            username=body.username,
            password=body.password,
            role=body.role,
            email=body.email,
        )


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """One user of the caller's tenant."""
    async with db.read() as conn:
        return await users.get_user(conn, caller.tenant_id, user_id)


@router.put("/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int, body: UserUpdate, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Change a user's e-mail, password, role or active flag (only the fields sent)."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("password", "role", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput.field(("body", field), "may not be null")
    async with db.write() as conn:
        return await users.update_user(conn, caller, user_id, changes)


@router.delete("/users/{user_id}", status_code=204)
async def delete_user(user_id: int, caller: AdminDep, db: DbDep) -> None:
    """Delete a user; their sessions end with them."""
    async with db.write() as conn:
        await users.delete_user(conn, caller, user_id)


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = "reporter"


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="The key itself. It is shown only in this answer.")


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(caller: AdminDep, db: DbDep) -> list[dict[str, Any]]:
    """API keys of the tenant, without their secrets."""
    async with db.read() as conn:
        return await api_keys.list_keys(conn, caller.tenant_id)


@router.post("/api-keys", response_model=NewApiKeyOut, status_code=201)
async def create_api_key(body: ApiKeyIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Create an API key (send it as `Authorization: Bearer <key>` or `X-API-Key`)."""
    async with db.write() as conn:
        return await api_keys.create_key(conn, caller, name=body.name, role=body.role)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: int, caller: AdminDep, db: DbDep) -> None:
    """Revoke an API key; it stops working at once."""
    async with db.write() as conn:
        await api_keys.revoke_key(conn, caller, key_id)


class TenantOut(BaseModel):
    slug: str
    name: str
    timezone: str


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64)


@router.get("/tenant", response_model=TenantOut)
async def get_tenant(caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """The caller's tenant (or the one `?tenant=` names): its name and time zone."""
    async with db.read() as conn:
        return await tenancy.get_tenant(conn, caller.tenant_id)


@router.put("/tenant", response_model=TenantOut)
async def update_tenant(body: TenantIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Rename the tenant or change its time zone (an IANA name such as `Asia/Seoul`)."""
    async with db.write() as conn:
        return await tenancy.update_tenant(conn, caller, name=body.name, timezone=body.timezone)


class AuditOut(BaseModel):
    id: int
    at: datetime
    username: str | None
    user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, Any] | None
    ip: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    limit: int


@router.get("/audit", response_model=AuditPage)
async def list_audit(
    caller: AdminDep,
    db: DbDep,
    entity: str | None = None,
    user: Annotated[str | None, Query(description="username")] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The tenant's audit log, newest first."""
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput.field(("query", name), "needs a UTC offset, e.g. 2026-01-01T00:00Z")
    async with db.read() as conn:
        items, total = await audit.search(
            conn,
            caller.tenant_id,
            entity=entity,
            username=user,
            start=start,
            end=end,
            page=page,
            limit=limit,
        )
    return {"items": items, "total": total, "page": page, "limit": limit}
