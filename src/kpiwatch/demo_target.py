"""The demo's monitored services: ``GET /demo-target/{service}`` answers as a real service
would, following a fixed schedule of the UTC clock (no random numbers), so the status page
of ``kpiwatch demo`` moves on its own and its history can be replayed exactly.

The schedule (``answer``):

- ``mail``: always healthy, in 35 ms.
- ``portal``: slow, 1.5 s instead of 80 ms, during minutes 20–34 of every hour
  (degraded, not down: its monitor's ``degraded_ms`` is 1000).
- ``vpn``: flapping: on even days (by ordinal) HTTP 503 for 15 minutes from :30 past
  01:00, 09:00 and 17:00 UTC.
- ``erp``: HTTP 500 from 14:00 to 14:25 UTC on days whose ordinal is a multiple of 11.
- ``payments``: HTTP 503 from 02:00 to 03:40 UTC on days whose ordinal is a multiple of 23
  (a major outage of that day).

Mounted by ``create_app`` only when ``KPIWATCH_WATCH_DEMO_TARGET`` is set (``kpiwatch demo``
sets it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kpiwatch.core.deps import ClockDep
from kpiwatch.core.errors import NotFound

SERVICES = ("mail", "vpn", "erp", "portal", "payments")
_BASE_MS = {"mail": 35, "vpn": 60, "erp": 120, "portal": 80, "payments": 45}
HEALTHY = {"status": "healthy", "data": {"ok": True}}
FAILING = {"status": "unavailable", "data": {"ok": False}}

router = APIRouter(prefix="/demo-target", tags=["demo"], include_in_schema=False)


@dataclass(frozen=True)
class Answer:
    status: int
    delay_ms: int
    body: dict[str, Any]


def _minute_of_day(at: datetime) -> int:
    return at.hour * 60 + at.minute


def _down_now(service: str, at: datetime) -> bool:
    day, minute = at.date().toordinal(), _minute_of_day(at)
    if service == "vpn":
        return day % 2 == 0 and any(s <= minute < s + 15 for s in (90, 570, 1050))
    if service == "erp":
        return day % 11 == 0 and 840 <= minute < 865
    if service == "payments":
        return day % 23 == 0 and 120 <= minute < 220
    return False


def answer(service: str, at: datetime) -> Answer:
    """What ``service`` answers at ``at`` (any time zone; the schedule is in UTC)."""
    at = at.astimezone(UTC)
    if _down_now(service, at):
        status = 500 if service == "erp" else 503
        return Answer(status, _BASE_MS[service], FAILING)
    slow = service == "portal" and 20 <= at.minute < 35
    return Answer(200, 1500 if slow else _BASE_MS[service], HEALTHY)


@router.get("/{service}")
async def demo_service(service: str, clock: ClockDep) -> JSONResponse:
    """A demo service's health endpoint."""
    if service not in SERVICES:
        raise NotFound(f"no demo service {service!r}")
    scripted = answer(service, clock.now())
    await asyncio.sleep(scripted.delay_ms / 1000)
    return JSONResponse(scripted.body, status_code=scripted.status)
