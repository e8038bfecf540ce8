"""KPI definitions of a tenant: create, read, change, delete, apply templates.

A definition is checked when it is written: its formula parses and fits the datasets, its
dimensions are fields the formula can be grouped by, and absolute thresholds, when set,
come as a pair in the order of the KPI's direction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.ingest.datasets import DATASETS
from kpiwatch.kpi.formula import Formula, FormulaError, parse
from kpiwatch.kpi.models import kpi_definitions, kpi_values
from kpiwatch.kpi.periods import KINDS
from kpiwatch.kpi.revisions import raise_revision
from kpiwatch.kpi.templates import CATALOG

FIELDS = (
    "name",
    "display_name",
    "description",
    "formula",
    "unit",
    "direction",
    "target",
    "period",
    "dimensions",
    "green_threshold",
    "yellow_threshold",
    "is_active",
)
# A change to one of these makes the stored values wrong: they are dropped.
COMPUTED_FROM = ("formula", "dimensions", "period")


def checked_formula(text: str) -> Formula:
    try:
        return parse(text)
    except FormulaError as exc:
        raise InvalidInput(
            [{"loc": ["body", "formula"], "msg": str(exc), "type": "formula_error"} | exc.to_dict()]
        ) from exc


def _check(kpi: dict[str, Any]) -> None:
    formula = checked_formula(kpi["formula"])
    unknown = [d for d in kpi["dimensions"] if d not in formula.dimensions_allowed]
    if unknown:
        allowed = ", ".join(formula.dimensions_allowed) or "none"
        raise InvalidInput.field(
            ("body", "dimensions"), f"cannot group by {', '.join(unknown)}; allowed: {allowed}"
        )
    if formula.counters and "cell" in kpi["dimensions"] and "ne" not in kpi["dimensions"]:
        raise InvalidInput.field(
            ("body", "dimensions"), "cell ids repeat across NEs: group by ne and cell together"
        )
    for name in formula.datasets:
        finest = DATASETS[name].finest_period if name in DATASETS else None
        if finest is not None and KINDS.index(kpi["period"]) < KINDS.index(finest):
            raise InvalidInput.field(
                ("body", "period"),
                f"the rows of {name} cannot be split finer than {finest}: use {finest} "
                "or a longer period",
            )
    green, yellow = kpi["green_threshold"], kpi["yellow_threshold"]
    if (green is None) != (yellow is None):
        raise InvalidInput.field(
            ("body", "yellow_threshold" if yellow is None else "green_threshold"),
            "green_threshold and yellow_threshold are set together",
        )
    if green is not None and yellow is not None:
        higher = kpi["direction"] == "HIGHER_BETTER"
        if (higher and green < yellow) or (not higher and green > yellow):
            side = "at least" if higher else "at most"
            raise InvalidInput.field(
                ("body", "green_threshold"), f"must be {side} yellow_threshold for this direction"
            )


async def get(conn: AsyncConnection, tenant_id: int, kpi_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(kpi_definitions).where(
                kpi_definitions.c.id == kpi_id, kpi_definitions.c.tenant_id == tenant_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"KPI {kpi_id} not found")
    return dict(row._mapping)


async def list_all(
    conn: AsyncConnection, tenant_id: int, *, active_only: bool = True
) -> list[dict[str, Any]]:
    query = select(kpi_definitions).where(kpi_definitions.c.tenant_id == tenant_id)
    if active_only:
        query = query.where(kpi_definitions.c.is_active.is_(True))
    rows = await conn.execute(query.order_by(kpi_definitions.c.name))
    return [dict(r._mapping) for r in rows]


async def _name_taken(conn: AsyncConnection, tenant_id: int, name: str) -> bool:
    row = await conn.execute(
        select(kpi_definitions.c.id).where(
            kpi_definitions.c.tenant_id == tenant_id, kpi_definitions.c.name == name
        )
    )
    return row.first() is not None


async def create(conn: AsyncConnection, caller: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    _check(fields)
    if await _name_taken(conn, caller.tenant_id, fields["name"]):
        raise Conflict(f"a KPI named {fields['name']!r} exists")
    kpi_id = (
        await conn.execute(
            insert(kpi_definitions)
            .values(
                tenant_id=caller.tenant_id,
                created_at=caller.now,
                updated_at=caller.now,
                **{k: fields[k] for k in FIELDS},
            )
            .returning(kpi_definitions.c.id)
        )
    ).scalar_one()
    await raise_revision(conn, caller.tenant_id)
    await audit.record(
        conn,
        caller,
        "kpi.create",
        "kpi",
        kpi_id,
        {"name": fields["name"], "formula": fields["formula"]},
    )
    return await get(conn, caller.tenant_id, kpi_id)


async def change(
    conn: AsyncConnection, caller: Caller, kpi_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    before = await get(conn, caller.tenant_id, kpi_id)
    after = before | changes
    _check(after)
    if after["name"] != before["name"] and await _name_taken(conn, caller.tenant_id, after["name"]):
        raise Conflict(f"a KPI named {after['name']!r} exists")
    await conn.execute(
        update(kpi_definitions)
        .where(kpi_definitions.c.id == kpi_id)
        .values(updated_at=caller.now, **changes)
    )
    if any(before[k] != after[k] for k in COMPUTED_FROM):
        await conn.execute(delete(kpi_values).where(kpi_values.c.kpi_id == kpi_id))
    await raise_revision(conn, caller.tenant_id)
    diff = {k: {"from": before[k], "to": v} for k, v in changes.items() if before[k] != v}
    await audit.record(conn, caller, "kpi.update", "kpi", kpi_id, diff)
    return await get(conn, caller.tenant_id, kpi_id)


async def remove(conn: AsyncConnection, caller: Caller, kpi_id: int) -> None:
    before = await get(conn, caller.tenant_id, kpi_id)
    await conn.execute(delete(kpi_values).where(kpi_values.c.kpi_id == kpi_id))
    await conn.execute(delete(kpi_definitions).where(kpi_definitions.c.id == kpi_id))
    await raise_revision(conn, caller.tenant_id)
    await audit.record(conn, caller, "kpi.delete", "kpi", kpi_id, {"name": before["name"]})


async def apply_templates(conn: AsyncConnection, caller: Caller, names: list[str]) -> list[str]:
    """Create the named templates that the tenant does not have yet; returns those created."""
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        raise InvalidInput.field(
            ("body", "template_names"),
            f"unknown templates {', '.join(unknown)}; known: {', '.join(CATALOG)}",
        )
    created = []
    for name in dict.fromkeys(names):
        if await _name_taken(conn, caller.tenant_id, name):
            continue
        template = CATALOG[name]
        await create(
            conn,
            caller,
            {
                "name": template.name,
                "display_name": template.display_name,
                "description": template.description,
                "formula": template.formula,
                "unit": template.unit,
                "direction": template.direction,
                "target": template.default_target,
                "period": template.period,
                "dimensions": list(template.dimensions),
                "green_threshold": None,
                "yellow_threshold": None,
                "is_active": True,
            },
        )
        created.append(name)
    return created
