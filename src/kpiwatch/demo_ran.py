"""Two weeks of RAN PM files for the demo, so the ``/ran`` explorer shows real numbers on
the first start.

A small network reports every counter the RAN KPI pack (``ran.pack``) reads: two LTE
eNodeBs (``ENB1``, ``ENB2``) and one NR gNodeB (``GNB1``) of three cells each, every 15
minutes from local midnight ``DAYS - 1`` days before the demo's ``now`` up to it. Each
NE's period is one TS 32.435 ``measCollecFile`` named as TS 32.432 says, imported by
``ran.files.import_files`` like any upload: the import skips the files it holds (same
bytes), so loading again stores only the periods since the last load.

Values follow a daily traffic curve of the tenant's local hours (quiet at 04:00, busiest
at 20:00) times a load of each cell's own, and are consistent: successes ≤ attempts, used
PRBs ≤ available, unavailable time ≤ the period. Each cell-period's values come from a
``random.Random`` seeded with the cell and the period, so a period has the same values at
every load.

One cell, ``ENB2-2``, has a fault: its RRC setups fail more on the day before the first
load's day (about 2 points of success rate) and more still on that day (about 8), then it
is repaired. The first load's day is read back from the stored files (their first period
starts ``DAYS - 1`` days before it), so later loads write the same bytes for those days:
on the first start, ``/ran`` compares the last day with the one before and says
``degraded`` for that cell.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran import files
from kpiwatch.ran.files import FileResult, Source
from kpiwatch.ran.models import pm_files

DAYS = 14
PERIOD = timedelta(minutes=15)
NAMESPACE = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"
# The share of the busiest hour's traffic in each local hour, 00:00 to 23:00.
TRAFFIC = (
    0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.55, 0.70, 0.75, 0.78, 0.80,
    0.82, 0.80, 0.78, 0.78, 0.80, 0.85, 0.90, 0.95, 1.00, 0.90, 0.70, 0.45,
)  # fmt: skip
FAULTY_CELL = ("ENB2", "ENB2-2")
FAULT = {-1: 0.02, 0: 0.08}  # extra share of failed RRC setups, by day from the fault day
NR_PRBS = 273  # 100 MHz at 30 kHz subcarrier spacing

Values = dict[str, int | float]


@dataclass(frozen=True)
class Cell:
    ne: str
    cell: str
    nr: bool
    load: float  # the cell's traffic in the busiest hour, as a share of the busiest cell's


def _cells(ne: str, nr: bool) -> list[Cell]:
    names = [f"{ne}-{n}" for n in (1, 2, 3)]
    return [Cell(ne, name, nr, random.Random(f"load-{name}").uniform(0.4, 1.0)) for name in names]


NETWORK: dict[str, list[Cell]] = {
    "ENB1": _cells("ENB1", nr=False),
    "ENB2": _cells("ENB2", nr=False),
    "GNB1": _cells("GNB1", nr=True),
}


def _few(rng: random.Random, count: int, share: float) -> int:
    """A number of failures among ``count`` trials: at most ``share`` of them."""
    return round(count * rng.uniform(0.0, share))


def _lte(rng: random.Random, attempts: int, successes: int, load: float) -> Values:
    s1_succ = successes - _few(rng, successes, 0.002)
    init_att = int(s1_succ * rng.uniform(0.85, 0.95))
    init_succ = init_att - _few(rng, init_att, 0.004)
    add_att = int(attempts * rng.uniform(0.05, 0.1))
    add_succ = add_att - _few(rng, add_att, 0.01)
    ho_att = int(attempts * rng.uniform(0.08, 0.12))
    vol_dl = int(rng.uniform(0.8, 1.2) * 3_000_000 * load) + 1_000  # kbit
    vol_ul = int(vol_dl * rng.uniform(0.08, 0.15))
    slower = 1.1 - 0.5 * load  # a busy cell serves each user more slowly
    prb_dl = round(min(98.0, 100 * load * rng.uniform(0.6, 0.9)), 2)
    return {
        "RRC.ConnEstabAtt.sum": attempts,
        "RRC.ConnEstabSucc.sum": successes,
        "S1SIG.ConnEstabAtt": successes,
        "S1SIG.ConnEstabSucc": s1_succ,
        "ERAB.EstabInitAttNbr.sum": init_att,
        "ERAB.EstabInitSuccNbr.sum": init_succ,
        "ERAB.EstabAddAttNbr.sum": add_att,
        "ERAB.EstabAddSuccNbr.sum": add_succ,
        "ERAB.RelActNbr.sum": _few(rng, init_succ + add_succ, 0.006),
        "HO.IntraFreqOutAtt": ho_att,
        "HO.IntraFreqOutSucc": ho_att - _few(rng, ho_att, 0.03),
        "DRB.IPVolDl.sum": vol_dl,
        "DRB.IPTimeDl.sum": max(1, round(vol_dl / (rng.uniform(18, 30) * slower))),  # ms
        "DRB.IPVolUl.sum": vol_ul,
        "DRB.IPTimeUl.sum": max(1, round(vol_ul / (rng.uniform(3, 6) * slower))),
        "DRB.UEActiveDl.sum": round(rng.uniform(0.8, 1.2) * 15 * load, 2),
        "RRU.PrbTotDl": prb_dl,
        "RRU.PrbTotUl": round(prb_dl * rng.uniform(0.4, 0.6), 2),
    }


def _nr(rng: random.Random, attempts: int, successes: int, load: float) -> Values:
    qf_att = int(successes * rng.uniform(1.1, 1.4))
    qf_succ = qf_att - _few(rng, qf_att, 0.003)
    intra = int(attempts * rng.uniform(0.05, 0.08))
    prep = int(attempts * rng.uniform(0.03, 0.05))
    prep_succ = prep - _few(rng, prep, 0.02)
    slower = 1.1 - 0.5 * load
    return {
        "RRC.ConnEstabAtt.sum": attempts,
        "RRC.ConnEstabSucc.sum": successes,
        "QF.EstabAttNbr.sum": qf_att,
        "QF.EstabSuccNbr.sum": qf_succ,
        "QF.RelActNbr.sum": _few(rng, qf_succ, 0.005),
        "MM.HoExeIntraReq": intra,
        "MM.HoExeIntraSucc": intra - _few(rng, intra, 0.02),
        "MM.HoPrepInterReq": prep,
        "MM.HoPrepInterSucc": prep_succ,
        "MM.HoExeInterReq": prep_succ,
        "MM.HoExeInterSucc": prep_succ - _few(rng, prep_succ, 0.02),
        "DRB.UEThpDl": round(rng.uniform(150_000, 250_000) * slower),  # kbit/s
        "DRB.UEThpUl": round(rng.uniform(20_000, 40_000) * slower),
        "DRB.MeanActiveUeDl": round(rng.uniform(0.8, 1.2) * 20 * load, 2),
        "RRU.PrbUsedDl": round(NR_PRBS * min(0.98, load * rng.uniform(0.6, 0.9)), 1),
        "RRU.PrbAvailDl": NR_PRBS,
        "RRU.PrbUsedUl": round(NR_PRBS * min(0.98, load * rng.uniform(0.3, 0.5)), 1),
        "RRU.PrbAvailUl": NR_PRBS,
    }


def counters(cell: Cell, start: datetime, zone: ZoneInfo, fault_day: date) -> Values:
    """What ``cell`` reports for the 15 minutes from ``start``: counter → value, in
    the order of the file's ``measTypes``. ``fault_day`` is the first load's local day."""
    local = start.astimezone(zone)
    rng = random.Random(f"pm-{cell.ne}-{cell.cell}-{start.astimezone(UTC):%Y%m%d%H%M}")
    load = cell.load * TRAFFIC[local.hour]
    fail = rng.uniform(0.001, 0.008)
    if (cell.ne, cell.cell) == FAULTY_CELL:
        fail += FAULT.get((local.date() - fault_day).days, 0.0)
    attempts = int(rng.uniform(0.85, 1.15) * (1200 if cell.nr else 1800) * load) + 5
    successes = attempts - round(attempts * fail)
    values = (_nr if cell.nr else _lte)(rng, attempts, successes, load)
    outage = rng.random() < 0.002  # a few minutes down, now and then
    values["RRU.CellUnavailableTime.sum"] = rng.randint(30, 900) if outage else 0  # s
    return values


def _classes(cells: list[Cell]) -> tuple[str, str]:
    """The NE's function and the cells' object class."""
    return ("GNBDUFunction", "NRCellDU") if cells[0].nr else ("ENodeBFunction", "EUtranCellFDD")


def pm_file(ne: str, start: datetime, zone: ZoneInfo, fault_day: date) -> Source:
    """NE ``ne``'s file of the 15 minutes from ``start``: its name and bytes."""
    start = start.astimezone(UTC)
    end = start + PERIOD
    cells = NETWORK[ne]
    function, object_class = _classes(cells)
    reported = [(cell, counters(cell, start, zone, fault_day)) for cell in cells]
    values = "".join(
        f'      <measValue measObjLdn="ManagedElement={ne},{function}=1,'
        f'{object_class}={cell.cell}">\n'
        f"        <measResults>{' '.join(str(v) for v in found.values())}</measResults>\n"
        "      </measValue>\n"
        for cell, found in reported
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<measCollecFile xmlns="{NAMESPACE}">\n'
        '  <fileHeader fileFormatVersion="32.435 V10.0" vendorName="kpiwatch demo" '
        'dnPrefix="SubNetwork=DEMO">\n'
        f'    <fileSender localDn="ManagedElement={ne}" elementType="RadioNode"/>\n'
        f'    <measCollec beginTime="{start.isoformat()}"/>\n'
        "  </fileHeader>\n"
        "  <measData>\n"
        f'    <managedElement localDn="ManagedElement={ne}" userLabel="{ne}"/>\n'
        f'    <measInfo measInfoId="{object_class}">\n'
        f'      <granPeriod duration="PT900S" endTime="{end.isoformat()}"/>\n'
        '      <repPeriod duration="PT900S"/>\n'
        f"      <measTypes>{' '.join(reported[0][1])}</measTypes>\n"
        f"{values}"
        "    </measInfo>\n"
        "  </measData>\n"
        f'  <fileFooter><measCollec endTime="{end.isoformat()}"/></fileFooter>\n'
        "</measCollecFile>\n"
    )
    return f"A{start:%Y%m%d.%H%M}+0000-{end:%H%M}+0000_{ne}.xml", text.encode()


