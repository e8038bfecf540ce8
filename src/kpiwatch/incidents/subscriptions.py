"""Status-page subscriptions: visitors get public incident updates by e-mail or webhook.

Double opt-in for both kinds: a request stores the subscriber unconfirmed and queues a
confirmation message (a mail with a link, or a signed ``subscription.confirm`` POST whose
``confirmUrl`` the receiver visits). Only confirmed subscribers receive incidents; every
message carries a one-click unsubscribe link, which deletes the subscriber.

Links carry ``<id>.<HMAC>`` tokens signed with the server's key: the confirmation token
covers ``requested_at`` (a new request makes older links stale; they also expire after
``subscribe_confirm_ttl_s``), the unsubscribe token ``created_at``. Nothing secret is
stored. The public endpoint answers the same whatever the address's state (no probing who
subscribed), is rate-limited per client address, and sends one confirmation per address
per ``subscribe_resend_s`` at most.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import InvalidInput, NotFound, RateLimited
from kpiwatch.incidents import outbox
from kpiwatch.incidents.channels import SECRET_PREFIX, check_email, check_url, mask_url
from kpiwatch.incidents.notify_models import notify_subscribers, subscription_requests
from kpiwatch.incidents.targets import refused_literal
from kpiwatch.status.uptime import iso

s = notify_subscribers.c
CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
ACCEPTED = (
    "Almost done: confirm the subscription with the link we just sent. "
    "Nothing is sent until it is confirmed."
)


class SubscriptionIn(BaseModel):
    """Exactly one of ``email`` and ``webhook``."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    webhook: str | None = Field(None, max_length=2000)

    _check_email = field_validator("email")(lambda v: None if v is None else check_email(v))
    _check_webhook = field_validator("webhook")(
        lambda v: None if v is None else check_url(v.strip())
    )

    @model_validator(mode="after")
    def _one(self) -> SubscriptionIn:
        if (self.email is None) == (self.webhook is None):
            raise ValueError("send either email or webhook")
        return self


def mask_address(kind: str, address: str) -> str:
    if kind == "webhook":
        return mask_url(address)
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _stamp(at: datetime) -> str:
    return str(int(at.timestamp() * 1_000_000))


def token(key: str, purpose: str, subscriber_id: int, at: datetime) -> str:
    message = f"subscription:{purpose}:{subscriber_id}:{_stamp(at)}".encode()
    return f"{subscriber_id}.{hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:40]}"


def links(key: str, base_url: str, row: Any) -> dict[str, str]:
    """The subscriber's confirmation and unsubscribe URLs."""
    confirm = token(key, CONFIRM, row.id, row.requested_at)
    leave = token(key, UNSUBSCRIBE, row.id, row.created_at)
    return {
        "confirmUrl": f"{base_url}/subscriptions/confirm?token={confirm}",
        "unsubscribeUrl": f"{base_url}/subscriptions/unsubscribe?token={leave}",
    }


async def _limit(conn: AsyncConnection, settings: Settings, ip: str, now: datetime) -> None:
    since = now - timedelta(seconds=settings.subscribe_window_s)
    await conn.execute(delete(subscription_requests).where(subscription_requests.c.at <= since))
    recent = list(
        (
            await conn.execute(
                select(subscription_requests.c.at)
                .where(subscription_requests.c.ip == ip, subscription_requests.c.at > since)
                .order_by(subscription_requests.c.at)
            )
        ).scalars()
    )
    if len(recent) >= settings.subscribe_max_per_ip:
        free_at = recent[-settings.subscribe_max_per_ip] + timedelta(
            seconds=settings.subscribe_window_s
        )
        wait = max(1, int((free_at - now).total_seconds() + 0.999))
        raise RateLimited("too many subscription requests; try again later", wait)
    await conn.execute(insert(subscription_requests).values(ip=ip, at=now))


def _anonymous(caller: Caller, tenant_id: int, tenant_slug: str) -> Caller:
    return Caller(tenant_id, tenant_slug, caller.now, ip=caller.ip)


