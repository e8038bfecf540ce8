"""Notification channels a tenant's admins configure: webhook, Slack, e-mail.

A webhook signs each body with its secret (generated unless given); the secret is shown
once, when it is made, and afterwards only as a hint (``…a1b2``). A Slack incoming-webhook
URL carries its token, so it is the secret of a Slack channel and is shown masked
(``https://hooks.slack.com/…a1b2``). The audit log records every change without them.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.incidents.notify_models import notify_channels
from kpiwatch.status.uptime import iso

Kind = Literal["webhook", "slack", "email"]
Event = Literal["incident.created", "incident.updated", "incident.resolved"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]
EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")
SECRET_PREFIX = "whsec_"
ALL_EVENTS: tuple[Event, ...] = ("incident.created", "incident.updated", "incident.resolved")


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host, else a ValueError naming what is wrong."""
    if not value.isascii():  # as browsers send them; it also keeps the unique index small
        raise ValueError("must be ASCII: percent-encode other characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    return value


def check_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _urls(value: str | None) -> str | None:
    return None if value is None else check_url(value)


def _emails(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(check_email(v) for v in value))


class ChannelIn(BaseModel):
    """A new channel: ``url`` for webhook and Slack, ``to`` for e-mail."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Kind
    url: Url | None = None
    to: Annotated[list[str], Field(min_length=1, max_length=50)] | None = None
    secret: Secret | None = Field(None, description="Webhook signing key; generated when omitted.")
    events: Annotated[list[Event], Field(min_length=1)] = Field(
        default_factory=lambda: list(ALL_EVENTS)
    )
    active: bool = True

    _check_url = field_validator("url")(_urls)
    _check_to = field_validator("to")(_emails)


class ChannelPatch(BaseModel):
    """Changed fields of a channel; ``rotate_secret`` makes a new webhook signing key."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    url: Url | None = None
    to: Annotated[list[str], Field(min_length=1, max_length=50)] | None = None
    events: Annotated[list[Event], Field(min_length=1)] | None = None
    active: bool | None = None
    rotate_secret: bool = False

    _check_url = field_validator("url")(_urls)
    _check_to = field_validator("to")(_emails)


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…{url[-4:]}"


def render(row: Any) -> dict[str, Any]:
    """A channel as the API shows it: secrets only as hints."""
    out: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "events": list(row.events),
        "active": bool(row.active),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
    if row.kind == "webhook":
        out.update(url=row.config["url"], secret_hint=f"…{row.secret[-4:]}")
    elif row.kind == "slack":
        out["url_hint"] = mask_url(row.secret)
    else:
        out["to"] = list(row.config["to"])
    return out


def _audited(channel: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in channel.items() if k not in ("id", "created_at", "updated_at")}


KIND_WORDS = {"webhook": "a webhook", "slack": "a Slack", "email": "an e-mail"}


def _needs(kind: str, field: str, value: object) -> None:
    if value is None:
        raise InvalidInput.field(("body", field), f"{KIND_WORDS[kind]} channel needs {field}")


def _refuses(kind: str, field: str, value: object) -> None:
    if value is not None:
        raise InvalidInput.field(("body", field), f"{KIND_WORDS[kind]} channel has no {field}")


def _settings(kind: str, url: str | None, to: list[str] | None) -> dict[str, Any]:
    """The public ``config`` of a channel of ``kind``, checking which fields it takes."""
    if kind == "email":
        _needs(kind, "to", to)
        _refuses(kind, "url", url)
        return {"to": to}
    _needs(kind, "url", url)
    _refuses(kind, "to", to)
    return {"url": url} if kind == "webhook" else {}


async def _row(conn: AsyncConnection, tenant_id: int, channel_id: int) -> Any:
    row = (
        await conn.execute(
            select(notify_channels).where(
                notify_channels.c.tenant_id == tenant_id, notify_channels.c.id == channel_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"notification channel {channel_id} not found")
    return row


async def list_channels(conn: AsyncConnection, tenant_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(notify_channels)
        .where(notify_channels.c.tenant_id == tenant_id)
        .order_by(notify_channels.c.name)
    )
    return [render(row) for row in rows]


async def get_channel(conn: AsyncConnection, tenant_id: int, channel_id: int) -> dict[str, Any]:
    return render(await _row(conn, tenant_id, channel_id))


async def _check_name(
    conn: AsyncConnection, tenant_id: int, name: str, channel_id: int | None
) -> None:
    """409 when another channel of the tenant has ``name`` (the unique key backs it up)."""
    c = notify_channels.c
    found = (
        await conn.execute(select(c.id).where(c.tenant_id == tenant_id, c.name == name))
    ).scalar_one_or_none()
    if found is not None and found != channel_id:
        raise Conflict(f"a notification channel named {name!r} exists already")


async def create_channel(
    conn: AsyncConnection, caller: Caller, body: ChannelIn
) -> tuple[dict[str, Any], str | None]:
    """Add a channel; answers it and, for a webhook, its signing secret (shown once)."""
    config = _settings(body.kind, body.url, body.to)
    if body.kind == "webhook":
        secret: str | None = body.secret or SECRET_PREFIX + secrets.token_urlsafe(32)
    else:
        _refuses(body.kind, "secret", body.secret)
        secret = body.url if body.kind == "slack" else None
    await _check_name(conn, caller.tenant_id, body.name, None)
    result = await conn.execute(
        insert(notify_channels)
        .values(
            tenant_id=caller.tenant_id,
            name=body.name,
            kind=body.kind,
            config=config,
            secret=secret,
            events=list(dict.fromkeys(body.events)),
            active=body.active,
            created_at=caller.now,
            updated_at=caller.now,
        )
        .returning(notify_channels.c.id)
    )
    channel_id = int(result.scalar_one())
    channel = await get_channel(conn, caller.tenant_id, channel_id)
    await audit.record(
        conn, caller, "notify.channel.create", "notify_channel", channel_id, _audited(channel)
    )
    return channel, secret if body.kind == "webhook" else None


async def edit_channel(
    conn: AsyncConnection, caller: Caller, channel_id: int, body: ChannelPatch
) -> tuple[dict[str, Any], str | None]:
    """Change a channel; answers it and the new webhook secret when one was made."""
    row = await _row(conn, caller.tenant_id, channel_id)
    before = render(row)
    values: dict[str, Any] = {}
    if body.url is not None or body.to is not None:
        config = _settings(
            row.kind,
            body.url if body.url is not None else row.config.get("url", row.secret),
            body.to if body.to is not None else row.config.get("to"),
        )
        values["config"] = config
        if row.kind == "slack":
            values["secret"] = body.url or row.secret
    for field in ("name", "active"):
        if getattr(body, field) is not None:
            values[field] = getattr(body, field)
    if body.events is not None:
        values["events"] = list(dict.fromkeys(body.events))
    secret = None
    if body.rotate_secret:
        if row.kind != "webhook":
            raise InvalidInput.field(("body", "rotate_secret"), "only a webhook has a secret")
        secret = values["secret"] = SECRET_PREFIX + secrets.token_urlsafe(32)
    if body.name is not None:
        await _check_name(conn, caller.tenant_id, body.name, row.id)
    if values:
        await conn.execute(
            update(notify_channels)
            .where(notify_channels.c.id == row.id)
            .values(**values, updated_at=caller.now)
        )
    after = await get_channel(conn, caller.tenant_id, channel_id)
    changed: dict[str, Any] = {
        k: {"from": before.get(k), "to": v}
        for k, v in _audited(after).items()
        if before.get(k) != v
    }
    if body.rotate_secret:
        changed["secret"] = "rotated"
    if changed:
        await audit.record(
            conn, caller, "notify.channel.update", "notify_channel", channel_id, changed
        )
    return after, secret


async def delete_channel(conn: AsyncConnection, caller: Caller, channel_id: int) -> None:
    """Delete a channel; its past deliveries stay on their incidents."""
    channel = render(await _row(conn, caller.tenant_id, channel_id))
    await conn.execute(delete(notify_channels).where(notify_channels.c.id == channel_id))
    await audit.record(
        conn, caller, "notify.channel.delete", "notify_channel", channel_id, _audited(channel)
    )


async def channel_target(conn: AsyncConnection, channel_id: int) -> Any:
    """The channel a worker sends to (with its secret), or None when it is gone."""
    return (
        await conn.execute(select(notify_channels).where(notify_channels.c.id == channel_id))
    ).first()
