"""What a PM file holds once read: measurement blocks, rejections, and the file's facts.

The parsers (``ran.parse``) produce these; the store (``ran.store``) writes them. A block
is one ``measValue`` of one ``measInfo``: one object, one period, an ordered counter list
and a value per counter (``None`` for ``NIL``, ``NULL`` or empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class MeasBlock:
    group: str  # the measInfoId ('' when the file gives none)
    ne: str  # the managed element's id: ``ENB7`` of ``ManagedElement=ENB7``
    object: str  # the full name: dnPrefix + measObjLdn
    cell: str  # the value of the name's last part: ``C1`` of ``…,EUtranCellFDD=C1``
    object_class: str  # the type of the name's last part: ``EUtranCellFDD``
    period_end: datetime  # aware, UTC
    gran_s: int
    counters: tuple[str, ...]
    values: list[float | None]
    suspect: bool = False

    @property
    def period_start(self) -> datetime:
        return self.period_end - timedelta(seconds=self.gran_s)


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: str
    group: str | None = None


@dataclass(slots=True)
class PmFile:
    name: str
    format: str  # "32.435" | "28.532" | "csv"
    sha256: str
    size_bytes: int
    ne: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    gran_s: int | None = None
    blocks: list[MeasBlock] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def values_count(self) -> int:
        return sum(len(block.values) for block in self.blocks)


class PmFileError(ValueError):
    """The file cannot be read as a whole: its name, the line and why."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason
