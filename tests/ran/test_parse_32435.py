"""TS 32.435 measCollecFile: both counter forms, missing values, suspect, multi-values, names."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kpiwatch.ran import parse
from kpiwatch.ran.parse import parse_path, parse_pm

NS = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"

# Two measInfos for ENB7 over 10:00–10:15 at +01:00 (09:00–09:15 UTC): the list form with
# a PDF counter (3 bins) for two cells, C2 suspect with a NIL; the p= form for C1 with an
# r left out, an empty r and a NULL.
LIST_AND_P = f"""<?xml version="1.0" encoding="UTF-8"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0" dnPrefix="DC=acme.example,SubNetwork=1">
    <fileSender localDn="ManagedElement=ENB7" elementType="ENB"/>
    <measCollec beginTime="2026-03-02T10:00:00+01:00"/>
  </fileHeader>
  <measData>
    <managedElement localDn="ManagedElement=ENB7" userLabel="Telecomville 7" swVersion="R1"/>
    <measInfo measInfoId="RRC">
      <job jobId="12"/>
      <granPeriod duration="PT900S" endTime="2026-03-02T10:15:00+01:00"/>
      <repPeriod duration="PT900S"/>
      <measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum RRC.ConnEstabTime.Bin</measTypes>
      <measValue measObjLdn="ManagedElement=ENB7,ENodeBFunction=1,EUtranCellFDD=C1">
        <measResults>100 98 3,5,0</measResults>
        <suspect>false</suspect>
      </measValue>
      <measValue measObjLdn="ManagedElement=ENB7,ENodeBFunction=1,EUtranCellFDD=C2">
        <measResults>50 NIL 1,0,2</measResults>
        <suspect>true</suspect>
      </measValue>
    </measInfo>
    <measInfo measInfoId="PRB">
      <job jobId="13"/>
      <granPeriod duration="PT15M" endTime="2026-03-02T10:15:00+01:00"/>
      <repPeriod duration="PT15M"/>
      <measType p="1">RRU.PrbUsedDl</measType>
      <measType p="2">RRU.PrbAvailDl</measType>
      <measType p="3">RRU.PrbUsedUl</measType>
      <measType p="4">RRU.PrbAvailUl</measType>
      <measType p="5">RRU.CellUnavailableTime.sum</measType>
      <measValue measObjLdn="ManagedElement=ENB7,ENodeBFunction=1,EUtranCellFDD=C1">
        <r p="2">100.5</r>
        <r p="1">40</r>
        <r p="4"></r>
        <r p="5">NULL</r>
      </measValue>
    </measInfo>
  </measData>
  <fileFooter>
    <measCollec endTime="2026-03-02T10:15:00+01:00"/>
  </fileFooter>
