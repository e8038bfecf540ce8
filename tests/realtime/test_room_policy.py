"""Who may join which room: public rooms, rooms needing a role, prefixes and checks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kpiwatch.core.context import Caller
from kpiwatch.realtime import declare_room, room_key
from kpiwatch.realtime import rooms as room_policies

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANONYMOUS = Caller(1, "default", NOW)
CAROL = Caller(1, "default", NOW, user_id=3, name="carol", role="viewer")
BOB = Caller(1, "default", NOW, user_id=2, name="bob", role="reporter")


@pytest.fixture
def declared() -> Iterator[None]:
    saved = dict(room_policies._POLICIES)

    async def only_bob(caller: Caller, room: str) -> bool:
        return caller.name == "bob" and room.endswith("-7")

    declare_room("editing:", prefix=True, role="reporter")
    declare_room("private:", prefix=True, check=only_bob)
    yield
    room_policies._POLICIES.clear()
    room_policies._POLICIES.update(saved)


def _may_join(caller: Caller, room: str) -> str | None:
    return asyncio.run(room_policies.may_join(caller, room))


def test_it_lets_anyone_join_the_prd_rooms() -> None:
    for room in ("system-status", "uptime", "incidents"):
        assert _may_join(ANONYMOUS, room) is None


def test_it_refuses_rooms_nobody_declared() -> None:
    assert _may_join(BOB, "system") == "unknown room 'system'"


def test_it_asks_for_a_token_and_a_role(declared: None) -> None:
    assert _may_join(ANONYMOUS, "editing:inc-1") == (
        "room 'editing:inc-1' needs a token (auth: {token})"
    )
    assert _may_join(CAROL, "editing:inc-1") == "room 'editing:inc-1' needs the reporter role"
    assert _may_join(BOB, "editing:inc-1") is None


def test_it_runs_a_room_s_own_check(declared: None) -> None:
    assert _may_join(BOB, "private:inc-7") is None
    assert _may_join(BOB, "private:inc-8") == "not allowed in room 'private:inc-8'"
    assert _may_join(CAROL, "private:inc-7") == "not allowed in room 'private:inc-7'"


def test_it_rejects_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        declare_room("x", role="owner")


def test_it_keys_rooms_by_tenant() -> None:
    assert room_key(3, "system-status") == "3:system-status"