async def subscribe(
    conn: AsyncConnection, caller: Caller, settings: Settings, body: SubscriptionIn
) -> dict[str, Any]:
    """Record a subscription request and queue its confirmation (see the module doc)."""
    kind = "email" if body.email is not None else "webhook"
    address = body.email if body.email is not None else body.webhook
    assert address is not None
    if kind == "email" and not settings.smtp_host:
        raise InvalidInput.field(
            ("body", "email"), "e-mail subscriptions are not available on this server"
        )
    if kind == "webhook" and not settings.notify_allow_private_targets:
        refused = refused_literal(address)
        if refused:
            raise InvalidInput.field(("body", "webhook"), refused)
    await _limit(conn, settings, caller.ip or "unknown", caller.now)
    key = address.lower() if kind == "email" else address
    row = (
        await conn.execute(
            select(notify_subscribers).where(
                s.tenant_id == caller.tenant_id, s.kind == kind, s.address_key == key
            )
        )
    ).first()
    resend = timedelta(seconds=settings.subscribe_resend_s)
    if row is None:
        result = await conn.execute(
            insert(notify_subscribers)
            .values(
                tenant_id=caller.tenant_id,
                kind=kind,
                address=address,
                address_key=key,
                secret=SECRET_PREFIX + secrets.token_urlsafe(32) if kind == "webhook" else None,
                created_at=caller.now,
                requested_at=caller.now,
            )
            .returning(s.id)
        )
        subscriber_id = int(result.scalar_one())
    elif row.confirmed_at is None and caller.now - row.requested_at >= resend:
        subscriber_id = row.id
        await conn.execute(
            update(notify_subscribers).where(s.id == row.id).values(requested_at=caller.now)
        )
    else:
        return {"status": "pending", "message": ACCEPTED}
    await outbox.enqueue_to_subscriber(
        conn,
        caller.tenant_id,
        subscriber_id,
        kind,
        "subscription.confirm",
        {"tenant": caller.tenant_slug},
        caller.now,
    )
    detail = {"kind": kind, "address": mask_address(kind, address)}
    await audit.record(
        conn, caller, "subscription.request", "notify_subscriber", subscriber_id, detail
    )
    return {"status": "pending", "message": ACCEPTED}


async def _by_token(conn: AsyncConnection, value: str) -> Any:
    """The subscriber a token names (its signature is checked by the caller), or None."""
    subscriber_id, _, signature = value.partition(".")
    if not subscriber_id.isdigit() or not signature:
        raise NotFound("this link is not valid")
    return (
        await conn.execute(select(notify_subscribers).where(s.id == int(subscriber_id)))
    ).first()


def _valid(key: str, purpose: str, row: Any, value: str, at: datetime) -> bool:
    return hmac.compare_digest(token(key, purpose, row.id, at), value)


async def confirm(
    conn: AsyncConnection, key: str, settings: Settings, value: str, caller: Caller
) -> dict[str, Any]:
    """Confirm the subscription a confirmation link names; answers it."""
    row = await _by_token(conn, value)
    if row is None or not _valid(key, CONFIRM, row, value, row.requested_at):
        raise NotFound("this confirmation link is not valid (or was replaced by a newer one)")
    if row.confirmed_at is None:
        ttl = timedelta(seconds=settings.subscribe_confirm_ttl_s)
        if caller.now - row.requested_at > ttl:
            raise NotFound("this confirmation link has expired; subscribe again")
        await conn.execute(
            update(notify_subscribers).where(s.id == row.id).values(confirmed_at=caller.now)
        )
        detail = {"kind": row.kind, "address": mask_address(row.kind, row.address)}
        await audit.record(
            conn,
            _anonymous(caller, row.tenant_id, ""),
            "subscription.confirm",
            "notify_subscriber",
            row.id,
            detail,
        )
    return {"tenant_id": row.tenant_id, "kind": row.kind, "address": row.address}


async def unsubscribe(
    conn: AsyncConnection, key: str, value: str, caller: Caller
) -> dict[str, Any] | None:
    """Delete the subscriber an unsubscribe link names; None when it is gone already."""
    row = await _by_token(conn, value)
    if row is None:
        return None
    if not _valid(key, UNSUBSCRIBE, row, value, row.created_at):
        raise NotFound("this unsubscribe link is not valid")
    await conn.execute(delete(notify_subscribers).where(s.id == row.id))
    detail = {"kind": row.kind, "address": mask_address(row.kind, row.address)}
    await audit.record(
        conn,
        _anonymous(caller, row.tenant_id, ""),
        "subscription.unsubscribe",
        "notify_subscriber",
        row.id,
        detail,
    )
    return {"tenant_id": row.tenant_id, "kind": row.kind, "address": row.address}


def _render(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "address": row.address,
        "status": "confirmed" if row.confirmed_at else "pending",
        "created_at": iso(row.created_at),
        "confirmed_at": iso(row.confirmed_at),
    }


async def list_subscribers(
    conn: AsyncConnection, tenant_id: int, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    total = (
        await conn.execute(
            select(func.count()).select_from(notify_subscribers).where(s.tenant_id == tenant_id)
        )
    ).scalar_one()
    rows = await conn.execute(
        select(notify_subscribers)
        .where(s.tenant_id == tenant_id)
        .order_by(s.id)
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [_render(row) for row in rows], int(total)


async def remove_subscriber(conn: AsyncConnection, caller: Caller, subscriber_id: int) -> None:
    """An admin removes a subscriber (for instance on request by mail)."""
    row = (
        await conn.execute(
            select(notify_subscribers).where(s.tenant_id == caller.tenant_id, s.id == subscriber_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"subscriber {subscriber_id} not found")
    await conn.execute(delete(notify_subscribers).where(s.id == row.id))
    detail = {"kind": row.kind, "address": mask_address(row.kind, row.address)}
    await audit.record(
        conn, caller, "subscription.remove", "notify_subscriber", subscriber_id, detail
    )