</measCollecFile>
""".encode()

END = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
PREFIX = "DC=acme.example,SubNetwork=1,"


def test_it_reads_the_list_form_with_multi_values_and_nil() -> None:
    pm = parse_pm(LIST_AND_P, "ENB7.xml")
    c1, c2 = pm.blocks[:2]
    assert c1.group == "RRC"
    assert c1.counters == (
        "RRC.ConnEstabAtt.sum",
        "RRC.ConnEstabSucc.sum",
        "RRC.ConnEstabTime.Bin[0]",
        "RRC.ConnEstabTime.Bin[1]",
        "RRC.ConnEstabTime.Bin[2]",
    )
    assert c1.values == [100.0, 98.0, 3.0, 5.0, 0.0]
    assert c2.values == [50.0, None, 1.0, 0.0, 2.0]
    assert (c1.suspect, c2.suspect) == (False, True)
    assert (c1.period_end, c1.gran_s, c1.period_start) == (
        END,
        900,
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )


def test_it_reads_the_p_form_in_measType_order_with_missing_values() -> None:
    prb = parse_pm(LIST_AND_P, "ENB7.xml").blocks[2]
    assert prb.group == "PRB"
    assert prb.counters == (
        "RRU.PrbUsedDl",
        "RRU.PrbAvailDl",
        "RRU.PrbUsedUl",
        "RRU.PrbAvailUl",
        "RRU.CellUnavailableTime.sum",
    )
    # p=3 is left out, p=4 is empty, p=5 is NULL: all three are missing
    assert prb.values == [40.0, 100.5, None, None, None]
    assert (prb.period_end, prb.gran_s, prb.suspect) == (END, 900, False)


def test_it_names_objects_with_the_dn_prefix_and_derives_ne_cell_and_class() -> None:
    c1 = parse_pm(LIST_AND_P, "ENB7.xml").blocks[0]
    assert c1.object == PREFIX + "ManagedElement=ENB7,ENodeBFunction=1,EUtranCellFDD=C1"
    assert (c1.ne, c1.cell, c1.object_class) == ("ENB7", "C1", "EUtranCellFDD")


def test_it_gives_the_file_facts_from_its_header_and_footer() -> None:
    pm = parse_pm(LIST_AND_P, "ENB7.xml")
    assert pm.format == "32.435"
    assert pm.name == "ENB7.xml"
    assert pm.sha256 == hashlib.sha256(LIST_AND_P).hexdigest()
    assert pm.size_bytes == len(LIST_AND_P)
    assert pm.ne == "ENB7"
    assert (pm.period_start, pm.period_end, pm.gran_s) == (
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        END,
        900,
    )
    assert pm.values_count == 5 + 5 + 5
    assert pm.rejected == []


def test_it_reads_gzip_by_its_magic_bytes_and_hashes_the_compressed_bytes() -> None:
    packed = gzip.compress(LIST_AND_P)
    pm = parse_pm(packed, "no-extension")
    assert pm.blocks == parse_pm(LIST_AND_P, "ENB7.xml").blocks
    assert pm.sha256 == hashlib.sha256(packed).hexdigest()
    assert pm.size_bytes == len(packed)


def _one_value(managed: str, ldn: str | None, prefix: str = "") -> str:
    header = f' dnPrefix="{prefix}"' if prefix else ""
    obj = "" if ldn is None else f' measObjLdn="{ldn}"'
    return f"""<?xml version="1.0"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0"{header}/>
  <measData>
    <managedElement {managed}/>
    <measInfo measInfoId="X">
      <granPeriod duration="PT1H" endTime="2026-03-02T10:00:00Z"/>
      <measTypes>pmA</measTypes>
      <measValue{obj}><measResults>7</measResults></measValue>
    </measInfo>
  </measData>
