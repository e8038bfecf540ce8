"""The PEG master (``pm_counters``): every counter seen, by measInfo group and object class,
with its first and last period and the number of objects reporting it.

It follows the writes without a rebuild: when only first/last seen move (the steady state:
the same cells report the same counters every period), its rows are widened in place, one
UPDATE per counter list; when an object starts reporting a counter list, the counters of
that list's group and object class are recounted from ``pm_object_schemas``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.ran.models import pm_counters, pm_object_schemas, pm_objects, pm_schemas

Pair = tuple[int, int]  # (object id, schema id)
Span = tuple[datetime, datetime]  # first and last period start seen


def bounds(conn: AsyncConnection) -> tuple[Any, Any]:
    """The two-argument min and max: ``least``/``greatest`` on PostgreSQL, ``min``/``max``
    on SQLite."""
    return (
        (func.least, func.greatest) if conn.dialect.name == "postgresql" else (func.min, func.max)
    )


async def widen(
    conn: AsyncConnection,
    tenant_id: int,
    keys: dict[Pair, tuple[str, str, tuple[str, ...]]],
    spans: dict[Pair, Span],
) -> None:
    """Move the PEG master's first/last seen of the counters of pairs already known."""
    lists: dict[tuple[str, str, tuple[str, ...]], Span] = {}  # the span of each list first
    for pair, key in keys.items():
        first, last = spans[pair]
        lo, hi = lists.get(key, (first, last))
        lists[key] = (min(lo, first), max(hi, last))
    pegs: dict[tuple[str, str, str], Span] = {}
    for (group, object_class, counters), (first, last) in lists.items():
        for name in counters:
            lo, hi = pegs.get((name, group, object_class), (first, last))
            pegs[name, group, object_class] = (min(lo, first), max(hi, last))
    # The counters of one list share their pairs, hence their span: one UPDATE per list.
    names: dict[tuple[str, str, datetime, datetime], list[str]] = {}
    for (name, group, object_class), (first, last) in pegs.items():
        names.setdefault((group, object_class, first, last), []).append(name)
    lower, upper = bounds(conn)
    for (group, object_class, first, last), chosen in sorted(names.items()):
        await conn.execute(
            update(pm_counters)
            .where(
                pm_counters.c.tenant_id == tenant_id,
                pm_counters.c.group_name == group,
                pm_counters.c.object_class == object_class,
                pm_counters.c.name.in_(sorted(chosen)),
            )
            .values(
                first_seen=lower(pm_counters.c.first_seen, first),
                last_seen=upper(pm_counters.c.last_seen, last),
            )
        )


async def recount(
    conn: AsyncConnection,
    tenant_id: int,
    groups: set[str] | None = None,
    classes: set[str] | None = None,
) -> None:
    """Rebuild the PEG master rows of these measInfo groups and object classes (all of the
    tenant's when both are None) from which objects report which counter lists."""
    if conn.dialect.name == "postgresql":
        # Two imports adding objects at once would each count without the other's.
        await conn.execute(select(func.pg_advisory_xact_lock(0x504D43, tenant_id)))
    where = [pm_object_schemas.c.tenant_id == tenant_id]
    scope = [pm_counters.c.tenant_id == tenant_id]
    if groups is not None:
        where.append(pm_schemas.c.group_name.in_(sorted(groups)))
        scope.append(pm_counters.c.group_name.in_(sorted(groups)))
    if classes is not None:
        where.append(pm_objects.c.object_class.in_(sorted(classes)))
        scope.append(pm_counters.c.object_class.in_(sorted(classes)))
    result = await conn.execute(
        select(
            pm_schemas.c.group_name,
            pm_schemas.c.counters,
            pm_objects.c.object_class,
            pm_object_schemas.c.object_id,
            pm_object_schemas.c.first_seen,
            pm_object_schemas.c.last_seen,
        )
        .join(pm_schemas, pm_schemas.c.id == pm_object_schemas.c.schema_id)
        .join(pm_objects, pm_objects.c.id == pm_object_schemas.c.object_id)
        .where(*where)
    )
    pegs: dict[tuple[str, str, str], tuple[datetime, datetime, set[int]]] = {}
    for group, counters, object_class, object_id, first, last in result:
        for name in counters:
            key = (name, group, object_class)
            if key in pegs:
                lo, hi, objects = pegs[key]
                pegs[key] = (min(lo, first), max(hi, last), objects)
            else:
                objects = set()
                pegs[key] = (first, last, objects)
            objects.add(object_id)
    await conn.execute(delete(pm_counters).where(*scope))
    if pegs:
        await conn.execute(
            insert(pm_counters),
            [
                {
                    "tenant_id": tenant_id,
                    "name": name,
                    "group_name": group,
                    "object_class": object_class,
                    "first_seen": first,
                    "last_seen": last,
                    "objects": len(objects),
                }
                for (name, group, object_class), (first, last, objects) in sorted(pegs.items())
            ],
        )


async def list_pegs(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    group: str | None,
    prefix: str | None,
    object_class: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The PEG master, by counter name, group and class, with the total before paging."""
    where = [pm_counters.c.tenant_id == tenant_id]
    if group is not None:
        where.append(pm_counters.c.group_name == group)
    if prefix:
        where.append(pm_counters.c.name.startswith(prefix, autoescape=True))
    if object_class is not None:
        where.append(pm_counters.c.object_class == object_class)
    total = (
        await conn.execute(select(func.count()).select_from(pm_counters).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        select(
            pm_counters.c.name.label("peg_name"),
            pm_counters.c.group_name.label("group"),
            pm_counters.c.object_class,
            pm_counters.c.first_seen,
            pm_counters.c.last_seen,
            pm_counters.c.objects,
        )
        .where(*where)
        .order_by(pm_counters.c.name, pm_counters.c.group_name, pm_counters.c.object_class)
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in rows], total
