"""KPI cards: each active KPI with its latest value, light, achievement and last periods.

The API (`/api/kpi/`, `/api/kpi/dashboard`) and the `/kpis` page both read these.
``Rendered`` keeps, per database and tenant, the dashboard's cards as made for the tenant's
KPI revision (``revisions``): a request reads the revision (one row) and renders again
only when another change, in this process or another, came since.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from kpiwatch.core.db import Database
from kpiwatch.kpi import definitions, revisions, values
from kpiwatch.kpi.status import overall, status_of

RECENT_PERIODS = 12


def card(kpi: dict[str, Any], latest: dict[str, Any] | None) -> dict[str, Any]:
    """A definition with the value, status and achievement of its latest period."""
    value = latest["value"] if latest else None
    status, pct = status_of(
        kpi["direction"], kpi["target"], value, kpi["green_threshold"], kpi["yellow_threshold"]
    )
    return kpi | {
        "current_value": value,
        "status": status,
        "achievement_pct": pct,
        "last_calculated_at": latest["computed_at"] if latest else None,
        "period_start": latest["period_start"] if latest else None,
        "period_end": latest["period_end"] if latest else None,
    }


async def cards(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    """Every active KPI's card, with ``recent``: its last periods' totals, oldest first."""
    async with db.read() as conn:
        kpis = await definitions.list_all(conn, tenant_id)
        recent = await values.recent_totals(conn, [k["id"] for k in kpis], RECENT_PERIODS)
    out = []
    for kpi in kpis:
        rows = recent.get(kpi["id"], [])
        out.append(card(kpi, rows[-1] if rows else None) | {"recent": rows})
    return out


def summary(statuses: list[str]) -> tuple[dict[str, int], str]:
    """The count of KPIs per light and the overall light."""
    counts = {"GREEN": 0, "YELLOW": 0, "RED": 0, "NO_DATA": 0}
    for status in statuses:
        counts[status] += 1
    return counts, overall(statuses)


@dataclass(frozen=True)
class Rendered:
    """The dashboard's cards made at a revision, as JSON, with the count per light."""

    revision: int
    kpis_json: bytes
    summary: dict[str, int]
    overall_status: str


_kept: WeakKeyDictionary[Database, dict[int, Rendered]] = WeakKeyDictionary()


async def rendered(
    db: Database, tenant_id: int, render: Callable[[int], Awaitable[Rendered]]
) -> Rendered:
    """The tenant's dashboard for its current revision: the one kept, else ``render(rev)``."""
    async with db.read() as conn:
        revision = await revisions.current(conn, tenant_id)
    kept = _kept.setdefault(db, {})
    found = kept.get(tenant_id)
    if found is None or found.revision != revision:
        # Read after the revision: what is rendered is at least as new as its label.
        found = kept[tenant_id] = await render(revision)
    return found
