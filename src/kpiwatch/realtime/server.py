"""The Socket.IO server at ``/socket.io/``: connections, rooms, and the bus → client bridge.

A connection belongs to one tenant: the one its token names (``auth: {token}``, an access
token or an API key), else ``?tenant=slug``, else ``default``. An invalid token or an
unknown tenant refuses the connection. ``join-room`` / ``leave-room`` answer through the
acknowledgement callback with ``{ok, room}`` or ``{ok: false, error}``.

With ``KPIWATCH_REDIS_URL`` set, emits go through python-socketio's Redis manager, so an
event published in one process reaches the clients of every process on the same channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

import socketio
from fastapi import FastAPI

from kpiwatch.core import auth, tenancy
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import KpiwatchError
from kpiwatch.realtime import client_events
from kpiwatch.realtime.fanout import FanOutManager, RedisFanOutManager
from kpiwatch.realtime.rooms import may_join, room_key
from kpiwatch.web.session import cookie_credential

log = logging.getLogger(__name__)
PATH = "socket.io"


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JsonCodec:
    """The json module python-socketio uses, taught to write dates (ISO 8601)."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _default)
        return json.dumps(obj, **kwargs)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        return json.loads(text, **kwargs)


def _room_of(data: object) -> str | None:
    room = data.get("room") if isinstance(data, dict) else None
    return room if isinstance(room, str) and room else None


class Realtime:
    """One app's Socket.IO server; ``app.state.realtime``."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.manager: RedisFanOutManager | None = None
        if settings.redis_url:
            self.manager = RedisFanOutManager(
                settings.redis_url, channel=settings.redis_channel, json=JsonCodec
            )
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=self.manager or FanOutManager(),
            json=JsonCodec,
            logger=False,
            engineio_logger=False,
        )
        self.sio.on("connect", self._connect)
        self.sio.on("join-room", self._join)
        self.sio.on("leave-room", self._leave)
        # Events slices declare (``client_events``), and presence on joining and leaving.
        self.peers: dict[str, client_events.Peer] = {}
        self.sio.on("*", self._client_event)
        self.sio.on("disconnect", self._disconnect)

    def asgi(self) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.sio, socketio_path=PATH)

    async def _connect(self, sid: str, environ: dict[str, Any], auth_data: Any = None) -> None:
        state = self.app.state
        scope = environ.get("asgi.scope", {})
        ip = scope["client"][0] if scope.get("client") else None
        now = state.clock.now()
        token = auth_data.get("token") if isinstance(auth_data, dict) else None
        if not token:
            # The console pages' session cookie; an expired one leaves the client anonymous.
            token = await self._cookie_token(environ, ip, now)
        try:
            if token:
                caller = await auth.caller_from_credentials(
                    state.db, state.settings, state.secret_key, str(token), ip, now
                )
            else:
                query = parse_qs(environ.get("QUERY_STRING", ""))
                slug = (query.get("tenant") or ["default"])[0]
                async with state.db.read() as conn:
                    tenant_id = await tenancy.tenant_id_by_slug(conn, slug)
                caller = Caller(tenant_id, slug, now, ip=ip)
        except KpiwatchError as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc.detail)) from exc
        await self.sio.save_session(sid, {"caller": caller})
        self.peers[sid] = client_events.Peer(sid, caller, self.sio, self.app)

    async def _cookie_token(self, environ: dict[str, Any], ip: str | None, now: Any) -> str | None:
        token = cookie_credential(environ.get("HTTP_COOKIE"))
        if token is None:
            return None
        state = self.app.state
        try:
            await auth.caller_from_credentials(
                state.db, state.settings, state.secret_key, token, ip, now
            )
        except KpiwatchError:
            return None
        return token

    async def _caller(self, sid: str) -> Caller:
        session = await self.sio.get_session(sid)
        caller: Caller = session["caller"]
        return caller

    async def _join(self, sid: str, data: Any) -> dict[str, Any]:
        room = _room_of(data)
        if room is None:
            return {"ok": False, "error": "send {room: name}"}
        caller = await self._caller(sid)
        refused = await may_join(caller, room)
        if refused is not None:
            return {"ok": False, "room": room, "error": refused}
        await self.sio.enter_room(sid, room_key(caller.tenant_id, room))
        if sid in self.peers:
            await client_events.room_changed(self.peers[sid], room, True)
        return {"ok": True, "room": room}

    async def _leave(self, sid: str, data: Any) -> dict[str, Any]:
        room = _room_of(data)
        if room is None:
            return {"ok": False, "error": "send {room: name}"}
        caller = await self._caller(sid)
        key = room_key(caller.tenant_id, room)
        was_in = key in self.sio.rooms(sid)
        await self.sio.leave_room(sid, key)
        if was_in and sid in self.peers:
            await client_events.room_changed(self.peers[sid], room, False)
        return {"ok": True, "room": room}

    async def _client_event(self, event: str, sid: str, data: Any = None) -> dict[str, Any]:
        peer = self.peers.get(sid)
        if peer is None:
            return {"ok": False, "error": "not connected"}
        return await client_events.dispatch(event, peer, data)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        peer = self.peers.pop(sid, None)
        if peer is None:
            return
        for room in peer.rooms():
            await client_events.room_changed(peer, room, False)

    async def forward(self, event: str, data: dict[str, Any], room: str | None) -> None:
        """Event-bus subscriber: emit ``event`` to the clients of ``room`` (a ``room_key``)."""
        if room is None:
            # Every event belongs to a tenant; one without a room would reach all of them.
            log.warning("event %r published without a room: not sent to clients", event)
            return
        await self.sio.emit(event, data, room=room)

    async def close(self) -> None:
        """Stop the server's background work and the Redis listener, if any."""
        await self.sio.shutdown()
        if self.manager is None:
            return
        listener = getattr(self.manager, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if self.manager.redis is not None:
            await self.manager.redis.aclose()


def install(app: FastAPI, settings: Settings) -> Realtime:
    """Mount Socket.IO at ``/socket.io/`` and forward the app's event bus to it."""
    realtime = Realtime(app, settings)
    app.state.realtime = realtime
    app.state.events.subscribe(realtime.forward)
    app.mount(f"/{PATH}", realtime.asgi())
    return realtime
