"""The notification outbox: queue in the change's transaction, claim, finish, retry.

- ``enqueue`` runs inside the transaction that changes an incident: the message and one
  delivery per active channel that wants the event commit (or roll back) with the change.
- ``expand`` turns a message's ``fanout`` flag into one delivery per confirmed subscriber.
- ``claim`` hands due deliveries to one worker: a single ``UPDATE … WHERE id IN (SELECT …
  FOR UPDATE SKIP LOCKED)`` on PostgreSQL (concurrent workers skip each other's rows),
  the same statement under SQLite's single writer. The claim is a random token plus a
  lease; ``finish`` only counts when the token still matches (a rowcount check), so a
  worker whose lease ran out and was re-claimed elsewhere cannot overwrite the outcome.
- A failed attempt is retried after ``backoff_s × 2^(attempts−1)`` (capped) until
  ``max_attempts``, then the delivery is ``failed``. A delivery whose channel or subscriber
  went away is ``cancelled``.

Delivery is at least once: a worker that dies after sending but before ``finish`` leaves
the row to be claimed again when its lease ends. Receivers deduplicate on the delivery id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database, UTCDateTime
from kpiwatch.incidents.notify_models import (
    DELIVERY_STATUSES,
    notify_attempts,
    notify_channels,
    notify_deliveries,
    notify_messages,
    notify_subscribers,
)
from kpiwatch.status.uptime import iso

d = notify_deliveries.c


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: ``ok``, else the error (and whether retrying can help)."""

    ok: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Retry:
    max_attempts: int
    backoff_s: float
    backoff_max_s: float

    def wait(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_s * 2 ** (attempts - 1), self.backoff_max_s))


async def enqueue(
    conn: AsyncConnection,
    caller: Caller,
    event: str,
    incident: dict[str, Any],
    update_made: dict[str, Any] | None,
) -> int:
    """Queue ``event`` about ``incident`` for every channel that wants it and, through
    ``expand``, every confirmed subscriber. Answers the message id."""
    subscribed = (
        await conn.execute(
            select(
                exists().where(
                    notify_subscribers.c.tenant_id == caller.tenant_id,
                    notify_subscribers.c.confirmed_at.isnot(None),
                )
            )
        )
    ).scalar_one()
    payload = {"tenant": caller.tenant_slug, "incident": incident, "update": update_made}
    message_id = await _message(
        conn, caller.tenant_id, incident["id"], event, payload, caller.now, bool(subscribed)
    )
    channels = await conn.execute(
        select(
            notify_channels.c.id,
            notify_channels.c.name,
            notify_channels.c.kind,
            notify_channels.c.events,
        )
        .where(notify_channels.c.tenant_id == caller.tenant_id, notify_channels.c.active.is_(True))
        .order_by(notify_channels.c.id)
    )
    rows = [
        _delivery(caller.tenant_id, message_id, incident["id"], caller.now, "channel", kind, name)
        | {"channel_id": channel_id}
        for channel_id, name, kind, events in channels
        if event in events
    ]
    if rows:
        await conn.execute(insert(notify_deliveries), rows)
    return message_id


