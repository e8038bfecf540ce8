"""Events clients send besides ``join-room``/``leave-room``, and hooks on joining and leaving.

A slice declares, at import time of its module (as it declares its rooms)::

    from kpiwatch.realtime.client_events import declare_event, on_rooms

    declare_event("incident-editing", handle_editing)   # async (peer, data) -> ack or None
    on_rooms("incident:", presence_changed)              # async (peer, room, joined) -> None

A handler gets the ``Peer`` that sent the event: its caller (with the current time), the
rooms it is in, and ways to answer it alone or to tell the others in a room. What the
handler returns is the acknowledgement. A room hook runs after a client joined or left a
room starting with its prefix, and for each of its rooms when it disconnects. A failing
handler or hook is logged; the client gets ``{ok: false, error: "internal error"}``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kpiwatch.core.context import Caller
from kpiwatch.realtime.rooms import room_key

log = logging.getLogger(__name__)


@dataclass
class Peer:
    """One connected client, as handlers see it. ``state`` lives as long as the connection."""

    sid: str
    caller: Caller
    sio: Any
    app: Any
    state: dict[str, Any] = field(default_factory=dict)

    def now(self) -> Caller:
        """The caller with the app clock's current time (``caller.now`` is the connect time)."""
        return dataclasses.replace(self.caller, now=self.app.state.clock.now())

    def rooms(self) -> list[str]:
        """The rooms (as the client names them) this client is in."""
        prefix = room_key(self.caller.tenant_id, "")
        return [r.removeprefix(prefix) for r in self.sio.rooms(self.sid) if r.startswith(prefix)]

    async def send(self, event: str, data: dict[str, Any]) -> None:
        """Emit ``event`` to this client only."""
        await self.sio.emit(event, data, to=self.sid)

    async def broadcast(self, room: str, event: str, data: dict[str, Any]) -> None:
        """Emit ``event`` to the other clients in ``room`` of this client's tenant."""
        await self.sio.emit(
            event, data, room=room_key(self.caller.tenant_id, room), skip_sid=self.sid
        )


EventHandler = Callable[[Peer, Any], Awaitable[dict[str, Any] | None]]
RoomHook = Callable[[Peer, str, bool], Awaitable[None]]

_EVENTS: dict[str, EventHandler] = {}
_ROOM_HOOKS: dict[str, RoomHook] = {}


def declare_event(name: str, handler: EventHandler) -> None:
    """Handle the client event ``name``; declaring it again replaces the handler."""
    _EVENTS[name] = handler


def on_rooms(prefix: str, hook: RoomHook) -> None:
    """Run ``hook`` whenever a client joins or leaves a room starting with ``prefix``."""
    _ROOM_HOOKS[prefix] = hook


async def dispatch(event: str, peer: Peer, data: Any) -> dict[str, Any]:
    """Run the handler of ``event``; the acknowledgement to send back."""
    handler = _EVENTS.get(event)
    if handler is None:
        return {"ok": False, "error": f"unknown event {event!r}"}
    try:
        answer = await handler(peer, data)
    except Exception:
        log.exception("client event %r failed", event, extra={"fields": {"sid": peer.sid}})
        return {"ok": False, "error": "internal error"}
    return answer if answer is not None else {"ok": True}


async def room_changed(peer: Peer, room: str, joined: bool) -> None:
    """Run the hooks of ``room`` after ``peer`` joined (or left) it."""
    for prefix, hook in list(_ROOM_HOOKS.items()):
        if room.startswith(prefix):
            try:
                await hook(peer, room, joined)
            except Exception:
                log.exception("room hook of %r failed", prefix, extra={"fields": {"room": room}})