</measCollecFile>
"""


def _block_of(xml: str, name: str = "x.xml") -> tuple[str, str, str, str]:
    block = parse_pm(xml.encode(), name).blocks[0]
    return block.object, block.ne, block.cell, block.object_class


def test_it_takes_the_ne_of_the_managed_element_and_the_cell_of_the_last_part() -> None:
    xml = _one_value('localDn="ManagedElement=ENB7"', "ManagedElement=ENB7,EUtranCellFDD=C1")
    assert _block_of(xml) == (
        "ManagedElement=ENB7,EUtranCellFDD=C1",
        "ENB7",
        "C1",
        "EUtranCellFDD",
    )


def test_it_gives_an_object_that_is_the_managed_element_its_ne_as_cell() -> None:
    xml = _one_value('localDn="SubNetwork=1,ManagedElement=ENB7"', "ManagedElement=ENB7")
    assert _block_of(xml) == (
        "SubNetwork=1,ManagedElement=ENB7",
        "ENB7",
        "ENB7",
        "ManagedElement",
    )


def test_it_takes_a_value_without_measObjLdn_as_the_managed_element_itself() -> None:
    xml = _one_value('localDn="ManagedElement=ENB7"', None, prefix="SubNetwork=1")
    assert _block_of(xml) == (
        "SubNetwork=1,ManagedElement=ENB7",
        "ENB7",
        "ENB7",
        "ManagedElement",
    )


def test_it_names_the_ne_by_its_mecontext_when_every_managed_element_is_1() -> None:
    # Ericsson: the NE's name is in MeContext, every node's ManagedElement is "1"
    xml = _one_value(
        'localDn="SubNetwork=RAN,MeContext=ERBS42" userLabel="ERBS42"',
        "ManagedElement=1,ENodeBFunction=1,EUtranCellFDD=ERBS42-3",
        prefix="SubNetwork=RAN",
    )
    assert _block_of(xml) == (
        "SubNetwork=RAN,MeContext=ERBS42,ManagedElement=1,ENodeBFunction=1,EUtranCellFDD=ERBS42-3",
        "ERBS42",
        "ERBS42-3",
        "EUtranCellFDD",
    )


def test_it_names_the_ne_by_its_mecontext_when_its_managed_element_is_numbered() -> None:
    xml = _one_value('localDn="MeContext=ERBS42,ManagedElement=1"', "EUtranCellFDD=C1")
    assert _block_of(xml) == (
        "MeContext=ERBS42,ManagedElement=1,EUtranCellFDD=C1",
        "ERBS42",
        "C1",
        "EUtranCellFDD",
    )


def test_it_keeps_the_ne_level_objects_of_two_ericsson_nodes_apart() -> None:
    names = {
        _block_of(_one_value(f'localDn="MeContext={ne}"', "ManagedElement=1,ENodeBFunction=1"))
        for ne in ("ERBS1", "ERBS2")
    }
    assert names == {
        ("MeContext=ERBS1,ManagedElement=1,ENodeBFunction=1", "ERBS1", "1", "ENodeBFunction"),
        ("MeContext=ERBS2,ManagedElement=1,ENodeBFunction=1", "ERBS2", "1", "ENodeBFunction"),
    }


def test_it_puts_a_relative_ldn_under_its_managed_element_as_in_ts_32435() -> None:
    xml = _one_value(
        'localDn="SubNetwork=CountryNN,MeContext=MEC-Gbg-1,ManagedElement=RNC-Gbg-1"',
        "RncFunction=RF-1,UtranCell=Gbg-997",
        prefix="DC=a1.companyNN.com,SubNetwork=1,IRPAgent=1",
    )
    assert _block_of(xml) == (
        "DC=a1.companyNN.com,SubNetwork=1,IRPAgent=1,SubNetwork=CountryNN,"
        "MeContext=MEC-Gbg-1,ManagedElement=RNC-Gbg-1,RncFunction=RF-1,UtranCell=Gbg-997",
        "RNC-Gbg-1",
        "Gbg-997",
        "UtranCell",
    )


def test_it_writes_a_part_shared_by_the_element_and_the_ldn_once() -> None:
    xml = _one_value(
        'localDn="SubNetwork=1,ManagedElement=ENB7"', "ManagedElement=ENB7,EUtranCellFDD=C1"
    )
    assert _block_of(xml)[0] == "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD=C1"
    from_top = _one_value(
        'localDn="ManagedElement=ENB7"', "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD=C1"
    )
    assert _block_of(from_top)[0] == "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD=C1"


def test_it_falls_back_to_the_user_label_then_the_file_name_for_the_ne() -> None:
    labelled = _one_value('userLabel="ENB9"', "EUtranCellFDD=C4")
    assert _block_of(labelled)[1:] == ("ENB9", "C4", "EUtranCellFDD")
    anonymous = _one_value('swVersion="R1"', "EUtranCellFDD=C4")
    named = "A20260302.0900+0000-1000+0000_ENB11.xml"
    assert _block_of(anonymous, named) == ("EUtranCellFDD=C4", "ENB11", "C4", "EUtranCellFDD")


def test_it_keeps_several_managed_elements_apart() -> None:
    two = f"""<?xml version="1.0"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0"/>
  <measData>
    <managedElement localDn="ManagedElement=A"/>
    <measInfo>
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00Z"/>
      <measTypes>pmA</measTypes>
      <measValue><measResults>1</measResults></measValue>
    </measInfo>
  </measData>
  <measData>
    <managedElement localDn="ManagedElement=B"/>
    <measInfo>
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00Z"/>
      <measTypes>pmA</measTypes>
      <measValue><measResults>2</measResults></measValue>
    </measInfo>
  </measData>
