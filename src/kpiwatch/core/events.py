"""The in-process event bus: slices publish what happened, subscribers pass it on.

A slice calls ``await bus.publish("status-update", {...}, room="system-status")`` and does
not know who listens; the realtime slice subscribes and emits the event to Socket.IO
clients in that room (fanned out through Redis across processes when configured). A
failing subscriber is logged and never breaks the publisher.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[str, dict[str, Any], str | None], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, event: str, data: dict[str, Any], room: str | None = None) -> None:
        """Hand ``event`` to every subscriber; ``room`` names who should receive it."""
        for subscriber in self._subscribers:
            try:
                await subscriber(event, data, room)
            except Exception:
                log.exception("event subscriber failed", extra={"fields": {"event": event}})
