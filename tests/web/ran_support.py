"""The ``/ran`` page tests' PM files and steps (log in, upload through the page).

``two_days()`` is a small TS 32.435 file: ENB7's cells C1 and C2, hourly, from
08:00 to 12:00 UTC on 2026-03-01 (N-1) and 2026-03-02 (N).

RRC (``RRC.ConnEstabAtt.sum``/``RRC.ConnEstabSucc.sum``, list form): C1 makes 1,000
attempts an hour, 990 successful on the 1st (99 %) and 950 on the 2nd (95 %); C2 makes 500,
495 successful on both days (99 %). Over both cells: 5,940/6,000 = 99 % then
5,780/6,000 = 96.33 % (1,445/1,500 each hour).

PRB (``RRU.PrbTotDl``, a mean in %, ``p=`` form): C1 40, 42, 44, 46 then 60, 62, 64, 66;
C2 50, 52, 54, 56 then 30, 32, 34, 36. The cells' hourly means are 45, 47, 49, 51 on both
days.
"""

from __future__ import annotations

import httpx
import lxml.html
from fastapi.testclient import TestClient
from tests.incidents.test_console_pages import _csrf as csrf_of
from tests.incidents.test_console_pages import _log_in as log_in

__all__ = ["BROKEN", "HALF_BROKEN", "csrf_of", "log_in", "two_days", "upload"]

NS = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"
CELLS = ("C1", "C2")
HOURS = (9, 10, 11, 12)  # the end of each hourly period, UTC
RRC = {  # (day, cell): (attempts, successes) of every hour
    ("01", "C1"): (1000, 990),
    ("02", "C1"): (1000, 950),
    ("01", "C2"): (500, 495),
    ("02", "C2"): (500, 495),
}
PRB = {
    ("01", "C1"): (40, 42, 44, 46),
    ("02", "C1"): (60, 62, 64, 66),
    ("01", "C2"): (50, 52, 54, 56),
    ("02", "C2"): (30, 32, 34, 36),
}


def _dn(cell: str) -> str:
    return f"ManagedElement=ENB7,EUtranCellFDD={cell}"


def _hour(day: str, hour: int) -> str:
    """The RRC measInfo (list form) and the PRB one (``p=`` form) of the hour ending at
    ``hour`` on day ``day``."""
    period = f'<granPeriod duration="PT3600S" endTime="2026-03-{day}T{hour:02d}:00:00Z"/>'
    rrc = "".join(
        f'\n      <measValue measObjLdn="{_dn(c)}"><measResults>'
        f"{RRC[day, c][0]} {RRC[day, c][1]}</measResults></measValue>"
        for c in CELLS
    )
    prb = "".join(
        f'\n      <measValue measObjLdn="{_dn(c)}"><r p="1">'
        f"{PRB[day, c][HOURS.index(hour)]}</r></measValue>"
        for c in CELLS
    )
    return f"""
    <measInfo measInfoId="RRC">
      {period}
      <measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum</measTypes>{rrc}
    </measInfo>
    <measInfo measInfoId="PRB">
      {period}
      <measType p="1">RRU.PrbTotDl</measType>{prb}
    </measInfo>"""


def _file(ne: str, body: str) -> bytes:
    """A measCollecFile of NE ``ne``; ``body`` (its measInfo blocks) starts on line 6."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<measCollecFile xmlns="{NS}">
  <fileHeader fileFormatVersion="32.435 V10.0" vendorName="Acme" dnPrefix="SubNetwork=1"/>
  <measData>
    <managedElement localDn="ManagedElement={ne}"/>{body}
  </measData>
</measCollecFile>
""".encode()


def two_days() -> bytes:
    return _file("ENB7", "".join(_hour(d, h) for d in ("01", "02") for h in HOURS))


# A file whose only measInfo has two counters and one value (line 9): rejected whole.
BROKEN = _file(
    "ENB7",
    f"""
    <measInfo measInfoId="RRC">
      <granPeriod duration="PT3600S" endTime="2026-03-02T13:00:00Z"/>
      <measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum</measTypes>
      <measValue measObjLdn="{_dn("C1")}"><measResults>7</measResults></measValue>
    </measInfo>""",
)

# For --lenient: the RRC measInfo is good, the PRB one names no counter at p="2" (line 15).
HALF_BROKEN = _file(
    "ENB8",
    """
    <measInfo measInfoId="RRC">
      <granPeriod duration="PT3600S" endTime="2026-03-02T10:00:00Z"/>
      <measTypes>RRC.ConnEstabAtt.sum RRC.ConnEstabSucc.sum</measTypes>
      <measValue measObjLdn="ManagedElement=ENB8,EUtranCellFDD=C9"><measResults>10 9</measResults>
      </measValue>
    </measInfo>
    <measInfo measInfoId="PRB">
      <granPeriod duration="PT3600S" endTime="2026-03-02T10:00:00Z"/>
      <measType p="1">RRU.PrbTotDl</measType>
      <measValue measObjLdn="ManagedElement=ENB8,EUtranCellFDD=C9"><r p="2">40</r></measValue>
    </measInfo>""",
)


def upload(
    client: TestClient, *files: tuple[str, bytes], lenient: bool = False, **headers: str
) -> httpx.Response:
    """Import files through the page's form, with the page's CSRF token."""
    token = csrf_of(client.get("/ran").text)
    data = {"csrf_token": token, **({"lenient": "1"} if lenient else {})}
    parts = [("files", (name, content, "application/xml")) for name, content in files]
    return client.post("/ran/upload", data=data, files=parts, headers=headers)


def tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def point_titles(page: lxml.html.HtmlElement, kpi: str, series: str) -> list[str]:
    """The ``<title>`` of each point of one series (``N-1`` or ``N``) of a KPI's chart."""
    found = page.xpath(
        f'//figure[@data-kpi="{kpi}"]//g[@data-series="{series}"]/*[local-name()="circle"]'
    )
    return [text(circle) for circle in found]


def comparison_rows(page: lxml.html.HtmlElement) -> list[tuple[str, ...]]:
    """(KPI, scope, N-1, N, change, verdict, test, p-value) of each comparison row."""
    rows = []
    for row in page.xpath('//table[@class="comparison"]/tbody/tr'):
        cells = [text(c) for c in row.xpath("./th|./td")]
        verdict = text(row.xpath('.//span[contains(@class, "verdict")]')[0])
        rows.append((*cells[:5], verdict.split()[-1], *cells[6:]))
    return rows