</measCollecFile>
""".encode()
    pm = parse_pm(two, "B20260302.0900+0000-0915+0000_OSS.xml")
    assert [(b.group, b.object, b.ne, b.values) for b in pm.blocks] == [
        ("", "ManagedElement=A", "A", [1.0]),
        ("", "ManagedElement=B", "B", [2.0]),
    ]
    assert pm.ne == "OSS"  # two NEs inside: the file's own NE is its name's


@pytest.mark.parametrize(
    "tokens",
    [
        # plain JSON numbers (the fast path)
        ["0", "-3", "1e3", "2.5E-2", "0.1", "123456789012345678", "9007199254740993"],
        ["1.7976931348623157e308", "4.9e-324", "0.30000000000000004", "-0", "18446744073709551616"],
        # numbers JSON refuses (the careful path)
        ["+4", ".5", "5.", "007", "1.", "-.5e1"],
    ],
)
def test_it_reads_numbers_exactly_as_float_does(tokens: list[str]) -> None:
    xml = _one_value('localDn="ManagedElement=E"', "ManagedElement=E").replace(
        "<measTypes>pmA</measTypes>",
        "<measTypes>" + " ".join(f"c{i}" for i in range(len(tokens))) + "</measTypes>",
    )
    xml = xml.replace("<measResults>7<", "<measResults>" + " ".join(tokens) + "<")
    values = parse_pm(xml.encode(), "x.xml").blocks[0].values
    assert values == [float(token) for token in tokens]
    assert all(type(value) is float for value in values)


def test_it_accepts_values_split_over_lines_and_extra_spaces() -> None:
    xml = _one_value('localDn="ManagedElement=E"', "ManagedElement=E").replace(
        "<measTypes>pmA</measTypes>", "<measTypes>\n  pmA pmB\n  pmC </measTypes>"
    )
    xml = xml.replace("<measResults>7<", "<measResults>\n 1   2\n\t3 <")
    block = parse_pm(xml.encode(), "x.xml").blocks[0]
    assert (block.counters, block.values) == (("pmA", "pmB", "pmC"), [1.0, 2.0, 3.0])


def test_it_reads_the_same_bytes_to_the_same_result() -> None:
    # what makes a re-import of the same file a no-op: the same hash and the same blocks
    first, second = parse_pm(LIST_AND_P, "ENB7.xml"), parse_pm(LIST_AND_P, "ENB7.xml")
    assert first == second
    assert first.blocks[0].values is not second.blocks[0].values


@pytest.mark.parametrize("pack", [bytes, gzip.compress])
def test_it_reads_a_file_fed_in_many_small_chunks(
    pack: Callable[[bytes], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = parse_pm(LIST_AND_P, "ENB7.xml")
    monkeypatch.setattr(parse, "CHUNK", 37)
    pieces = parse_pm(pack(LIST_AND_P), "ENB7.xml")
    assert pieces.blocks == whole.blocks
    assert (pieces.ne, pieces.period_start, pieces.period_end) == (
        whole.ne,
        whole.period_start,
        whole.period_end,
    )


def test_it_reads_a_file_on_disk_under_its_base_name(tmp_path: Path) -> None:
    path = tmp_path / "A20260302.1000+0100-1015+0100_ENB7.xml.gz"
    path.write_bytes(gzip.compress(LIST_AND_P))
    pm = parse_path(path)
    assert pm.name == "A20260302.1000+0100-1015+0100_ENB7.xml.gz"
    assert pm.blocks == parse_pm(LIST_AND_P, "ENB7.xml").blocks


def test_it_reads_every_member_of_a_multi_member_gzip_and_ignores_zero_padding() -> None:
    half = len(LIST_AND_P) // 2
    packed = gzip.compress(LIST_AND_P[:half]) + gzip.compress(LIST_AND_P[half:]) + b"\0" * 64
    assert parse_pm(packed, "x.gz").blocks == parse_pm(LIST_AND_P, "x.xml").blocks
