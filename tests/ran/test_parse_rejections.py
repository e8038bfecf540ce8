"""Wrong PM files: each reason with its line, the whole file or (lenient) one measInfo."""

from __future__ import annotations

import gzip
import time

import pytest

from kpiwatch.ran.measurements import PmFileError, Rejection
from kpiwatch.ran.parse import parse_pm
from kpiwatch.ran.parse_xml import CHUNK

NS = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"
C1 = "'ManagedElement=ENB7,EUtranCellFDD=C1'"

# Line numbers are the file's: 6 the RRC measInfo, 7 its granPeriod, 10 its measResults;
# 13 the PRB measInfo, 15–16 its measTypes, 18–19 its r, 20 its suspect.
GOOD = f"""<?xml version="1.0" encoding="UTF-8"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0"/>
  <measData>
    <managedElement localDn="ManagedElement=ENB7"/>
    <measInfo measInfoId="RRC">
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00Z"/>
      <measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum</measTypes>
      <measValue measObjLdn="ManagedElement=ENB7,EUtranCellFDD=C1">
        <measResults>100 98</measResults>
      </measValue>
    </measInfo>
    <measInfo measInfoId="PRB">
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00Z"/>
      <measType p="1">RRU.PrbUsedDl</measType>
      <measType p="2">RRU.PrbAvailDl</measType>
      <measValue measObjLdn="ManagedElement=ENB7,EUtranCellFDD=C1">
        <r p="1">40</r>
        <r p="2">100</r>
        <suspect>false</suspect>
      </measValue>
    </measInfo>
  </measData>
</measCollecFile>
"""
GRAN = '<granPeriod duration="PT900S" endTime="2026-03-02T09:15:00Z"/>'

# (what to replace — its first occurrence, by what, the line, the reason, the measInfo)
CASES = [
    (
        "<measResults>100 98<",
        "<measResults>100<",
        10,
        f"measValue {C1} has 1 values for 2 counters",
        "RRC",
    ),
    (
        "<measResults>100 98<",
        "<measResults>100 98 97<",
        10,
        f"measValue {C1} has 3 values for 2 counters",
        "RRC",
    ),
    ('<r p="2">100</r>', '<r p="3">100</r>', 19, "r p='3' names no measType", "PRB"),
    (GRAN, '<job jobId="1"/>', 6, "measInfo has no granPeriod", "RRC"),
    (
        "PT900S",
        "PT15",
        7,
        "granPeriod duration 'PT15' is not an ISO 8601 duration",
        "RRC",
    ),
    (
        "PT900S",
        "PT0S",
        7,
        "granPeriod duration 'PT0S' is not an ISO 8601 duration",
        "RRC",
    ),
    (
        "2026-03-02T09:15:00Z",
        "2026-03-02T09:15:00",
        7,
        "granPeriod endTime '2026-03-02T09:15:00' is not a date-time with a UTC offset",
        "RRC",
    ),
    (
        "2026-03-02T09:15:00Z",
        "02/03/2026 09:15",
        7,
        "granPeriod endTime '02/03/2026 09:15' is not a date-time with a UTC offset",
        "RRC",
    ),
    (
        "<measResults>100 98<",
        "<measResults>100 9x8<",
        10,
        f"measValue {C1} has a value '9x8' that is not a number",
        "RRC",
    ),
    (
        "<measResults>100 98<",
        "<measResults>nan 98<",
        10,
        f"measValue {C1} has a value 'nan' that is not a number",
        "RRC",
    ),
    (
        "<measResults>100 98<",
        "<measResults>1_000 98<",
        10,
        f"measValue {C1} has a value '1_000' that is not a number",
        "RRC",
    ),
    (
        "<measResults>100 98<",
        "<measResults>100 3,x,1<",
        10,
        f"measValue {C1} has a value 'x' that is not a number",
        "RRC",
    ),
    (
        '<r p="2">100</r>',
        '<r p="2">true</r>',
        19,
        f"measValue {C1} has a value 'true' that is not a number",
        "PRB",
    ),
    (
        "<suspect>false<",
        "<suspect>maybe<",
        20,
        "suspect 'maybe' is neither true nor false",
        "PRB",
    ),
    ('<measType p="2">', '<measType p="1">', 16, "measType p='1' has a repeated p", "PRB"),
    (
        '<measType p="2">RRU.PrbAvailDl<',
        '<measType p="2"><',
        16,
        "measType p='2' has no name",
        "PRB",
    ),
    (
        "<measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum</measTypes>",
        '<repPeriod duration="PT900S"/>',
        6,
        "measInfo has no measTypes or measType",
        "RRC",
    ),
]
IDS = [case[3].split(" ", 2)[-1][:40] for case in CASES]


