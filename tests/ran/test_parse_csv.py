"""The simple CSV form: blocks per object and period, names, missing values, errors by line."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from kpiwatch.ran.measurements import PmFileError, Rejection
from kpiwatch.ran.parse import parse_pm

HEADER = "ne,object,period_end,gran_s,counter,value,suspect\n"
# 2 + 3 + 1 + 2 lines: C1 at 09:15 UTC (given at +09:00), C1 at 09:30, the NE itself over
# an hour, and C2 (just its id) with a PDF counter; C1 at 09:30 is suspect.
CSV = (
    HEADER + 'ENB7,"ManagedElement=ENB7,EUtranCellFDD=C1",2026-03-02T18:15:00+09:00,900,'
    "RRC.ConnEstabAtt.sum,100,\n"
    + 'ENB7,"ManagedElement=ENB7,EUtranCellFDD=C1",2026-03-02T18:15:00+09:00,900,'
    "RRC.ConnEstabSucc.sum,98,false\n"
    + 'ENB7,"ManagedElement=ENB7,EUtranCellFDD=C1",2026-03-02T09:30:00Z,900,'
    "RRC.ConnEstabAtt.sum,NIL,\n"
    + 'ENB7,"ManagedElement=ENB7,EUtranCellFDD=C1",2026-03-02T09:30:00Z,900,'
    "RRC.ConnEstabSucc.sum,,true\n"
    + 'ENB7,"ManagedElement=ENB7,EUtranCellFDD=C1",2026-03-02T09:30:00Z,900,'
    "DRB.IPVolDl,12.5,0\n"
    + "ManagedElement=ENB7,,2026-03-02T10:00:00Z,3600,RRU.CellUnavailableTime.sum,NULL,\n"
    + 'ENB7,C2,2026-03-02T09:15:00Z,900,RRC.ConnEstabTime.Bin,"3,5,0",\n'
    + "ENB7,C2,2026-03-02T09:15:00Z,900,RRC.ConnEstabAtt.sum,7,\n"
)
C1 = "ManagedElement=ENB7,EUtranCellFDD=C1"


def _t(hour: int, minute: int) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def test_it_groups_lines_into_blocks_per_object_and_period() -> None:
    pm = parse_pm(CSV.encode(), "enb7.csv")
    assert pm.format == "csv"
    got = [
        (b.group, b.ne, b.object, b.cell, b.object_class, b.period_end, b.gran_s)
        + (b.counters, b.values, b.suspect)
        for b in pm.blocks
    ]
    assert got == [
        (
            *("", "ENB7", C1, "C1", "EUtranCellFDD", _t(9, 15), 900),
            ("RRC.ConnEstabAtt.sum", "RRC.ConnEstabSucc.sum"),
            [100.0, 98.0],
            False,
        ),
        (
            *("", "ENB7", C1, "C1", "EUtranCellFDD", _t(9, 30), 900),
            ("RRC.ConnEstabAtt.sum", "RRC.ConnEstabSucc.sum", "DRB.IPVolDl"),
            [None, None, 12.5],
            True,
        ),
        (
            *("", "ENB7", "ManagedElement=ENB7", "ENB7", "ManagedElement", _t(10, 0), 3600),
            ("RRU.CellUnavailableTime.sum",),
            [None],
            False,
        ),
        (
            *("", "ENB7", "ManagedElement=ENB7,Cell=C2", "C2", "Cell", _t(9, 15), 900),
            (
                "RRC.ConnEstabTime.Bin[0]",
                "RRC.ConnEstabTime.Bin[1]",
                "RRC.ConnEstabTime.Bin[2]",
                "RRC.ConnEstabAtt.sum",
            ),
            [3.0, 5.0, 0.0, 7.0],
            False,
        ),
    ]
    assert (pm.ne, pm.period_start, pm.period_end, pm.gran_s) == (
        "ENB7",
        _t(9, 0),
        _t(10, 0),
        None,  # 15-minute and hourly blocks
    )


def test_it_takes_columns_in_any_order_without_suspect_and_with_crlf() -> None:
    data = (
        b"\xef\xbb\xbfCounter,Value,NE,Object,Gran_s,Period_End\r\n"
        b"pmA,1,ENB7,ENB7,900,2026-03-02T09:15:00Z\r\n"
        b"\r\n"
        b"pmB,2,ENB7,ENB7,900,2026-03-02T09:15:00Z\r\n"
    )
    (block,) = parse_pm(data, "x.csv").blocks
    assert (block.object, block.cell, block.object_class) == (
        "ManagedElement=ENB7",
        "ENB7",
        "ManagedElement",
    )
    assert (block.counters, block.values, block.suspect) == (("pmA", "pmB"), [1.0, 2.0], False)


def test_it_reads_gzip_csv() -> None:
    assert parse_pm(gzip.compress(CSV.encode()), "enb7.csv.gz").blocks == (
        parse_pm(CSV.encode(), "enb7.csv").blocks
    )


GOOD_LINE = "ENB7,C1,2026-03-02T09:15:00Z,900,pmA,1,\n"
LINE_CASES = [
    ("ENB7,C1,2026-03-02T09:15:00Z,900,pmA,1\n", "6 fields where the header has 7"),
    (",C1,2026-03-02T09:15:00Z,900,pmA,1,\n", "ne is empty"),
    (
        "ENB7,C1,2026-03-02 09:15,900,pmA,1,\n",
        "period_end '2026-03-02 09:15' is not an ISO 8601 date-time with a UTC offset",
    ),
    (
        "ENB7,C1,2026-03-02T09:15:00Z,15m,pmA,1,\n",
        "gran_s '15m' is not a positive whole number of seconds",
    ),
    (
        "ENB7,C1,2026-03-02T09:15:00Z,0,pmA,1,\n",
        "gran_s '0' is not a positive whole number of seconds",
    ),
    ("ENB7,C1,2026-03-02T09:15:00Z,900,,1,\n", "counter is empty"),
    ("ENB7,C1,2026-03-02T09:15:00Z,900,pmB,one,\n", "value 'one' is not a number"),
    ("ENB7,C1,2026-03-02T09:15:00Z,900,pmB,inf,\n", "value 'inf' is not a number"),
    ("ENB7,C1,2026-03-02T09:15:00Z,900,pmB,2,yes\n", "suspect 'yes' is neither true nor false"),
    (
        "ENB7,C1,2026-03-02T09:15:00Z,900,pmA,2,\n",
        "counter 'pmA' is repeated for this object and period (first on line 2)",
    ),
]


@pytest.mark.parametrize(("line", "reason"), LINE_CASES, ids=[c[1][:30] for c in LINE_CASES])
def test_it_rejects_a_bad_line_with_its_number(line: str, reason: str) -> None:
    data = (HEADER + GOOD_LINE + "\n" + line).encode()
    with pytest.raises(PmFileError) as caught:
        parse_pm(data, "x.csv")
    assert (caught.value.line, caught.value.reason) == (4, reason)


@pytest.mark.parametrize(("line", "reason"), LINE_CASES, ids=[c[1][:30] for c in LINE_CASES])
def test_it_leaves_out_a_bad_line_and_records_it_when_lenient(line: str, reason: str) -> None:
    pm = parse_pm((HEADER + GOOD_LINE + "\n" + line).encode(), "x.csv", lenient=True)
    assert pm.rejected == [Rejection(4, reason)]
    assert [(b.counters, b.values) for b in pm.blocks] == [(("pmA",), [1.0])]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("ne,object,period_end,gran_s,counter\n", "missing column 'value'"),
        ("ne,object,period_end,gran_s,counter,value,unit\n", "unknown column 'unit'"),
        ("ne,object,period_end,gran_s,counter,value,value\n", "a repeated column"),
    ],
)
def test_it_rejects_a_wrong_header_on_line_1(header: str, reason: str) -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm((header + GOOD_LINE).encode(), "x.csv", lenient=True)
    assert (caught.value.line, caught.value.reason) == (
        1,
        f"{reason}; the header is ne,object,period_end,gran_s,counter,value[,suspect] in any order",
    )


def test_it_rejects_csv_that_cannot_be_split_even_when_lenient() -> None:
    data = (HEADER + GOOD_LINE + 'ENB7,C1,2026-03-02T09:15:00Z,900,pmB,"2"x",\n').encode()
    with pytest.raises(PmFileError) as caught:
        parse_pm(data, "x.csv", lenient=True)
    assert caught.value.line == 3
    assert caught.value.reason.startswith("the CSV is malformed")
