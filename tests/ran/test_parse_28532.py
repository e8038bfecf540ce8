"""TS 28.532/28.550 measDataFile: measEntity, namespaces, and a PI before the declaration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpiwatch.ran.measurements import PmFileError
from kpiwatch.ran.parse import parse_pm

NS_28532 = "http://www.3gpp.org/ftp/specs/archive/28_series/28.532#measData"
NS_28550 = "http://www.3gpp.org/ftp/specs/archive/28_series/28.550#measData"


def measdata(namespace: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f"""{prolog}<measDataFile{xmlns}>
  <fileHeader fileFormatVersion="28.532 V16.0" dnPrefix="SubNetwork=1">
    <fileSender senderName="SubNetwork=1,ManagedElement=GNB3" senderType="gNB"/>
    <measData beginTime="2026-03-02T18:00:00+09:00"/>
  </fileHeader>
  <measData>
    <measEntity localDn="ManagedElement=GNB3" userLabel="gnb three" swVersion="1.0"/>
    <measInfo measInfoId="NRCellDU">
      <job jobId="5"/>
      <granPeriod duration="PT900S" endTime="2026-03-02T18:15:00+09:00"/>
      <repPeriod duration="PT900S"/>
      <measType p="1">RRU.PrbUsedDl</measType>
      <measType p="2">RRU.PrbAvailDl</measType>
      <measType p="3">DRB.UEThpDl</measType>
      <measValue measObjLdn="ManagedElement=GNB3,GNBDUFunction=1,NRCellDU=N1">
        <r p="1">30</r>
        <r p="2">273</r>
        <r p="3">NIL</r>
        <suspect>true</suspect>
      </measValue>
      <measValue measObjLdn="ManagedElement=GNB3,GNBDUFunction=1,NRCellDU=N2">
        <r p="3">812.25</r>
        <r p="1">0</r>
        <r p="2">273</r>
      </measValue>
    </measInfo>
  </measData>
  <fileFooter>
    <measData endTime="2026-03-02T18:15:00+09:00"/>
  </fileFooter>
</measDataFile>
""".encode()


END = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize("namespace", [NS_28532, NS_28550, ""])
def test_it_reads_measEntity_files_of_every_known_namespace(namespace: str) -> None:
    pm = parse_pm(measdata(namespace), "gnb3.xml")
    assert pm.format == "28.532"
    assert pm.ne == "GNB3"
    assert (pm.period_start, pm.period_end, pm.gran_s) == (
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        END,
        900,
    )
    n1, n2 = pm.blocks
    assert n1.counters == ("RRU.PrbUsedDl", "RRU.PrbAvailDl", "DRB.UEThpDl")
    assert (n1.values, n1.suspect) == ([30.0, 273.0, None], True)
    assert (n2.values, n2.suspect) == ([0.0, 273.0, 812.25], False)
    assert n1.object == "SubNetwork=1,ManagedElement=GNB3,GNBDUFunction=1,NRCellDU=N1"
    assert (n1.group, n1.ne, n1.cell, n1.object_class) == ("NRCellDU", "GNB3", "N1", "NRCellDU")
    assert (n1.period_end, n1.gran_s) == (END, 900)


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml-stylesheet type="text/xsl" href="measData.xsl"?>\n<?xml version="1.0"?>\n',
        '\ufeff  <?vendor-pm build="7" ?>\n<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?a?><?b x="?"?>\n<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
    ],
)
def test_it_reads_a_file_with_processing_instructions_before_the_declaration(
    prolog: str,
) -> None:
    plain = parse_pm(measdata(NS_28532), "gnb3.xml")
    pm = parse_pm(measdata(NS_28532, prolog), "gnb3.xml")
    assert pm.blocks == plain.blocks


def test_it_keeps_the_encoding_of_a_declaration_after_a_processing_instruction() -> None:
    xml = measdata(
        NS_28532, '<?xml-stylesheet href="s.xsl"?>\n<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    )
    latin = xml.replace(b"NRCellDU=N2", "NRCellDU=Montréal".encode("latin-1"))
    assert parse_pm(latin, "gnb3.xml").blocks[1].cell == "Montréal"


def test_it_counts_lines_from_the_file_as_given_after_moving_the_declaration() -> None:
    xml = measdata(NS_28532, '<?xml-stylesheet href="s.xsl"?>\n<?xml version="1.0"?>\n')
    broken = xml.replace(b'<r p="3">812.25</r>', b'<r p="9">812.25</r>')
    with pytest.raises(PmFileError) as caught:
        parse_pm(broken, "gnb3.xml")
    # line 1 the stylesheet PI, 2 the declaration, 3 <measDataFile>, … 24 the r p="9"
    assert (caught.value.line, caught.value.reason) == (24, "r p='9' names no measType")
