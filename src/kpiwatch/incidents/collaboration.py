"""Live collaboration on an incident (seed 004 §5.2) over the incident's Socket.IO room.

Clients in ``incident:<id>`` (viewers and up may join) send and hear:

- joining: the others get ``user-joined {room, user: {id, name, role}}``;
- ``leave-room`` or disconnecting: ``user-left {room, userId, userName}``, preceded by
  ``incident-editing`` with ``isEditing: false`` when the user was editing;
- ``incident-editing {incidentId, isEditing, field?}`` (reporter and up): the others get
  ``{incidentId, userId, userName, isEditing, field}``;
- ``auto-save {incidentId, data, baseVersion?}`` (reporter and up): the draft is stored and
  the others get ``{incidentId, data, timestamp, userId, userName}``.

The server fills in who the user is from the connection's token, never from the payload.
A viewer may listen but not edit: its ``incident-editing`` or ``auto-save`` is refused
with an ``error {event, message}`` event and ``{ok: false, error}`` as acknowledgement;
so is an event for an incident room the client has not joined. ``auto-save`` also stores
the draft (``drafts.save_draft``); its acknowledgement is the draft with its conflict
state. A client that joins hears about editors through their next ``incident-editing``:
an editing client announces itself again when it sees ``user-joined``.
"""

from __future__ import annotations

from typing import Any

from kpiwatch.incidents import drafts
from kpiwatch.incidents.events import INCIDENT_ID, INCIDENT_ROOM, incident_room
from kpiwatch.realtime.client_events import Peer, declare_event, on_rooms

EDITING = "editing"  # Peer.state key: {incident id: field being edited}
MAX_FIELD = 64


async def _refuse(peer: Peer, event: str, message: str) -> dict[str, Any]:
    await peer.send("error", {"event": event, "message": message})
    return {"ok": False, "error": message}


async def _editable(peer: Peer, event: str, data: Any) -> str | dict[str, Any]:
    """The incident id ``data`` names when ``peer`` may edit it, else the refusal."""
    if not peer.caller.has_role("reporter"):
        return await _refuse(peer, event, f"{event} needs the reporter role; viewers only listen")
    incident_id = data.get("incidentId") if isinstance(data, dict) else None
    if not isinstance(incident_id, str):
        return await _refuse(peer, event, "send {incidentId, …}")
    if incident_id == drafts.NEW and event == "auto-save":
        return incident_id
    if INCIDENT_ID.fullmatch(incident_id) is None:
        return await _refuse(peer, event, f"no incident {incident_id!r}")
    if incident_room(incident_id) not in peer.rooms():
        return await _refuse(peer, event, f"join room {incident_room(incident_id)!r} first")
    return incident_id


def _user(peer: Peer) -> dict[str, Any]:
    return {"userId": str(peer.caller.user_id), "userName": peer.caller.name}


async def editing(peer: Peer, data: Any) -> dict[str, Any]:
    checked = await _editable(peer, "incident-editing", data)
    if isinstance(checked, dict):
        return checked
    is_editing = bool(data.get("isEditing"))
    field = data.get("field")
    field = field[:MAX_FIELD] if isinstance(field, str) and field else None
    state: dict[str, str | None] = peer.state.setdefault(EDITING, {})
    if is_editing:
        state[checked] = field
    else:
        state.pop(checked, None)
    message = {"incidentId": checked, **_user(peer), "isEditing": is_editing, "field": field}
    await peer.broadcast(incident_room(checked), "incident-editing", message)
    return {"ok": True}


async def auto_save(peer: Peer, data: Any) -> dict[str, Any]:
    checked = await _editable(peer, "auto-save", data)
    if isinstance(checked, dict):
        return checked
    base = data.get("baseVersion")
    caller = peer.now()
    async with peer.app.state.db.write() as conn:
        saved = await drafts.save_draft(
            conn, caller, checked, data.get("data"), base if isinstance(base, int) else None
        )
    if checked != drafts.NEW:
        message = {
            "incidentId": checked,
            "data": saved["draft"]["data"],
            "timestamp": saved["draft"]["savedAt"],
            **_user(peer),
        }
        await peer.broadcast(incident_room(checked), "auto-save", message)
    return {"ok": True, **saved}


async def presence(peer: Peer, room: str, joined: bool) -> None:
    """``user-joined`` / ``user-left`` for signed-in users of an incident room."""
    caller = peer.caller
    if caller.user_id is None:
        return
    if joined:
        user = {"id": str(caller.user_id), "name": caller.name, "role": caller.role}
        await peer.broadcast(room, "user-joined", {"room": room, "user": user})
        return
    incident_id = room.removeprefix(INCIDENT_ROOM)
    edits: dict[str, str | None] = peer.state.get(EDITING, {})
    if incident_id in edits:
        field = edits.pop(incident_id)
        stopped = {"incidentId": incident_id, **_user(peer), "isEditing": False, "field": field}
        await peer.broadcast(room, "incident-editing", stopped)
    await peer.broadcast(room, "user-left", {"room": room, **_user(peer)})


declare_event("incident-editing", editing)
declare_event("auto-save", auto_save)
on_rooms(INCIDENT_ROOM, presence)
