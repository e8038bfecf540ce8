"""Room emits that queue one encoded packet on each client's socket, without a task per client.

python-socketio's ``AsyncManager.emit`` encodes an event once, then creates an asyncio task
per recipient to hand the packet to its Engine.IO socket and waits for all of them: with
200 clients in ``incidents`` that is 200 tasks per update. Handing the packet to a socket
only appends it to the socket's queue (its writer task sends it), so ``FanOutManager``
does that in a loop, which halves the server's CPU per frame sent
(``bench/socketio_ceiling.py``, modes ``socketio`` and ``fanout``). Frames and their order
per client are the same; emits with an acknowledgement callback (a packet per client)
keep the library's path.

``RedisFanOutManager`` is python-socketio's Redis manager with the same local delivery:
its ``_handle_emit`` (events from this process and from other processes on the channel)
reaches ``FanOutManager.emit`` through ``super()``.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet  # type: ignore[import-untyped]
from engineio.exceptions import SocketIsClosedError  # type: ignore[import-untyped]
from socketio import packet


class FanOutManager(socketio.AsyncManager):  # type: ignore[misc]
    """``AsyncManager`` whose emits without callback queue packets on the sockets directly."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            socket = sockets.get(eio_sid)
            if sid in skip or socket is None:
                continue
            try:
                for frame in frames:
                    await socket.send(frame)
            except SocketIsClosedError:
                continue  # it left while the event was being sent; its disconnect follows


class RedisFanOutManager(socketio.AsyncRedisManager, FanOutManager):  # type: ignore[misc]
    """python-socketio's Redis manager delivering to this process's clients as above."""
