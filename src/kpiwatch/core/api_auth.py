"""/api/auth: log in, refresh, log out, who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kpiwatch.core import auth, users
from kpiwatch.core.deps import ClockDep, DbDep, SettingsDep, ViewerDep, client_ip
from kpiwatch.core.errors import PermissionDenied

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserOut(BaseModel):
    id: int
    username: str
    email: str | None
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


def _tokens(tokens: auth.Tokens) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "bearer",
        "expires_in": tokens.expires_in,
        "user": tokens.user,
    }


@router.post("/login", response_model=TokensOut)
async def login(
    body: LoginIn, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> dict[str, Any]:
    """Exchange a username and password for an access and a refresh token."""
    tokens = await auth.login(
        db,
        settings,
        request.app.state.secret_key,
        body.username,
        body.password,
        client_ip(request) or "unknown",
        clock.now(),
    )
    return _tokens(tokens)


@router.post("/refresh", response_model=TokensOut)
async def refresh(
    body: RefreshIn, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> dict[str, Any]:
    """Exchange a refresh token for new tokens; the old refresh token stops working."""
    tokens = await auth.refresh(
        db, settings, request.app.state.secret_key, body.refresh_token, clock.now()
    )
    return _tokens(tokens)


@router.post("/logout", status_code=204)
async def logout(caller: ViewerDep, db: DbDep) -> None:
    """End the session: its refresh token and access tokens stop working."""
    if caller.session_id is None:
        raise PermissionDenied("an API key has no session; revoke it instead")
    await auth.logout(db, caller)


@router.get("/me", response_model=UserOut)
async def me(caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """The logged-in user."""
    if caller.user_id is None:
        raise PermissionDenied("an API key is not a user; log in to see a profile")
    async with db.read() as conn:
        return await users.get_user(conn, caller.tenant_id, caller.user_id)
