"""Small PM files written by hand for the import tests (TS 32.435 XML and the simple CSV).

``rrc_file`` holds, for one NE and one 15-minute period, an RRC measInfo in the list form
(two cells, C2 suspect with a NIL) and a PRB measInfo in the ``p=`` form (one cell):
3 blocks, 6 values, 1 suspect block.
"""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

NS = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"


def rrc_file(ne: str = "ENB7", end: str = "09:15", att: int = 100) -> bytes:
    """A 32.435 file of NE ``ne`` for the 15 minutes ending at ``end`` on 2026-03-02 UTC;
    ``att`` (C1's RRC attempts) makes files of the same period differ."""
    hour, minute = (int(part) for part in end.split(":"))
    start = f"{(hour * 60 + minute - 15) // 60:02d}:{(hour * 60 + minute - 15) % 60:02d}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0" vendorName="Acme" dnPrefix="SubNetwork=1">
    <fileSender elementType="ENB"/>
    <measCollec beginTime="2026-03-02T{start}:00+00:00"/>
  </fileHeader>
  <measData>
    <managedElement localDn="ManagedElement={ne}"/>
    <measInfo measInfoId="RRC">
      <granPeriod duration="PT900S" endTime="2026-03-02T{end}:00+00:00"/>
      <measTypes>RRC.ConnEstabAtt RRC.ConnEstabSucc</measTypes>
      <measValue measObjLdn="ManagedElement={ne},EUtranCellFDD=C1">
        <measResults>{att} 98</measResults>
      </measValue>
      <measValue measObjLdn="ManagedElement={ne},EUtranCellFDD=C2">
        <measResults>50 NIL</measResults>
        <suspect>true</suspect>
      </measValue>
    </measInfo>
    <measInfo measInfoId="PRB">
      <granPeriod duration="PT900S" endTime="2026-03-02T{end}:00+00:00"/>
      <measType p="1">RRU.PrbUsedDl</measType>
      <measType p="2">RRU.PrbAvailDl</measType>
      <measValue measObjLdn="ManagedElement={ne},EUtranCellFDD=C1">
        <r p="1">40</r>
        <r p="2">100</r>
      </measValue>
    </measInfo>
  </measData>
  <fileFooter>
    <measCollec endTime="2026-03-02T{end}:00+00:00"/>
  </fileFooter>
</measCollecFile>
""".encode()


# One NE-level counter over an hour for ENB9 (2 values, 1 block, period 09:00–10:00 UTC).
CSV_FILE = (
    b"ne,object,period_end,gran_s,counter,value\n"
    b"ENB9,,2026-03-02T10:00:00Z,3600,RRC.ConnEstabAtt,7\n"
    b"ENB9,,2026-03-02T10:00:00Z,3600,RRC.ConnEstabSucc,7\n"
)

# The RRC measInfo is good; the PRB measInfo has one value for two counters (line 19).
BROKEN_FILE = f"""<?xml version="1.0" encoding="UTF-8"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0" vendorName="Acme" dnPrefix="SubNetwork=1">
    <measCollec beginTime="2026-03-02T09:00:00+00:00"/>
  </fileHeader>
  <measData>
    <managedElement localDn="ManagedElement=ENB8"/>
    <measInfo measInfoId="RRC">
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00+00:00"/>
      <measTypes>RRC.ConnEstabAtt RRC.ConnEstabSucc</measTypes>
      <measValue measObjLdn="ManagedElement=ENB8,EUtranCellFDD=C1">
        <measResults>10 9</measResults>
      </measValue>
    </measInfo>
    <measInfo measInfoId="PRB">
      <granPeriod duration="PT900S" endTime="2026-03-02T09:15:00+00:00"/>
      <measTypes>RRU.PrbUsedDl RRU.PrbAvailDl</measTypes>
      <measValue measObjLdn="ManagedElement=ENB8,EUtranCellFDD=C1">
        <measResults>40</measResults>
      </measValue>
    </measInfo>
  </measData>
  <fileFooter>
    <measCollec endTime="2026-03-02T09:15:00+00:00"/>
  </fileFooter>
</measCollecFile>
""".encode()
BROKEN_LINE = 19
BROKEN_REASON = "measValue 'ManagedElement=ENB8,EUtranCellFDD=C1' has 1 values for 2 counters"


def upload(
    client: TestClient,
    auth: dict[str, str],
    *files: tuple[str, bytes],
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> httpx.Response:
    """``POST /api/pm/files`` with each ``(name, content)`` as a part named ``files``."""
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/api/pm/files", files=parts, headers=auth, params=params, data=data)