def pm_files_of(first: date, now: datetime, zone: ZoneInfo, fault_day: date) -> Iterator[Source]:
    """Every NE's file of every 15 minutes from local midnight of ``first`` that ended by
    ``now``, in time order."""
    start = local_midnight(first, zone)
    while start + PERIOD <= now:
        for ne in NETWORK:
            yield pm_file(ne, start, zone, fault_day)
        start += PERIOD


async def fault_day(db: Database, tenant_id: int, zone: ZoneInfo, today: date) -> date:
    """The local day of the first load: ``today`` unless demo files were stored before."""
    async with db.read() as conn:
        first: datetime | None = (
            await conn.execute(
                select(func.min(pm_files.c.period_start)).where(
                    pm_files.c.tenant_id == tenant_id, pm_files.c.ne.in_(list(NETWORK))
                )
            )
        ).scalar_one_or_none()
    if first is None:
        return today
    return first.astimezone(zone).date() + timedelta(days=DAYS - 1)


async def load(db: Database, caller: Caller, zone: ZoneInfo) -> list[FileResult]:
    """Import the demo network's files of the last ``DAYS`` local days up to
    ``caller.now`` (those stored before answer ``duplicate``)."""
    today = caller.now.astimezone(zone).date()
    fault = await fault_day(db, caller.tenant_id, zone, today)
    sources = pm_files_of(today - timedelta(days=DAYS - 1), caller.now, zone, fault)
    return await files.import_files(db, caller, sources)
