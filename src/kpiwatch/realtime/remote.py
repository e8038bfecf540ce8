"""Events from a process without a Socket.IO server (``kpiwatch serve --role watch``).

``redis_bus(settings)`` gives an ``EventBus`` whose events go out through python-socketio's
Redis manager in write-only mode: published on ``KPIWATCH_REDIS_CHANNEL``, they reach the
clients of every ``api`` process listening on that channel, in the same tenant rooms as
events published inside an api process. Without ``KPIWATCH_REDIS_URL`` nothing can reach
a client: the bus drops its events and says so once at start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio

from kpiwatch.core.config import Settings
from kpiwatch.core.events import EventBus
from kpiwatch.realtime.server import JsonCodec

log = logging.getLogger(__name__)


@asynccontextmanager
async def redis_bus(settings: Settings) -> AsyncIterator[EventBus]:
    """An event bus that publishes to the api processes' clients through Redis."""
    bus = EventBus()
    if not settings.redis_url:
        log.warning(
            "KPIWATCH_REDIS_URL is not set: this watch process publishes no events; set it "
            "(and KPIWATCH_REDIS_CHANNEL) as for the api processes"
        )
        yield bus
        return
    manager = socketio.AsyncRedisManager(
        settings.redis_url, channel=settings.redis_channel, write_only=True, json=JsonCodec
    )

    async def forward(event: str, data: dict[str, Any], room: str | None) -> None:
        if room is None:
            log.warning("event %r published without a room: not sent to clients", event)
            return
        await manager.emit(event, data, room=room)

    bus.subscribe(forward)
    try:
        yield bus
    finally:
        if manager.redis is not None:
            await manager.redis.aclose()
