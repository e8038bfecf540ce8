"""The delivery worker: claims due outbox rows, sends them, records each attempt.

It runs as an asyncio task in the app (``delivering``, when ``KPIWATCH_NOTIFY_WORKER`` is
on) or alone (``kpiwatch serve --role notify``); any number of them may run against one
database, because ``outbox.claim`` gives each row to one worker. The app's own changes
wake its worker at once (the incident events on the bus); changes made by other
processes are found within ``notify_poll_s``.

Webhooks are signed: ``X-Kpiwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body>``
with the channel's (or subscriber's) secret, and ``X-Kpiwatch-Timestamp`` (Unix seconds)
equal to the body's ``timestamp``; ``X-Kpiwatch-Delivery`` is the id to deduplicate on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import Database
from kpiwatch.core.models import tenants
from kpiwatch.core.secrets import signing_key
from kpiwatch.incidents import messages, outbox, subscriptions
from kpiwatch.incidents.channels import mask_url
from kpiwatch.incidents.notify_models import notify_channels, notify_messages, notify_subscribers
from kpiwatch.incidents.transports import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Transports,
    signature,
)

log = logging.getLogger(__name__)


def base_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


@dataclass
class Batch:
    """The rows a batch of deliveries refers to, read in one query per table."""

    messages: dict[int, Any]
    channels: dict[int, Any]
    subscribers: dict[int, Any]
    tenants: dict[int, Any]


async def _by_id(db: Database, table: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    async with db.read() as conn:
        return {row.id: row for row in await conn.execute(select(table).where(table.c.id.in_(ids)))}


class Deliverer:
    """One worker. ``run_once`` does one round; ``run`` repeats it until stopped."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, key: str) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.key = key
        self.retry = outbox.Retry(
            settings.notify_max_attempts, settings.notify_backoff_s, settings.notify_backoff_max_s
        )
        self.transports = Transports(settings)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def on_event(self, event: str, _data: dict[str, Any], _room: str | None) -> None:
        """Event-bus subscriber: an incident changed, so the outbox has new rows."""
        if event in ("incident-created", "incident-updated"):
            self._wake.set()

    async def run_once(self) -> int:
        """Expand subscriber fan-outs, then claim and send one batch; answers its size."""
        now = self.clock.now()
        if not await outbox.has_work(self.db, now):
            return 0
        while await outbox.expand(self.db, now):
            pass
        token, rows = await outbox.claim(
            self.db, now, self.settings.notify_lease_s, self.settings.notify_batch
        )
        if not rows:
            return 0
        batch = Batch(
            await _by_id(self.db, notify_messages, {r.message_id for r in rows}),
            await _by_id(self.db, notify_channels, {r.channel_id for r in rows} - {None}),
            await _by_id(self.db, notify_subscribers, {r.subscriber_id for r in rows} - {None}),
            await _by_id(self.db, tenants, {r.tenant_id for r in rows}),
        )
        await asyncio.gather(*(self._deliver(row, token, batch) for row in rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set: a full batch goes on at once, else wait for a
        wake-up or ``notify_poll_s``."""
        while not stop.is_set():
            self._wake.clear()
            try:
                if await self.run_once() >= self.settings.notify_batch:
                    continue
            except Exception:
                log.exception("notification round failed")
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            _done, pending = await asyncio.wait(
                waits, timeout=self.settings.notify_poll_s, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    def _context(self, row: Any, batch: Batch, subscriber: Any) -> messages.Context:
        message, tenant = batch.messages[row.message_id], batch.tenants[row.tenant_id]
        base = base_url(self.settings)
        return messages.Context(
            event=message.event,
            delivery_id=row.id,
            tenant_slug=tenant.slug,
            tenant_name=tenant.name,
            zone=ZoneInfo(tenant.timezone),
            base_url=base,
            now=self.clock.now(),
            subscriber=subscriber is not None,
            links={} if subscriber is None else subscriptions.links(self.key, base, subscriber),
        )

    async def _deliver(self, row: Any, token: str, batch: Batch) -> None:
        try:
            outcome = await self._send(row, token, batch)
        except Exception as exc:  # a bug must not leave the row claimed until its lease ends
            log.exception("notification %d could not be sent", row.id)
            outcome = outbox.Outcome(False, 0, error=f"internal error: {type(exc).__name__}")
        if outcome is None:
            return
        status = await outbox.finish(self.db, row, token, outcome, self.clock.now(), self.retry)
        fields = {"delivery": row.id, "to": row.label, "status": status, "error": outcome.error}
        if status is None:
            log.warning("notification %d was claimed by another worker meanwhile", row.id)
        elif not outcome.ok:
            log.warning("notification %d to %s failed", row.id, row.label, extra={"fields": fields})

    async def _send(self, row: Any, token: str, batch: Batch) -> outbox.Outcome | None:
        """Send one delivery; None when it was cancelled instead."""
        payload = batch.messages[row.message_id].payload
        if row.audience == "channel":
            channel = batch.channels.get(row.channel_id)
            if channel is None or not channel.active:
                await outbox.cancel(self.db, row, token, "the channel was deleted or disabled")
                return None
            ctx = self._context(row, batch, None)
            return await self._to_channel(channel, ctx, payload)
        subscriber = batch.subscribers.get(row.subscriber_id)
        message = batch.messages[row.message_id]
        if subscriber is None or (
            message.event != "subscription.confirm" and subscriber.confirmed_at is None
        ):
            await outbox.cancel(self.db, row, token, "the subscriber unsubscribed")
            return None
        ctx = self._context(row, batch, subscriber)
        if subscriber.kind == "email":
            mail = messages.email(ctx, payload, self.settings.smtp_from, [subscriber.address])
            return await self.transports.mail(mail)
        body = messages.webhook_body(ctx, payload)
        if message.event == "subscription.confirm":
            body["secret"] = subscriber.secret
        public_only = not self.settings.notify_allow_private_targets
        return await self._post(subscriber.address, body, ctx, subscriber.secret, public_only)

    async def _to_channel(
        self, channel: Any, ctx: messages.Context, payload: dict[str, Any]
    ) -> outbox.Outcome:
        if channel.kind == "email":
            mail = messages.email(ctx, payload, self.settings.smtp_from, list(channel.config["to"]))
            return await self.transports.mail(mail)
        if channel.kind == "slack":
            body = json.dumps(messages.slack_body(ctx, payload), ensure_ascii=False).encode()
            hidden = {channel.secret: mask_url(channel.secret)}
            return await self.transports.post(
                channel.secret, body, {}, public_only=False, hidden=hidden
            )
        body_dict = messages.webhook_body(ctx, payload)
        return await self._post(channel.config["url"], body_dict, ctx, channel.secret, False)

    async def _post(
        self,
        url: str,
        body_dict: dict[str, Any],
        ctx: messages.Context,
        secret: str,
        public_only: bool,
    ) -> outbox.Outcome:
        body = json.dumps(body_dict, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            SIGNATURE_HEADER: signature(secret, body),
            TIMESTAMP_HEADER: str(int(ctx.now.timestamp())),
            "X-Kpiwatch-Event": ctx.event,
            "X-Kpiwatch-Delivery": str(ctx.delivery_id),
        }
        return await self.transports.post(
            url, body, headers, public_only=public_only, hidden={secret: "…"}
        )

    async def close(self) -> None:
        await self.transports.close()


def wake(app: Any) -> None:
    """Let ``app``'s worker send what was just queued without waiting for its next poll."""
    notifier: Deliverer | None = getattr(app.state, "notifier", None)
    if notifier is not None:
        notifier.wake()


@asynccontextmanager
async def delivering(app: Any, enabled: bool) -> AsyncIterator[Deliverer]:
    """The app's worker (``app.state.notifier``), running for the block when ``enabled``."""
    state = app.state
    deliverer = Deliverer(state.db, state.settings, state.clock, state.secret_key)
    state.notifier = deliverer
    state.events.subscribe(deliverer.on_event)
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run(stop)) if enabled else None
    try:
        yield deliverer
    finally:
        stop.set()
        if task is not None:
            await task
        await deliverer.close()


async def run_forever(db: Database, settings: Settings, clock: Clock) -> None:
    """``kpiwatch serve --role notify``: one worker alone, until cancelled."""
    deliverer = Deliverer(db, settings, clock, await signing_key(db, settings))
    try:
        await deliverer.run(asyncio.Event())
    finally:
        await deliverer.close()