@pytest.mark.parametrize(("old", "new", "line", "reason", "group"), CASES, ids=IDS)
def test_it_rejects_the_whole_file_with_the_line_and_the_reason(
    old: str, new: str, line: int, reason: str, group: str
) -> None:
    wrong = GOOD.replace(old, new, 1).encode()
    with pytest.raises(PmFileError) as caught:
        parse_pm(wrong, "enb7.xml")
    assert (caught.value.file, caught.value.line, caught.value.reason) == (
        "enb7.xml",
        line,
        reason,
    )
    assert str(caught.value) == f"enb7.xml:{line}: {reason}"


@pytest.mark.parametrize(("old", "new", "line", "reason", "group"), CASES, ids=IDS)
def test_it_keeps_the_good_measinfo_and_records_the_wrong_one_when_lenient(
    old: str, new: str, line: int, reason: str, group: str
) -> None:
    pm = parse_pm(GOOD.replace(old, new, 1).encode(), "enb7.xml", lenient=True)
    assert pm.rejected == [Rejection(line, reason, group)]
    good = parse_pm(GOOD.encode(), "enb7.xml").blocks
    assert pm.blocks == [block for block in good if block.group != group]


def test_it_is_lenient_with_several_wrong_measinfos_and_keeps_none() -> None:
    wrong = GOOD.replace("100 98", "100").replace('<r p="1">', '<r p="7">')
    pm = parse_pm(wrong.encode(), "enb7.xml", lenient=True)
    assert pm.blocks == []
    assert pm.rejected == [
        Rejection(10, f"measValue {C1} has 1 values for 2 counters", "RRC"),
        Rejection(18, "r p='7' names no measType", "PRB"),
    ]


@pytest.mark.parametrize("lenient", [False, True])
def test_it_rejects_xml_that_is_not_well_formed_even_when_lenient(lenient: bool) -> None:
    wrong = GOOD.replace("</measResults>", "</measResult>", 1).encode()
    with pytest.raises(PmFileError) as caught:
        parse_pm(wrong, "enb7.xml", lenient=lenient)
    assert caught.value.line == 10
    assert caught.value.reason.startswith("the XML is not well-formed: Opening and ending tag")


def test_it_rejects_a_truncated_file() -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm(GOOD.encode()[:-40], "enb7.xml", lenient=True)
    assert caught.value.reason.startswith("the XML is not well-formed")


def test_it_rejects_an_xml_document_that_is_no_pm_file() -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm(b'<?xml version="1.0"?>\n<html><body/></html>', "page.xml")
    assert (caught.value.line, caught.value.reason) == (
        2,
        "<html> is neither a TS 32.435 measCollecFile nor a TS 28.532 measDataFile",
    )


BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE measCollecFile [\n <!ENTITY a "aaaaaaaaaa">\n'
    + b"".join(
        f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(9)
    )
    + b"]>\n"
    + f'<measCollecFile xmlns="{NS}">\n'.encode()
    + b'  <fileHeader fileFormatVersion="&j;"/>\n'
    + b"  <measData><measInfo><measTypes>&j;</measTypes></measInfo></measData>\n"
    + b"</measCollecFile>\n"
)


BOMB_IN_TEXT = BOMB.replace(b'fileFormatVersion="&j;"', b'fileFormatVersion="1"')
# past the first chunk, looked at before parsing: libxml2's own guards stop it
FAR = b"?>\n<!--" + b"x" * (CHUNK + 1000) + b"-->\n"
BOMB_FAR = BOMB.replace(b"?>\n", FAR, 1)
BOMB_IN_TEXT_FAR = BOMB_IN_TEXT.replace(b"?>\n", FAR, 1)


