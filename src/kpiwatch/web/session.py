"""Signing in to the console pages: ``/login``, ``/logout``, the session cookie and CSRF.

The access token (the same JWT the API takes as ``Bearer``) lives in an HttpOnly,
SameSite=Strict cookie, so page scripts never see it; the Socket.IO server reads it from
the handshake. Every form of a signed-in page carries ``csrf_token``, an HMAC of the
session id: a page POST without it (or with another session's) answers 403. The login form
itself is protected by a double-submit token (a cookie and the same value in the form).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpiwatch.core import auth
from kpiwatch.core.context import Caller
from kpiwatch.core.deps import ClockDep, DbDep, SettingsDep, client_ip
from kpiwatch.core.errors import KpiwatchError, NotAuthenticated, RateLimited
from kpiwatch.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)

SESSION_COOKIE = "kpiwatch_session"
LOGIN_CSRF_COOKIE = "kpiwatch_login_csrf"
CONSOLE_ROLE = "reporter"


def cookie_credential(header: str | None) -> str | None:
    """The access token in a ``Cookie`` header, if any."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def csrf_token(key: str, caller: Caller) -> str:
    """The session's form token: stable for the session, useless for any other."""
    message = f"csrf:{caller.session_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _safe_next(target: str | None) -> str:
    # Only paths of this site, so the login form cannot send anyone elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/incidents"


async def session_caller(request: Request) -> Caller:
    """The user of the session cookie, whatever their role; else a redirect to ``/login``."""
    state = request.app.state
    token = request.cookies.get(SESSION_COOKIE)
    caller = None
    if token:
        try:
            caller = await auth.caller_from_credentials(
                state.db,
                state.settings,
                state.secret_key,
                token,
                client_ip(request),
                state.clock.now(),
            )
        except NotAuthenticated:
            caller = None
    if caller is None or caller.session_id is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise HTTPException(303, "log in first", headers={"Location": f"/login?next={target}"})
    return caller


async def signed_in(request: Request) -> Caller:
    """The reporter (or admin) of the session cookie; else a redirect to ``/login``."""
    caller = await session_caller(request)
    if not caller.has_role(CONSOLE_ROLE):
        raise HTTPException(403, "the incident console needs the reporter or admin role")
    return caller


PageCaller = Annotated[Caller, Depends(signed_in)]
"""A signed-in reporter or admin (the incident console)."""
SessionCaller = Annotated[Caller, Depends(session_caller)]
"""Any signed-in user, viewers included (pages that read, like ``/ran``)."""


def check_csrf(request: Request, caller: Caller, sent: object) -> None:
    """403 unless ``sent`` is the session's form token."""
    expected = csrf_token(request.app.state.secret_key, caller)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "invalid or missing CSRF token; reload the page")


async def checked_form(request: Request, caller: Caller) -> dict[str, list[str]]:
    """The POSTed form, after checking its CSRF token (403 without the session's)."""
    form = await request.form()
    check_csrf(request, caller, form.get("csrf_token"))
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


def _login_page(request: Request, next_: str, error: str | None, status: int) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "incidents/login.html", next=next_, error=error, csrf=token)
    response.status_code = status
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, _safe_next(next), None, 200)


@router.post("/login")
async def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        return _login_page(request, target, "The form expired; please try again.", 403)
    if not username or not password:
        return _login_page(request, target, "Enter your username and password.", 422)
    try:
        tokens = await auth.login(
            db,
            settings,
            request.app.state.secret_key,
            username,
            password,
            client_ip(request) or "unknown",
            clock.now(),
        )
    except RateLimited:
        return _login_page(request, target, "Too many failed logins; try again later.", 429)
    except KpiwatchError:
        return _login_page(request, target, "Incorrect username or password.", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        tokens.access_token,
        max_age=tokens.expires_in,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, caller: PageCaller, db: DbDep) -> Response:
    await checked_form(request, caller)
    await auth.logout(db, caller)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
