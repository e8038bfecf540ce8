"""What a PM file's name says, per TS 32.432: its kind, its period and its network element.

    <Type><Startdate>.<Starttime>-[<Enddate>.]<Endtime>[_-<JobId>][_<UniqueId>][_-_<RC>]

``Type`` is ``A`` (one NE, one period), ``B`` (several NEs), ``C`` (one NE, several
periods) or ``D`` (several NEs and periods); times are ``hhmm`` followed by the offset from
UTC (``+0200``, ``-0500``; some systems write ``_0200`` for ``+0200`` because ``+`` is awkward
in file names, and some leave the offset out, read here as UTC). ``RC`` is the running
count of files of the same period, the job id is Nokia's habit. ``.xml``, ``.csv``, ``.bin``
and ``.gz`` extensions are ignored. The unique id is usually the NE's name, sometimes its
distinguished name (``ManagedElement=ENB7`` → ``ENB7``).

A name that does not follow the convention is fine: it just tells nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from kpiwatch.ran.parse_common import ne_id

_NAME = re.compile(
    r"""(?P<kind>[ABCD])
    (?P<start_date>\d{8})\.(?P<start>\d{4})(?P<start_offset>[-+_]\d{4})?
    -(?:(?P<end_date>\d{8})\.)?(?P<end>\d{4})(?P<end_offset>[-+_]\d{4})?
    (?:_-(?P<job>[^_.]+))?
    (?:_(?P<unique_id>.+?))?
    (?:_-_(?P<rc>\d+))?
    (?:\.(?:xml|csv|bin|gz))*""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FileName:
    kind: str  # A | B | C | D
    period_start: datetime  # aware, UTC
    period_end: datetime  # aware, UTC
    ne: str | None  # the NE id named by the unique id, if any
    unique_id: str | None
    job: str | None
    rc: int | None


def _zone(offset: str | None) -> timezone:
    if not offset:
        return UTC
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    if hours > 23 or minutes > 59:
        raise ValueError(offset)
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@lru_cache(maxsize=4096)  # every NE's file of a period names the same times
def _moment(day: str, hhmm: str, offset: str | None) -> datetime:
    zone = _zone(offset)
    year, month, date = int(day[:4]), int(day[4:6]), int(day[6:])
    local = datetime(year, month, date, int(hhmm[:2]), int(hhmm[2:]), tzinfo=zone)
    return local.astimezone(UTC)


def parse_filename(name: str) -> FileName | None:
    """The facts of a TS 32.432 file name (the directory part is ignored), or ``None``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    match = _NAME.fullmatch(base)
    if match is None:
        return None
    g = match.groupdict()
    end_offset = g["end_offset"] or g["start_offset"]
    try:
        start = _moment(g["start_date"], g["start"], g["start_offset"])
        end = _moment(g["end_date"] or g["start_date"], g["end"], end_offset)
    except ValueError:
        return None  # 20001341, 2460, +2500: not a date after all
    if end <= start and not g["end_date"]:
        end += timedelta(days=1)  # 2345-0000: the period ends on the next day
    if end <= start:
        return None
    unique_id = g["unique_id"] or None
    return FileName(
        kind=g["kind"].upper(),
        period_start=start,
        period_end=end,
        ne=(ne_id(unique_id) or None) if unique_id else None,
        unique_id=unique_id,
        job=g["job"],
        rc=int(g["rc"]) if g["rc"] else None,
    )
