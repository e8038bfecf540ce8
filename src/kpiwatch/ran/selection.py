"""Which measured objects a query means: NEs and cells by id or by full name.

``ne`` matches the managed element's id (``ENB7`` of ``…,ManagedElement=ENB7,…``) or its
full name (``SubNetwork=1,ManagedElement=ENB7``: the objects named under it); a cell
matches the cell's id (``C1`` of ``…,EUtranCellFDD=C1``) or the object's full name. With
both, the cells are looked for among the NEs' objects. A value that matches nothing is an
error (``UnknownObject``), so a typo does not look like a cell without traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.ran.models import pm_objects


class UnknownObject(ValueError):
    """``ne`` or cell values that match no measured object of the tenant."""

    def __init__(self, field_name: str, values: Sequence[str]) -> None:
        super().__init__(f"no measured object matches {field_name} {', '.join(values)}")
        self.field = field_name
        self.values = list(values)


def _ne_match(value: str) -> ColumnElement[bool]:
    o = pm_objects.c
    return or_(
        o.ne == value,
        o.name == value,
        func.substr(o.name, 1, len(value) + 1) == value + ",",
    )


def _cell_match(value: str) -> ColumnElement[bool]:
    o = pm_objects.c
    return or_(o.cell == value, o.name == value)


async def _matching(
    conn: AsyncConnection,
    tenant_id: int,
    values: Sequence[str],
    match: Callable[[str], ColumnElement[bool]],
    within: ColumnElement[bool] | None,
) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for value in values:
        query = select(pm_objects.c.id).where(
            pm_objects.c.tenant_id == tenant_id,
            match(value),
        )
        if within is not None:
            query = query.where(within)
        out[value] = set((await conn.execute(query)).scalars())
    return out


async def select_objects(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    ne: Sequence[str] | None = None,
    cells: Sequence[str] | None = None,
) -> list[int] | None:
    """The ids of the objects meant (sorted), or None for every object of the tenant."""
    if not ne and not cells:
        return None
    chosen: set[int] | None = None
    if ne:
        found = await _matching(conn, tenant_id, list(dict.fromkeys(ne)), _ne_match, None)
        missing = [v for v, ids in found.items() if not ids]
        if missing:
            raise UnknownObject("ne", missing)
        chosen = set().union(*found.values())
    if cells:
        within = pm_objects.c.id.in_(sorted(chosen)) if chosen is not None else None
        found = await _matching(conn, tenant_id, list(dict.fromkeys(cells)), _cell_match, within)
        missing = [v for v, ids in found.items() if not ids]
        if missing:
            raise UnknownObject("cellid", missing)
        chosen = set().union(*found.values())
    return sorted(chosen or ())
