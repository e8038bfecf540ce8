"""The counter store: blocks written, replaced by a corrected file, read back by position."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from kpiwatch.core.db import make_engine
from kpiwatch.ran.measurements import MeasBlock
from kpiwatch.ran.models import pm_at, pm_counters, pm_values
from kpiwatch.ran.store import write_blocks

END = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
COUNTERS = ("RRC.ConnEstabAtt", "RRC.ConnEstabSucc")


def _block(cell: str, values: list[float | None], suspect: bool = False) -> MeasBlock:
    return MeasBlock(
        group="RRC",
        ne="ENB7",
        object=f"SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD={cell}",
        cell=cell,
        object_class="EUtranCellFDD",
        period_end=END,
        gran_s=900,
        counters=COUNTERS,
        values=values,
        suspect=suspect,
    )


async def _run(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await write_blocks(conn, 1, 1, [_block("C1", [100, 98]), _block("C2", [10, None])])
        async with engine.begin() as conn:  # a corrected file replaces C2's row
            await write_blocks(conn, 1, 2, [_block("C2", [12, 11], suspect=True)])
        async with engine.connect() as conn:
            values = (
                await conn.execute(
                    select(
                        pm_values.c.object_id,
                        pm_values.c.file_id,
                        pm_values.c.suspect,
                        pm_values.c.period_start,
                        pm_at(pm_values.c.vals, 0),
                        pm_at(pm_values.c.vals, 1),
                    ).order_by(pm_values.c.object_id)
                )
            ).all()
            pegs = (
                await conn.execute(
                    select(pm_counters.c.name, pm_counters.c.objects).order_by(pm_counters.c.name)
                )
            ).all()
        return [tuple(v) for v in values], [tuple(p) for p in pegs]
    finally:
        await engine.dispose()


def test_blocks_are_stored_replaced_and_read_by_position(database_url: str) -> None:
    values, pegs = asyncio.run(_run(database_url))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert [v[1:] for v in values] == [
        (1, False, start, 100.0, 98.0),
        (2, True, start, 12.0, 11.0),
    ]
    assert pegs == [("RRC.ConnEstabAtt", 2), ("RRC.ConnEstabSucc", 2)]