@pytest.mark.parametrize(
    ("bomb", "line", "reason"),
    [
        (BOMB, 2, "a document type declaration is not allowed"),
        (BOMB_IN_TEXT, 2, "a document type declaration is not allowed"),
        (BOMB_FAR, 16, "the XML is not well-formed: Maximum entity amplification"),
        (BOMB_IN_TEXT_FAR, 1, "the XML is not well-formed: Maximum entity amplification"),
    ],
)
@pytest.mark.parametrize("lenient", [False, True])
def test_it_rejects_an_entity_expansion_bomb_at_once(
    bomb: bytes, line: int, reason: str, lenient: bool
) -> None:
    began = time.perf_counter()
    with pytest.raises(PmFileError) as caught:
        parse_pm(bomb, "bomb.xml", lenient=lenient)
    assert time.perf_counter() - began < 0.5
    assert caught.value.file == "bomb.xml"
    assert (caught.value.line, caught.value.reason[: len(reason)]) == (line, reason)


def test_it_rejects_a_document_type_declaration_and_never_reads_an_external_entity() -> None:
    xxe = GOOD.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n',
    ).replace("100 98", "&x; 98")
    with pytest.raises(PmFileError) as caught:
        parse_pm(xxe.encode(), "xxe.xml")
    assert (caught.value.line, caught.value.reason) == (
        1,
        "a document type declaration is not allowed",
    )


def test_it_stops_decompressing_past_the_limit() -> None:
    packed = gzip.compress(GOOD.encode().replace(b"<measData>", b"<measData>" + b" " * 500_000))
    assert len(packed) < 5_000
    with pytest.raises(PmFileError) as caught:
        parse_pm(packed, "big.xml.gz", max_bytes=100_000)
    assert (caught.value.line, caught.value.reason) == (
        None,
        "more than 100,000 bytes once decompressed",
    )
    assert parse_pm(packed, "big.xml.gz").values_count == 4


PACKED = gzip.compress(GOOD.encode())


@pytest.mark.parametrize(
    "damaged",
    [
        PACKED[:-30],  # cut short
        PACKED[:-8] + b"\0\0\0\0" + PACKED[-4:],  # a wrong CRC
        PACKED[:40] + bytes([PACKED[40] ^ 0xFF]) + PACKED[41:],  # a flipped byte
        PACKED + b"garbage",
    ],
)
def test_it_rejects_damaged_gzip(damaged: bytes) -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm(damaged, "cut.xml.gz")
    assert caught.value.reason.startswith("the gzip data is damaged")


@pytest.mark.parametrize("data", [b"", b" \n\t\n", gzip.compress(b""), b"\xef\xbb\xbf\n"])
def test_it_rejects_an_empty_file(data: bytes) -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm(data, "empty.xml")
    assert (caught.value.line, caught.value.reason) == (None, "the file is empty")


def test_it_rejects_bytes_that_are_neither_xml_nor_text() -> None:
    with pytest.raises(PmFileError) as caught:
        parse_pm(b"\x89PNG\r\n\x1a\n\x00\x00", "image.png")
    assert caught.value.reason.startswith("neither XML nor UTF-8 CSV text")


def test_it_reads_utf16_xml_by_its_byte_order_mark() -> None:
    utf16 = GOOD.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse_pm(utf16, "enb7.xml").blocks == parse_pm(GOOD.encode(), "enb7.xml").blocks


@pytest.mark.parametrize("lenient", [False, True])
def test_it_rejects_a_file_whose_own_times_are_wrong_even_when_lenient(lenient: bool) -> None:
    wrong = GOOD.replace(
        '<fileHeader fileFormatVersion="32.435 V10.0"/>',
        '<fileHeader fileFormatVersion="32.435 V10.0">\n'
        '    <measCollec beginTime="yesterday"/></fileHeader>',
    )
    with pytest.raises(PmFileError) as caught:
        parse_pm(wrong.encode(), "enb7.xml", lenient=lenient)
    assert (caught.value.line, caught.value.reason) == (
        4,
        "beginTime 'yesterday' is not a date-time with a UTC offset",
    )
