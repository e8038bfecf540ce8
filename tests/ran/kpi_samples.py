"""Hand-made counters for the RAN KPI tests, uploaded as CSV files through /api/pm/files.

The hour 2026-03-02 09:00–10:00 UTC:

- ENB7 (LTE), cell C1 in 15-minute files: Q1 09:00–09:15 and Q2 09:15–09:30 with ``.sum``
  counters, and Q3 09:30–09:45 flagged suspect (its huge numbers must count nowhere);
- ENB7, cell C2 in one hourly file (09:00–10:00) that reports no ``.sum``: its RRC,
  E-RAB release, DRB volume/time and active-UE counters come as subcounters only;
- GNB1 (NR), cells N1 and N2 in 15-minute files, Q1 and Q2.

``EXPECTED`` holds each pack KPI over that hour for all cells, worked out by hand:

RRC setup: C1 98+190, C2 (27+9) of C1 100+200, C2 (30+10): 324/340 (C1 96 %, C2 90 %: a
mean of the two would say 93 %). S1 signalling 322/324, initial E-RABs 318/322 (each step's
successes are the next one's attempts), so LTE accessibility = 100·318/340. Added E-RABs
33/34, setup 351/356. E-RAB drops 2+1+(1+2) = 6 of 351 set up. Intra-frequency handovers
115/120. PRB use DL (40·900 + 60·900 + 10·3600)/5400 = 23.33 %; UL 63000/5400. Throughput
DL (8000+12000+3000+1000) kbit / (1000+2000+300+200) ms; UL 3500/1250. Unavailable 0+90+360
s of 900+900+3600: availability 100·4950/5400. Active UEs (4·900+6·900+2·3600)/5400 = 3.
NR: QoS-flow drops 4/300; intra-gNB handovers 147/150; inter-gNB 29/30 × 27/29; PRB DL 45/100
and UL 25/50; throughput 100 000 and 25 000 kbit/s; active UEs 3.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.ran.pm_samples import upload

LTE = "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD="
NR = "SubNetwork=1,ManagedElement=GNB1,NRCellDU="
DAY = "2026-03-02"

Values = dict[str, float | None]


def _c1(
    rrc: tuple[int, int],
    s1: tuple[int, int],
    init: tuple[int, int],
    add: tuple[int, int],
    drops: int,
    ho: tuple[int, int],
    prb: tuple[int, int],
    vol: tuple[int, int, int, int],
    unavailable: int,
    active: int,
) -> Values:
    return {
        "RRC.ConnEstabAtt.sum": rrc[0],
        "RRC.ConnEstabSucc.sum": rrc[1],
        "S1SIG.ConnEstabAtt": s1[0],
        "S1SIG.ConnEstabSucc": s1[1],
        "ERAB.EstabInitAttNbr.sum": init[0],
        "ERAB.EstabInitSuccNbr.sum": init[1],
        "ERAB.EstabAddAttNbr.sum": add[0],
        "ERAB.EstabAddSuccNbr.sum": add[1],
        "ERAB.RelActNbr.sum": drops,
        "HO.IntraFreqOutAtt": ho[0],
        "HO.IntraFreqOutSucc": ho[1],
        "RRU.PrbTotDl": prb[0],
        "RRU.PrbTotUl": prb[1],
        "DRB.IPVolDl.sum": vol[0],
        "DRB.IPTimeDl.sum": vol[1],
        "DRB.IPVolUl.sum": vol[2],
        "DRB.IPTimeUl.sum": vol[3],
        "RRU.CellUnavailableTime.sum": unavailable,
        "DRB.UEActiveDl.sum": active,
    }


C1_Q1 = _c1(
    (100, 98), (98, 97), (97, 96), (20, 20), 2, (50, 48), (40, 20), (8000, 1000, 1000, 500), 0, 4
)
C1_Q2 = _c1(
    (200, 190),
    (190, 189),
    (189, 187),
    (10, 9),
    1,
    (50, 49),
    (60, 30),
    (12000, 2000, 2000, 500),
    90,
    6,
)
C1_Q3 = _c1(
    (1000, 0), (0, 0), (0, 0), (0, 0), 500, (900, 0), (100, 100), (1, 1000, 1, 1000), 900, 99
)
C2_HOUR: Values = {
    "RRC.ConnEstabAtt.mo-Data": 30,
    "RRC.ConnEstabAtt.mo-Signalling": 10,
    "RRC.ConnEstabSucc.mo-Data": 27,
    "RRC.ConnEstabSucc.mo-Signalling": 9,
    "S1SIG.ConnEstabAtt": 36,
    "S1SIG.ConnEstabSucc": 36,
    "ERAB.EstabInitAttNbr.sum": 36,
    "ERAB.EstabInitSuccNbr.sum": 35,
    "ERAB.EstabAddAttNbr.sum": 4,
    "ERAB.EstabAddSuccNbr.sum": 4,
    "ERAB.RelActNbr.QCI1": 1,
    "ERAB.RelActNbr.QCI9": 2,
    "HO.IntraFreqOutAtt": 20,
    "HO.IntraFreqOutSucc": 18,
    "RRU.PrbTotDl": 10,
    "RRU.PrbTotUl": 5,
    "DRB.IPVolDl.QCI8": 3000,
    "DRB.IPVolDl.QCI9": 1000,
    "DRB.IPTimeDl.QCI8": 300,
    "DRB.IPTimeDl.QCI9": 200,
    "DRB.IPVolUl.sum": 500,
    "DRB.IPTimeUl.sum": 250,
    "RRU.CellUnavailableTime.sum": 360,
    "DRB.UEActiveDl.QCI9": 2,
}


def _nr(
    qf: tuple[int, int],
    intra: tuple[int, int],
    inter: tuple[int, int, int, int],
    prb: tuple[int, int],
    thp: tuple[int, int],
    active: int,
) -> Values:
    return {
        "QF.RelActNbr.sum": qf[0],
        "QF.EstabSuccNbr.sum": qf[1],
        "MM.HoExeIntraReq": intra[0],
        "MM.HoExeIntraSucc": intra[1],
        "MM.HoPrepInterReq": inter[0],
        "MM.HoPrepInterSucc": inter[1],
        "MM.HoExeInterReq": inter[2],
        "MM.HoExeInterSucc": inter[3],
        "RRU.PrbUsedDl": prb[0],
        "RRU.PrbAvailDl": 100,
        "RRU.PrbUsedUl": prb[1],
        "RRU.PrbAvailUl": 50,
        "DRB.UEThpDl": thp[0],
        "DRB.UEThpUl": thp[1],
        "DRB.MeanActiveUeDl": active,
    }


N1_Q1 = _nr((1, 100), (40, 39), (10, 10, 10, 9), (50, 10), (100_000, 10_000), 3)
N1_Q2 = _nr((0, 100), (60, 59), (10, 9, 9, 9), (70, 20), (200_000, 20_000), 5)
N2_Q1 = _nr((2, 50), (20, 19), (5, 5, 5, 5), (20, 30), (50_000, 30_000), 1)
N2_Q2 = _nr((1, 50), (30, 30), (5, 5, 5, 4), (40, 40), (50_000, 40_000), 3)

EXPECTED: dict[str, float] = {
    "RRC_SETUP_SR": 100 * 324 / 340,
    "ERAB_SETUP_SR": 100 * 351 / 356,
    "LTE_ACCESSIBILITY": 100 * 318 / 340,
    "ERAB_DROP_RATE": 100 * 6 / 351,
    "NR_QOS_FLOW_DROP_RATE": 100 * 4 / 300,
    "LTE_HO_SR": 100 * 115 / 120,
    "NR_HO_INTRA_SR": 98.0,
    "NR_HO_INTER_SR": 90.0,
    "NR_PRB_UTIL_DL": 45.0,
    "NR_PRB_UTIL_UL": 50.0,
    "LTE_PRB_UTIL_DL": 126_000 / 5400,
    "LTE_PRB_UTIL_UL": 63_000 / 5400,
    "LTE_DL_THROUGHPUT": 24_000 / 3500,
    "LTE_UL_THROUGHPUT": 3500 / 1250,
    "NR_DL_THROUGHPUT": 100.0,
    "NR_UL_THROUGHPUT": 25.0,
    "CELL_AVAILABILITY": 100 * 4950 / 5400,
    "LTE_ACTIVE_UE_DL": 3.0,
    "NR_ACTIVE_UE_DL": 3.0,
}


def csv_file(*blocks: tuple[str, str, str, int, Values, bool]) -> bytes:
    """A PM CSV file of ``(ne, object, period_end "HH:MM", gran_s, values, suspect)``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ne", "object", "period_end", "gran_s", "counter", "value", "suspect"])
    for ne, name, end, gran_s, values, suspect in blocks:
        for counter, value in values.items():
            shown = "" if value is None else value
            stamp = f"{DAY}T{end}:00Z"
            writer.writerow([ne, name, stamp, gran_s, counter, shown, str(suspect).lower()])
    return out.getvalue().encode()


FILES = (
    (
        "enb7_quarters.csv",
        csv_file(
            ("ENB7", LTE + "C1", "09:15", 900, C1_Q1, False),
            ("ENB7", LTE + "C1", "09:30", 900, C1_Q2, False),
            ("ENB7", LTE + "C1", "09:45", 900, C1_Q3, True),
        ),
    ),
    ("enb7_hour.csv", csv_file(("ENB7", LTE + "C2", "10:00", 3600, C2_HOUR, False))),
    (
        "gnb1.csv",
        csv_file(
            ("GNB1", NR + "N1", "09:15", 900, N1_Q1, False),
            ("GNB1", NR + "N1", "09:30", 900, N1_Q2, False),
            ("GNB1", NR + "N2", "09:15", 900, N2_Q1, False),
            ("GNB1", NR + "N2", "09:30", 900, N2_Q2, False),
        ),
    ),
)


def load(
    client: TestClient, headers: Callable[[str], dict[str, str]], persona: str = "bob"
) -> None:
    """Upload the three files as ``persona`` (a reporter or admin of its tenant)."""
    response = upload(client, headers(persona), *FILES)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 3, response.text
