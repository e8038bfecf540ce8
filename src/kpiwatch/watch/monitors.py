"""Monitors of a tenant's services: validation, storage and the push endpoint's ping."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.status.models import services
from kpiwatch.watch import conditions, jsonpath
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import monitor_state, monitors

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
PUSH_TOKEN = r"^[A-Za-z0-9_-]{16,64}$"


class MonitorIn(BaseModel):
    """A monitor as the API and ``kpiwatch apply`` take it."""

    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=100)
    type: Literal["http", "tcp", "tls", "push"]
    url: str | None = Field(None, max_length=2000)
    host: str | None = Field(None, max_length=255)
    port: int | None = Field(None, ge=1, le=65535)
    push_token: str | None = Field(None, pattern=PUSH_TOKEN)
    method: Method = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(None, max_length=100_000)
    expected_status: list[int] = Field(default_factory=list, max_length=100)
    follow_redirects: bool = True
    keyword: str | None = Field(None, min_length=1, max_length=500)
    keyword_absent: bool = False
    json_path: str | None = Field(None, min_length=1, max_length=500)
    json_expected: str | None = Field(None, max_length=500)
    tls_days_min: int | None = Field(None, ge=0, le=3650)
    conditions: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Gatus-style conditions, all of which must hold: `[STATUS] == 200`.",
    )
    interval_s: float = Field(60.0, gt=0, le=86400)
    timeout_s: float = Field(10.0, gt=0, le=300)
    grace_s: float = Field(60.0, ge=0, le=86400)
    failures_before_down: int = Field(3, ge=1, le=100)
    successes_before_up: int = Field(1, ge=1, le=100)
    degraded_ms: int = Field(7000, ge=1)
    active: bool = True


def problems(body: MonitorIn, settings: WatchSettings) -> list[dict[str, Any]]:
    """What is wrong with a monitor beyond its fields' types, as ``{loc, msg, type}`` items."""
    errors: list[tuple[str, str]] = []
    needs_url = body.type == "http" or (body.type == "tls" and not body.host)
    if needs_url and not (body.url or "").startswith(("http://", "https://")):
        errors.append(("url", "an http:// or https:// URL is required"))
    if body.type == "tcp" and not body.host:
        errors.append(("host", "required for a tcp monitor"))
    if body.host and body.port is None:
        errors.append(("port", "required with host"))
    if body.interval_s < settings.min_interval_s:
        errors.append(("interval_s", f"must be at least {settings.min_interval_s} s"))
    for code in body.expected_status:
        if not 100 <= code <= 599:
            errors.append(("expected_status", f"{code} is not an HTTP status code"))
    if body.json_path is not None:
        try:
            jsonpath.parse(body.json_path)
        except jsonpath.PathError as exc:
            errors.append(("json_path", str(exc)))
    if body.json_expected is not None and body.json_path is None:
        errors.append(("json_expected", "needs json_path"))
    if body.type != "http" and (body.keyword or body.json_path):
        errors.append(("type", "keyword and JSON checks need an http monitor"))
    out = [{"loc": ["body", f], "msg": m, "type": "value_error"} for f, m in errors]
    return out + _condition_errors(body)


def _condition_errors(body: MonitorIn) -> list[dict[str, Any]]:
    if body.conditions and body.type != "http":
        return [_invalid(["body", "conditions"], "conditions need an http monitor")]
    out = []
    for index, text in enumerate(body.conditions):
        if len(text) > 500:
            out.append(_invalid(["body", "conditions", index], "longer than 500 characters"))
            continue
        try:
            conditions.parse(text)
        except conditions.ConditionError as exc:
            message = f"condition {index + 1} ({text.strip()}), {exc}"
            out.append(_invalid(["body", "conditions", index], message))
    return out