async def enqueue_to_subscriber(
    conn: AsyncConnection,
    tenant_id: int,
    subscriber_id: int,
    kind: str,
    event: str,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    """Queue a message for one subscriber (its confirmation request)."""
    message_id = await _message(conn, tenant_id, None, event, payload, now, False)
    row = _delivery(tenant_id, message_id, None, now, "subscriber", kind, f"{kind} subscriber")
    await conn.execute(insert(notify_deliveries).values(**row, subscriber_id=subscriber_id))
    return message_id


async def _message(
    conn: AsyncConnection,
    tenant_id: int,
    incident_id: str | None,
    event: str,
    payload: dict[str, Any],
    now: datetime,
    fanout: bool,
) -> int:
    result = await conn.execute(
        insert(notify_messages)
        .values(
            tenant_id=tenant_id,
            incident_id=incident_id,
            event=event,
            payload=payload,
            created_at=now,
            fanout=fanout,
        )
        .returning(notify_messages.c.id)
    )
    return int(result.scalar_one())


def _delivery(
    tenant_id: int,
    message_id: int,
    incident_id: str | None,
    now: datetime,
    audience: str,
    kind: str,
    label: str,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "message_id": message_id,
        "incident_id": incident_id,
        "audience": audience,
        "kind": kind,
        "label": label,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


_FANOUT_COLUMNS = (
    "tenant_id message_id incident_id audience kind label status attempts "
    "next_attempt_at created_at subscriber_id"
).split()


async def expand(db: Database, now: datetime, limit: int = 20) -> int:
    """Give up to ``limit`` messages awaiting fan-out a delivery per confirmed subscriber,
    in one transaction per batch; answers how many messages were expanded."""
    m, s = notify_messages.c, notify_subscribers.c
    waiting = select(m.id).where(m.fanout.is_(True)).order_by(m.id).limit(limit)
    async with db.write() as conn:
        taken = await conn.execute(
            update(notify_messages)
            .where(m.id.in_(waiting.with_for_update(skip_locked=True)))
            .values(fanout=False)
            .returning(m.id, m.tenant_id, m.incident_id)
        )
        messages = list(taken)
        for message_id, tenant_id, incident_id in messages:
            source = select(
                literal(tenant_id),
                literal(message_id),
                literal(incident_id, String(50)),
                literal("subscriber"),
                s.kind,
                s.kind.concat(" subscriber"),
                literal("pending"),
                literal(0),
                literal(now, UTCDateTime()),
                literal(now, UTCDateTime()),
                s.id,
            ).where(s.tenant_id == tenant_id, s.confirmed_at.isnot(None))
            await conn.execute(insert(notify_deliveries).from_select(_FANOUT_COLUMNS, source))
    return len(messages)


def _due(now: datetime) -> Any:
    return and_(
        d.status == "pending",
        d.next_attempt_at <= now,
        or_(d.lease_until.is_(None), d.lease_until <= now),
    )


async def has_work(db: Database, now: datetime) -> bool:
    """Whether a fan-out or a delivery is due: one read, so an idle worker's polls never
    take the write lock (SQLite's is the whole database's)."""
    async with db.read() as conn:
        query = select(
            exists().where(notify_messages.c.fanout.is_(True)) | exists().where(_due(now))
        )
        return bool((await conn.execute(query)).scalar_one())


async def claim(db: Database, now: datetime, lease_s: float, limit: int) -> tuple[str, list[Any]]:
    """Claim up to ``limit`` due deliveries; answers the claim token and the rows."""
    token = secrets.token_hex(16)
    due = (
        select(d.id)
        .where(_due(now))
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.write() as conn:
        rows = await conn.execute(
            update(notify_deliveries)
            .where(d.id.in_(due))
            .values(claim=token, lease_until=now + timedelta(seconds=lease_s))
            .returning(*notify_deliveries.c)
        )
        return token, sorted(rows, key=lambda r: r.id)


async def finish(
    db: Database, delivery: Any, token: str, outcome: Outcome, now: datetime, retry: Retry
) -> str | None:
    """Record an attempt and its consequence; answers the new status, or None when the
    claim was lost (another worker owns the delivery now)."""
    attempts = delivery.attempts + 1
    if outcome.ok:
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": outcome.error}
    elif outcome.permanent or attempts >= retry.max_attempts:
        values = {"status": "failed", "last_error": outcome.error}
    else:
        values = {"last_error": outcome.error, "next_attempt_at": now + retry.wait(attempts)}
    async with db.write() as conn:
        result = await conn.execute(
            update(notify_deliveries)
            .where(d.id == delivery.id, d.claim == token)
            .values(**values, attempts=attempts, claim=None, lease_until=None)
        )
        if result.rowcount != 1:
            return None
        await conn.execute(
            insert(notify_attempts).values(
                delivery_id=delivery.id,
                at=now,
                ok=outcome.ok,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
    return str(values.get("status", "pending"))


async def cancel(db: Database, delivery: Any, token: str, reason: str) -> None:
    """End a delivery that has nobody to go to any more (no attempt is recorded)."""
    async with db.write() as conn:
        await conn.execute(
            update(notify_deliveries)
            .where(d.id == delivery.id, d.claim == token)
            .values(status="cancelled", last_error=reason, claim=None, lease_until=None)
        )


def _render(row: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "channel": None if row.channel_id is None else {"id": row.channel_id},
        "kind": row.kind,
        "label": row.label,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": iso(row.created_at),
        "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
        "sent_at": iso(row.sent_at),
        "history": history,
    }


async def incident_deliveries(
    conn: AsyncConnection, tenant_id: int, incident_id: str
) -> dict[str, Any]:
    """Channel deliveries of an incident with their attempts, and subscriber counts."""
    where = and_(d.tenant_id == tenant_id, d.incident_id == incident_id)
    rows = list(
        await conn.execute(
            select(notify_deliveries, notify_messages.c.event)
            .join(notify_messages, notify_messages.c.id == d.message_id)
            .where(where, d.audience == "channel")
            .order_by(d.id)
        )
    )
    history: dict[int, list[dict[str, Any]]] = {row.id: [] for row in rows}
    if rows:
        a = notify_attempts.c
        for attempt in await conn.execute(
            select(notify_attempts).where(a.delivery_id.in_(history)).order_by(a.id)
        ):
            history[attempt.delivery_id].append(
                {
                    "at": iso(attempt.at),
                    "ok": attempt.ok,
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "duration_ms": attempt.duration_ms,
                }
            )
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    for status, count in await conn.execute(
        select(d.status, func.count()).where(where, d.audience == "subscriber").group_by(d.status)
    ):
        counts[status] = int(count)
    return {
        "deliveries": [_render(row, history[row.id]) for row in rows],
        "subscribers": counts,
    }
