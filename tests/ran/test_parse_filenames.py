"""TS 32.432 file names: the kind, the period in UTC and the NE, in every variant met."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpiwatch.ran.filenames import FileName, parse_filename
from kpiwatch.ran.parse import parse_pm


def _t(day: int, hour: int, minute: int, month: int = 6, year: int = 2000) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


NAMED = [
    (
        "A20000626.2315+0200-2330+0200_NodeName",
        FileName("A", _t(26, 21, 15), _t(26, 21, 30), "NodeName", "NodeName", None, None),
    ),
    (
        "A20000626.2315-2330_NodeName",  # no offset: UTC
        FileName("A", _t(26, 23, 15), _t(26, 23, 30), "NodeName", "NodeName", None, None),
    ),
    (
        "A20000626.2315_0200-2330_0200_NodeName",  # "_" for "+"
        FileName("A", _t(26, 21, 15), _t(26, 21, 30), "NodeName", "NodeName", None, None),
    ),
    (
        "D20000626.2315+0200-20000627.2315+0200_NodeName",
        FileName("D", _t(26, 21, 15), _t(27, 21, 15), "NodeName", "NodeName", None, None),
    ),
    (
        "C20000626.2300-0500-20000627.0100-0500_ENB7.xml",
        FileName("C", _t(27, 4, 0), _t(27, 6, 0), "ENB7", "ENB7", None, None),
    ),
    (
        "A20000626.2315+0200-2330+0200_NodeName.xml.gz",
        FileName("A", _t(26, 21, 15), _t(26, 21, 30), "NodeName", "NodeName", None, None),
    ),
    (
        "A20000626.2315+0200-2330+0200_NodeName_-_3.xml",  # a running count
        FileName("A", _t(26, 21, 15), _t(26, 21, 30), "NodeName", "NodeName", None, 3),
    ),
    (
        "A20250524.0345-0500-0400-0500_-022150_MAG-NODE-1.xml",  # a job id (Nokia)
        FileName(
            "A",
            _t(24, 8, 45, 5, 2025),
            _t(24, 9, 0, 5, 2025),
            "MAG-NODE-1",
            "MAG-NODE-1",
            "022150",
            None,
        ),
    ),
    (
        "A20260803.1315+0200-20260803.1330+0200_ManagedElement=MRBTS-43620.xml",
        FileName(
            "A",
            _t(3, 11, 15, 8, 2026),
            _t(3, 11, 30, 8, 2026),
            "MRBTS-43620",
            "ManagedElement=MRBTS-43620",
            None,
            None,
        ),
    ),
    (
        "A20161224.1045-1100.bin.gz",  # no unique id
        FileName("A", _t(24, 10, 45, 12, 2016), _t(24, 11, 0, 12, 2016), None, None, None, None),
    ),
    (
        "/var/pm/in/A20000626.2345+0200-0000+0200_X.xml",  # ends at the next local midnight
        FileName("A", _t(26, 21, 45), _t(26, 22, 0), "X", "X", None, None),
    ),
]


@pytest.mark.parametrize(("name", "facts"), NAMED, ids=[n for n, _ in NAMED])
def test_it_reads_every_variant_of_the_convention(name: str, facts: FileName) -> None:
    assert parse_filename(name) == facts


@pytest.mark.parametrize(
    "name",
    [
        "enb7.xml",
        "A2000.xml",
        "E20000626.2315-2330_X",  # no such type
        "A20001326.2315-2330_X",  # month 13
        "A20000626.2375-2390_X",  # minute 75
        "A20000626.2315+2500-2330+2500_X",  # offset 25 h
        "D20000627.2315-20000626.2315_X",  # ends before it starts
    ],
)
def test_it_tells_nothing_for_a_name_off_the_convention(name: str) -> None:
    assert parse_filename(name) is None


BARE = b"""<?xml version="1.0"?>
<measCollecFile xmlns="http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec">
  <fileHeader fileFormatVersion="32.435 V10.0"/>
  <measData>
    <managedElement swVersion="R1"/>
    <measInfo>
      <granPeriod duration="PT900S" endTime="2000-06-26T21:30:00Z"/>
      <measTypes>pmA</measTypes>
      <measValue measObjLdn="EUtranCellFDD=C1"><measResults>1</measResults></measValue>
    </measInfo>
  </measData>
</measCollecFile>
"""


def test_it_takes_the_ne_and_period_from_the_name_when_the_content_has_none() -> None:
    pm = parse_pm(BARE, "A20000626.2315+0200-2330+0200_NodeName.xml")
    assert (pm.ne, pm.period_start, pm.period_end) == ("NodeName", _t(26, 21, 15), _t(26, 21, 30))
    assert [(b.ne, b.object, b.cell) for b in pm.blocks] == [("NodeName", "EUtranCellFDD=C1", "C1")]


def test_it_takes_the_period_from_the_blocks_when_neither_gives_it() -> None:
    pm = parse_pm(BARE.replace(b'swVersion="R1"', b'localDn="ManagedElement=E1"'), "pm.xml")
    assert (pm.ne, pm.period_start, pm.period_end) == ("E1", _t(26, 21, 15), _t(26, 21, 30))


def test_it_rejects_a_measinfo_whose_ne_nothing_names() -> None:
    pm = parse_pm(BARE, "pm.xml", lenient=True)
    assert pm.blocks == []
    assert [(r.line, r.reason) for r in pm.rejected] == [
        (6, "the managed element has no id (localDn or userLabel)")
    ]