def _invalid(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def _values(body: MonitorIn) -> dict[str, Any]:
    values = body.model_dump()
    if body.type == "push":
        values["push_token"] = body.push_token or secrets.token_urlsafe(24)
    return values


async def _check_service(conn: AsyncConnection, tenant_id: int, service_id: str) -> None:
    found = await conn.execute(
        select(services.c.id).where(services.c.tenant_id == tenant_id, services.c.id == service_id)
    )
    if found.first() is None:
        raise InvalidInput.field(("body", "service_id"), f"no service {service_id!r}")


async def create(
    conn: AsyncConnection, caller: Caller, body: MonitorIn, settings: WatchSettings
) -> dict[str, Any]:
    if errors := problems(body, settings):
        raise InvalidInput(errors)
    await _check_service(conn, caller.tenant_id, body.service_id)
    values = _values(body)
    try:
        monitor_id = (
            await conn.execute(
                insert(monitors)
                .values(
                    tenant_id=caller.tenant_id,
                    created_at=caller.now,
                    updated_at=caller.now,
                    **values,
                )
                .returning(monitors.c.id)
            )
        ).scalar_one()
    except IntegrityError as exc:
        raise Conflict("that push token is taken") from exc
    await audit.record(conn, caller, "monitor.create", "monitor", monitor_id, _audited(values))
    return await get(conn, caller.tenant_id, monitor_id)


async def replace(
    conn: AsyncConnection,
    caller: Caller,
    monitor_id: int,
    body: MonitorIn,
    settings: WatchSettings,
) -> dict[str, Any]:
    before = await get(conn, caller.tenant_id, monitor_id)
    if errors := problems(body, settings):
        raise InvalidInput(errors)
    await _check_service(conn, caller.tenant_id, body.service_id)
    values = _values(body)
    if body.type == "push" and body.push_token is None and before["push_token"]:
        values["push_token"] = before["push_token"]
    await conn.execute(
        update(monitors).where(monitors.c.id == monitor_id).values(updated_at=caller.now, **values)
    )
    changes = {k: {"from": before[k], "to": v} for k, v in values.items() if before.get(k) != v}
    await audit.record(conn, caller, "monitor.update", "monitor", monitor_id, _audited(changes))
    return await get(conn, caller.tenant_id, monitor_id)


async def remove(conn: AsyncConnection, caller: Caller, monitor_id: int) -> None:
    before = await get(conn, caller.tenant_id, monitor_id)
    await conn.execute(delete(monitors).where(monitors.c.id == monitor_id))
    await audit.record(
        conn, caller, "monitor.delete", "monitor", monitor_id, {"name": before["name"]}
    )


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    # Header values and push tokens are credentials: the audit log only says they changed.
    shown = dict(values)
    for secret in ("headers", "push_token"):
        if secret in shown:
            shown[secret] = "(set)"
    return shown


_STATE_COLUMNS = (
    monitor_state.c.state,
    monitor_state.c.since,
    monitor_state.c.last_check_at,
    monitor_state.c.last_status,
    monitor_state.c.last_response_ms,
    monitor_state.c.last_error_type,
    monitor_state.c.last_error_message,
    monitor_state.c.last_push_at,
)


def _select() -> Any:
    return select(monitors, *_STATE_COLUMNS).outerjoin(
        monitor_state, monitor_state.c.monitor_id == monitors.c.id
    )


async def get(conn: AsyncConnection, tenant_id: int, monitor_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            _select().where(monitors.c.id == monitor_id, monitors.c.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"monitor {monitor_id} not found")
    return dict(row._mapping)


async def list_(
    conn: AsyncConnection, tenant_id: int, service_id: str | None = None
) -> list[dict[str, Any]]:
    query = _select().where(monitors.c.tenant_id == tenant_id)
    if service_id is not None:
        query = query.where(monitors.c.service_id == service_id)
    rows = await conn.execute(query.order_by(monitors.c.service_id, monitors.c.id))
    return [dict(r._mapping) for r in rows]


async def ping(conn: AsyncConnection, token: str, now: Any) -> int:
    """Record a push monitor's heartbeat; answers its id."""
    monitor_id = (
        await conn.execute(select(monitors.c.id).where(monitors.c.push_token == token))
    ).scalar_one_or_none()
    if monitor_id is None:
        raise NotFound("unknown push token")
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert_(monitor_state).values(monitor_id=monitor_id, last_push_at=now)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["monitor_id"], set_={"last_push_at": stmt.excluded.last_push_at}
        )
    )
    return int(monitor_id)
