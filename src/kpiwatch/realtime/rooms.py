"""The rooms a Socket.IO client may join, who may join them, and their keys per tenant.

A client names a room (``system-status``); the server keys it by the client's tenant
(``"3:system-status"``) so events of one tenant never reach another's clients. Publishers
use ``room_key`` to build the same key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kpiwatch.core.context import ROLE_RANK, Caller

RoomCheck = Callable[[Caller, str], Awaitable[bool]]


@dataclass(frozen=True)
class RoomPolicy:
    """Who may join ``name`` (or every room starting with ``name`` when ``prefix``).

    ``role`` None means anyone, anonymous readers included; otherwise the client must have
    connected with a token (``auth: {token}``) of at least that role. ``check``, when set,
    is awaited with the caller and the full room name for finer rules (one incident's room).
    """

    name: str
    role: str | None = None
    prefix: bool = False
    check: RoomCheck | None = None


_POLICIES: dict[str, RoomPolicy] = {}


def declare_room(
    name: str, *, role: str | None = None, prefix: bool = False, check: RoomCheck | None = None
) -> RoomPolicy:
    """Allow clients to join ``name``; declaring a name again replaces its policy."""
    if role is not None and role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    policy = RoomPolicy(name, role, prefix, check)
    _POLICIES[name] = policy
    return policy


def policy_for(room: str) -> RoomPolicy | None:
    """The policy of ``room``: an exact declaration, else the longest matching prefix."""
    exact = _POLICIES.get(room)
    if exact is not None:
        return exact
    prefixes = [p for p in _POLICIES.values() if p.prefix and room.startswith(p.name)]
    return max(prefixes, key=lambda p: len(p.name), default=None)


async def may_join(caller: Caller, room: str) -> str | None:
    """None when ``caller`` may join ``room``, else the reason it may not."""
    policy = policy_for(room)
    if policy is None:
        return f"unknown room {room!r}"
    if policy.role is not None:
        if caller.role is None:
            return f"room {room!r} needs a token (auth: {{token}})"
        if not caller.has_role(policy.role):
            return f"room {room!r} needs the {policy.role} role"
    if policy.check is not None and not await policy.check(caller, room):
        return f"not allowed in room {room!r}"
    return None


def room_key(tenant_id: int, room: str) -> str:
    """The Socket.IO room of ``room`` in a tenant: what publishers pass to the event bus."""
    return f"{tenant_id}:{room}"


# The PRD's rooms (seed 004 §5.2): the public status page reads all three.
SYSTEM_STATUS = declare_room("system-status").name
UPTIME = declare_room("uptime").name
INCIDENTS = declare_room("incidents").name
