"""What the incident slice publishes on the event bus, and the rooms it declares.

| event | room | data |
|---|---|---|
| ``incident-created`` | ``incidents`` | ``{incident}`` |
| ``incident-updated`` | ``incidents`` | ``{incidentId, update, incident}`` |
| ``incident-deleted`` | ``incidents`` | ``{incidentId}`` |
| ``incident-comment`` | ``incident:<id>`` | ``{incidentId, comment}`` |

``update`` is None for an edit that changed no status. ``incidents`` is public like the
status page it feeds, so comments (internal) go to the incident's own room, which needs a
signed-in viewer. Each event is published once, to one room, so a client in both rooms
never receives it twice. Rooms are keyed by tenant (``realtime.rooms.room_key``); publish
after the transaction commits.
"""

from __future__ import annotations

import re
from typing import Any

from kpiwatch.core.context import Caller
from kpiwatch.core.events import EventBus
from kpiwatch.realtime.rooms import INCIDENTS, declare_room, room_key

INCIDENT_ROOM = "incident:"
INCIDENT_ID = re.compile(r"inc-\d{4}-\d{3,}")


def incident_room(incident_id: str) -> str:
    return f"{INCIDENT_ROOM}{incident_id}"


async def created(bus: EventBus, tenant_id: int, incident: dict[str, Any]) -> None:
    await bus.publish(
        "incident-created", {"incident": incident}, room=room_key(tenant_id, INCIDENTS)
    )


async def updated(
    bus: EventBus, tenant_id: int, incident: dict[str, Any], update: dict[str, Any] | None
) -> None:
    data = {"incidentId": incident["id"], "update": update, "incident": incident}
    await bus.publish("incident-updated", data, room=room_key(tenant_id, INCIDENTS))


async def deleted(bus: EventBus, tenant_id: int, incident_id: str) -> None:
    data = {"incidentId": incident_id}
    await bus.publish("incident-deleted", data, room=room_key(tenant_id, INCIDENTS))


async def commented(
    bus: EventBus, tenant_id: int, incident_id: str, comment: dict[str, Any]
) -> None:
    data = {"incidentId": incident_id, "comment": comment}
    room = room_key(tenant_id, incident_room(incident_id))
    await bus.publish("incident-comment", data, room=room)


async def _well_formed(_caller: Caller, room: str) -> bool:
    return INCIDENT_ID.fullmatch(room.removeprefix(INCIDENT_ROOM)) is not None


# Signed-in users (viewers and up) may join ``incident:<id>``. The room is keyed by the
# caller's tenant, so naming another tenant's incident only ever yields one's own events.
declare_room(INCIDENT_ROOM, role="viewer", prefix=True, check=_well_formed)
