"""The simple CSV form of PM data: one value per line.

    ne,object,period_end,gran_s,counter,value[,suspect]

``ne`` is the managed element's id (or its name: ``ManagedElement=ENB7`` gives ``ENB7``);
``object`` the measured object's full name (``ManagedElement=ENB7,EUtranCellFDD=C1``),
just the cell's id (``C1``, stored as ``ManagedElement=ENB7,Cell=C1`` so that cells of
different NEs never share a name), or empty for the NE itself; ``period_end`` an ISO 8601
date-time with ``Z`` or an offset; ``gran_s`` the period length in seconds; ``value`` a
number, empty, ``NIL`` or ``NULL`` (missing), or a quoted ``"3,5,0"`` multi-value; the
optional ``suspect`` column is ``true``/``false``/``1``/``0``/empty. Columns may come in any
order; an unknown column is refused rather than ignored, so a misspelt ``suspect`` cannot
silently drop the flag.

Lines become blocks per (ne, object, period_end, gran_s) with counters in the order first
met. A bad line rejects the file with its line number; with ``lenient`` that line alone
is left out and recorded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from kpiwatch.ran.measurements import MeasBlock, PmFileError, Rejection
from kpiwatch.ran.parse_common import (
    BadValue,
    cell_of,
    flag,
    indexed,
    ne_id,
    utc_time,
    values_of,
)

REQUIRED = ("ne", "object", "period_end", "gran_s", "counter", "value")
OPTIONAL = ("suspect",)


class _BadLine(ValueError):
    pass


@dataclass
class _Block:
    counters: list[str] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # counter → first line
    suspect: bool = False


@dataclass
class CsvContent:
    blocks: list[MeasBlock]
    rejected: list[Rejection]
    nes: list[str]


def _columns(header: list[str], name: str) -> dict[str, int]:
    columns = [column.strip().lower() for column in header]
    unknown = [c for c in columns if c not in REQUIRED and c not in OPTIONAL]
    missing = [c for c in REQUIRED if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        problem = (
            f"unknown column {unknown[0]!r}"
            if unknown
            else f"missing column {missing[0]!r}"
            if missing
            else "a repeated column"
        )
        raise PmFileError(
            name, 1, f"{problem}; the header is {','.join(REQUIRED)}[,suspect] in any order"
        )
    return {column: index for index, column in enumerate(columns)}


def _object(ne: str, given: str) -> tuple[str, str, str]:
    """``(name, cell, object_class)`` of an object column."""
    if "=" in given:
        return given, *cell_of(given, ne)
    if not given or given == ne:
        return f"ManagedElement={ne}", ne, "ManagedElement"
    return f"ManagedElement={ne},Cell={given}", given, "Cell"


class _Lines:
    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        self.width = len(columns)
        self.blocks: dict[tuple[str, str, datetime, int], _Block] = {}

    def add(self, row: list[str], line: int) -> None:
        if len(row) != self.width:
            raise _BadLine(f"{len(row)} fields where the header has {self.width}")
        c = self.columns
        ne = ne_id(row[c["ne"]].strip())
        if not ne:
            raise _BadLine("ne is empty")
        stamp = row[c["period_end"]].strip()
        try:
            end = utc_time(stamp)
        except ValueError:
            raise _BadLine(
                f"period_end {stamp!r} is not an ISO 8601 date-time with a UTC offset"
            ) from None
        gran = row[c["gran_s"]].strip()
        if not (gran.isascii() and gran.isdigit()) or int(gran) <= 0:
            raise _BadLine(f"gran_s {gran!r} is not a positive whole number of seconds")
        counter = row[c["counter"]].strip()
        if not counter:
            raise _BadLine("counter is empty")
        token = row[c["value"]].strip()
        try:
            values, widths = values_of([token])
        except BadValue:
            raise _BadLine(f"value {token!r} is not a number") from None
        names = indexed([counter], widths) if widths else (counter,)
        try:
            suspect = flag(row[c["suspect"]]) if "suspect" in c else False
        except ValueError as error:
            raise _BadLine(str(error)) from None
        block = self.blocks.setdefault((ne, row[c["object"]].strip(), end, int(gran)), _Block())
        for name in names:
            if name in block.lines:
                raise _BadLine(
                    f"counter {name!r} is repeated for this object and period "
                    f"(first on line {block.lines[name]})"
                )
        for name, value in zip(names, values, strict=True):
            block.lines[name] = line
            block.counters.append(name)
            block.values.append(value)
        block.suspect = block.suspect or suspect

    def measurements(self) -> list[MeasBlock]:
        out = []
        for (ne, given, end, gran_s), block in self.blocks.items():
            name, cell, object_class = _object(ne, given)
            out.append(
                MeasBlock(
                    "",
                    ne,
                    name,
                    cell,
                    object_class,
                    end,
                    gran_s,
                    tuple(block.counters),
                    block.values,
                    block.suspect,
                )
            )
        return out


def read_csv(text: str, name: str, *, lenient: bool) -> CsvContent:
    """Read the CSV form (``PmFileError`` on a bad header, or a bad line unless
    ``lenient``; CSV that cannot be split into fields rejects the whole file)."""
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    rejected: list[Rejection] = []
    try:
        header = next(rows, None)
        if header is None:
            raise PmFileError(name, None, "the file is empty")
        lines = _Lines(_columns(header, name))
        for row in rows:
            if not any(field.strip() for field in row):
                continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
            try:
                lines.add(row, rows.line_num)
            except _BadLine as bad:
                if not lenient:
                    raise PmFileError(name, rows.line_num, str(bad)) from None
                rejected.append(Rejection(rows.line_num, str(bad)))
    except csv.Error as error:
        raise PmFileError(name, rows.line_num, f"the CSV is malformed: {error}") from None
    blocks = lines.measurements()
    nes = list(dict.fromkeys(block.ne for block in blocks))
    return CsvContent(blocks, rejected, nes)
