"""Realtime: the Socket.IO server at ``/socket.io/`` (seed 004 §5.2) and what feeds it.

Clients (npm's ``socket.io-client``, unchanged) connect to ``/socket.io/`` and belong to one
tenant: the one of their token (``io(url, {auth: {token}})``, an access token or API key),
else ``?tenant=slug`` (``io(url, {query: {tenant}})``), else ``default``. They emit
``join-room {room}`` / ``leave-room {room}`` and get ``{ok: true, room}`` or
``{ok: false, error}`` through the acknowledgement.

How a slice publishes an event (it never imports the Socket.IO server)::

    from kpiwatch.realtime import room_key

    await request.app.state.events.publish(
        "incident-created", {"incident": incident}, room=room_key(caller.tenant_id, "incidents")
    )

The app's ``EventBus`` (``core/events.py``) hands the event to this slice, which emits it to
the clients in that tenant's room, through Redis to every process when
``KPIWATCH_REDIS_URL`` is set. An event published without a room is not sent (it would reach
every tenant). Dates in ``data`` are sent as ISO 8601 strings.

How a slice declares a room, public or protected (at import time of its module, beside its
router; ``system-status``, ``uptime`` and ``incidents`` are declared here, all public)::

    from kpiwatch.realtime import declare_room

    declare_room("incident-editing:", prefix=True, role="reporter")   # a token is required
    declare_room("incident:", prefix=True, check=may_see_incident)    # async (caller, room) -> bool

A client may join only declared rooms; ``role`` requires a token of at least that role, and
``check`` runs for each join with the ``Caller`` and the full room name.

Events of the watch server (``status-update``, ``uptime-updated``, ``sla-metrics-updated``)
are published by ``watch_events``, which listens to the check runner: on the app's bus in
an api process, or on ``remote.redis_bus`` (Redis, write-only) in a ``--role watch`` one.
"""

from kpiwatch.realtime.rooms import declare_room, room_key

__all__ = ["declare_room", "room_key"]
