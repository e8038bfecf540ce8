"""Generate TS 32.435 PM files like an LTE/NR RAN's, and measure how fast kpiwatch parses them.

``write_pm_files()`` writes one ``measCollecFile`` per NE per 15-minute period (the
``measTypes``/``measResults`` form Ericsson uses), for N cells spread over NEs of 3–12
cells, M counters per cell with realistic 3GPP names (TS 32.425/28.552), over D days.
Values are deterministic (a seeded ``random.Random``) and consistent (successes ≤ attempts,
used PRBs ≤ available, unavailable time ≤ the period), with a daily traffic curve and a
load of its own per cell. To write the issue's 27 M values quickly, each NE's file is one
template and each cell's results line is drawn from pre-formatted rows per load level, so
a cell-period costs one random draw rather than one per value.

``main()`` writes a sample into a temporary directory and prints the parse rate of
``kpiwatch.ran.parse.parse_pm`` (files read into memory first, so disk speed is not
measured), in one process and, with ``--processes``, over a process pool:

    .venv/bin/python bench/ran_files.py [--cells 200] [--days 1] [--processes 2] [--gzip]
        [--dir /dev/shm]

Creating files dominates the generation on a busy disk (0.2–2 ms per file here, against
about 1 µs per value for the content): write to a tmpfs when only the content matters.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kpiwatch.ran.parse import parse_pm

NAMESPACE = "http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec"
PERIOD = timedelta(minutes=15)
START = datetime(2026, 2, 23, tzinfo=UTC)  # a Monday
LEVELS = 16  # traffic levels, from a quiet night to the busy hour
ROWS_PER_LEVEL = 256

# TS 32.425 (LTE) and TS 28.552 (NR) names; ``_row`` draws each so that they agree.
COUNTERS: list[str] = [
    "RRC.ConnEstabAtt.sum",
    "RRC.ConnEstabSucc.sum",
    "RRC.ConnMean",
    "S1SIG.ConnEstabAtt",
    "S1SIG.ConnEstabSucc",
    "ERAB.EstabInitAttNbr.QCI1",
    "ERAB.EstabInitAttNbr.QCI9",
    "ERAB.EstabInitAttNbr.sum",
    "ERAB.EstabInitSuccNbr.QCI1",
    "ERAB.EstabInitSuccNbr.QCI9",
    "ERAB.EstabInitSuccNbr.sum",
    "ERAB.EstabAddAttNbr.sum",
    "ERAB.EstabAddSuccNbr.sum",
    "ERAB.RelAbnormalEnbAct.sum",
    "ERAB.RelAbnormalMmeAct.sum",
    "ERAB.RelNormalEnb.sum",
    "HO.IntraFreqOutAtt",
    "HO.IntraFreqOutSucc",
    "HO.InterFreqMeasGapOutAtt",
    "HO.InterFreqMeasGapOutSucc",
    "DRB.IPVolDl",
    "DRB.IPVolUl",
    "DRB.IPTimeDl",
    "DRB.IPTimeUl",
    "DRB.PdcpSduVolumeDL",
    "DRB.PdcpSduVolumeUL",
    "DRB.UEThpDl",
    "DRB.UEThpUl",
    "DRB.UEActiveDl",
    "DRB.UEActiveUl",
    "RRU.PrbUsedDl",
    "RRU.PrbUsedUl",
    "RRU.PrbAvailDl",
    "RRU.PrbAvailUl",
    "RRU.PrbTotDl",
    "RRU.PrbTotUl",
    "RRU.CellUnavailableTime.sum",
    "QF.EstabAttNbr.sum",
    "QF.EstabSuccNbr.sum",
    "QF.RelActNbr.sum",
]


@dataclass(frozen=True)
class PmFileSet:
    files: list[Path]
    values: int  # counter values written, over all files
    cells: int
    nes: int
    periods: int


def counter_names(count: int) -> list[str]:
    """The first ``count`` counters; past the 40 named ones, vendor-specific ``pmVs…``."""
    extra = [f"pmVsCellCounter{i}" for i in range(max(0, count - len(COUNTERS)))]
    return (COUNTERS + extra)[:count]


def _row(rng: random.Random, level: int, count: int) -> str:
    """One cell-period's values at a traffic level (0 quiet … LEVELS-1 busy)."""
    load = (level + 1) / LEVELS
    v: dict[str, float] = {}
    rrc_att = int(rng.uniform(0.8, 1.2) * 2000 * load) + 1
    v["RRC.ConnEstabAtt.sum"] = rrc_att
    v["RRC.ConnEstabSucc.sum"] = rrc_att - int(rrc_att * rng.uniform(0.0, 0.02))
    v["RRC.ConnMean"] = round(rng.uniform(0.8, 1.2) * 120 * load, 2)
    v["S1SIG.ConnEstabAtt"] = v["RRC.ConnEstabSucc.sum"]
    v["S1SIG.ConnEstabSucc"] = v["S1SIG.ConnEstabAtt"] - rng.randint(0, 3)
    qci1 = int(rrc_att * rng.uniform(0.05, 0.15))
    qci9 = int(rrc_att * rng.uniform(0.7, 0.9))
    v["ERAB.EstabInitAttNbr.QCI1"], v["ERAB.EstabInitAttNbr.QCI9"] = qci1, qci9
    v["ERAB.EstabInitAttNbr.sum"] = qci1 + qci9
    s1 = qci1 - rng.randint(0, min(2, qci1))
    s9 = qci9 - rng.randint(0, min(5, qci9))
    v["ERAB.EstabInitSuccNbr.QCI1"], v["ERAB.EstabInitSuccNbr.QCI9"] = s1, s9
    v["ERAB.EstabInitSuccNbr.sum"] = s1 + s9
    add = int(rrc_att * rng.uniform(0.05, 0.1))
    v["ERAB.EstabAddAttNbr.sum"] = add
    v["ERAB.EstabAddSuccNbr.sum"] = add - rng.randint(0, min(2, add))
    v["ERAB.RelAbnormalEnbAct.sum"] = rng.randint(0, 4)
    v["ERAB.RelAbnormalMmeAct.sum"] = rng.randint(0, 2)
    v["ERAB.RelNormalEnb.sum"] = s1 + s9 + add - rng.randint(0, 6)
    for kind, share in (("IntraFreq", 0.1), ("InterFreqMeasGap", 0.03)):
        ho_att = int(rrc_att * share * rng.uniform(0.8, 1.2))
        v[f"HO.{kind}OutAtt"] = ho_att
        v[f"HO.{kind}OutSucc"] = ho_att - int(ho_att * rng.uniform(0.0, 0.03))
    vol_dl = int(rng.uniform(0.7, 1.3) * 4_000_000 * load)  # kbit
    vol_ul = int(vol_dl * rng.uniform(0.08, 0.15))
    time_dl = int(rng.uniform(0.7, 1.3) * 200_000 * load) + 1  # ms
    time_ul = int(time_dl * rng.uniform(0.6, 0.9)) + 1
    v["DRB.IPVolDl"], v["DRB.IPVolUl"] = vol_dl, vol_ul
    v["DRB.IPTimeDl"], v["DRB.IPTimeUl"] = time_dl, time_ul
    v["DRB.PdcpSduVolumeDL"] = int(vol_dl * 1.02)
    v["DRB.PdcpSduVolumeUL"] = int(vol_ul * 1.02)
    v["DRB.UEThpDl"] = round(vol_dl / time_dl, 1)
    v["DRB.UEThpUl"] = round(vol_ul / time_ul, 1)
    v["DRB.UEActiveDl"] = round(rng.uniform(0.8, 1.2) * 12 * load, 2)
    v["DRB.UEActiveUl"] = round(v["DRB.UEActiveDl"] * 0.6, 2)
    for direction in ("Dl", "Ul"):
        avail = 100 * 900_000  # 100 PRBs × 900,000 ms
        used = int(avail * min(0.98, load * rng.uniform(0.6, 0.95)))
        v[f"RRU.PrbUsed{direction}"] = used
        v[f"RRU.PrbAvail{direction}"] = avail
        v[f"RRU.PrbTot{direction}"] = round(100 * used / avail, 2)
    v["RRU.CellUnavailableTime.sum"] = 0 if rng.random() < 0.995 else rng.randint(1, 900)
    qf_att = int(rrc_att * rng.uniform(0.1, 0.3))
    v["QF.EstabAttNbr.sum"] = qf_att
    v["QF.EstabSuccNbr.sum"] = qf_att - rng.randint(0, min(3, qf_att))
    v["QF.RelActNbr.sum"] = rng.randint(0, 3)
    values = [v[name] for name in COUNTERS]
    while len(values) < count:
        values.append(rng.randint(0, 1000))
    return " ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in values[:count])


def _pools(rng: random.Random, count: int) -> list[list[str]]:
    return [[_row(rng, level, count) for _ in range(ROWS_PER_LEVEL)] for level in range(LEVELS)]


def _daily_level(moment: datetime) -> float:
    """0 … 1: quiet at 04:00, busiest around 20:00 (UTC stands in for local time here)."""
    hours = moment.hour + moment.minute / 60
    curve = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.55, 0.7, 0.75, 0.78, 0.8]
    curve += [0.82, 0.8, 0.78, 0.78, 0.8, 0.85, 0.9, 0.95, 1.0, 0.9, 0.7, 0.45]
    return curve[int(hours) % 24]


def _template(ne: str, counters: list[str], cells: list[str]) -> tuple[str, str, list[str]]:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<measCollecFile xmlns="{NAMESPACE}">\n'
        '  <fileHeader fileFormatVersion="32.435 V10.0" vendorName="Generated" '
        'dnPrefix="SubNetwork=RAN">\n'
        f'    <fileSender localDn="MeContext={ne}" elementType="RadioNode"/>\n'
        '    <measCollec beginTime="{begin}"/>\n'
        "  </fileHeader>\n"
        "  <measData>\n"
        f'    <managedElement localDn="MeContext={ne}" userLabel="{ne}" swVersion="23.Q4"/>\n'
        '    <measInfo measInfoId="EUtranCellFDD">\n'
        '      <job jobId="1"/>\n'
        '      <granPeriod duration="PT900S" endTime="{end}"/>\n'
        '      <repPeriod duration="PT900S"/>\n'
        f"      <measTypes>{' '.join(counters)}</measTypes>\n"
    )
    value_open = [
        f'      <measValue measObjLdn="ManagedElement=1,ENodeBFunction=1,EUtranCellFDD={cell}">\n'
        "        <measResults>"
        for cell in cells
    ]
    tail = (
        "    </measInfo>\n"
        "  </measData>\n"
        '  <fileFooter><measCollec endTime="{end}"/></fileFooter>\n'
        "</measCollecFile>\n"
    )
    return head, tail, value_open


def _nes(rng: random.Random, cells: int) -> list[tuple[str, list[str]]]:
    nes: list[tuple[str, list[str]]] = []
    made = 0
    while made < cells:
        size = min(rng.randint(3, 12), cells - made)
        ne = f"ENB{len(nes) + 1:04d}"
        nes.append((ne, [f"{ne}-{i + 1}" for i in range(size)]))
        made += size
    return nes


def write_pm_files(
    directory: Path,
    *,
    cells: int = 1000,
    counters: int = 40,
    days: float = 7,
    start: datetime = START,
    seed: int = 435,
    compress: bool = False,
) -> PmFileSet:
    """Write the files (``A<date>.<time>+0000-<time>+0000_<NE>.xml[.gz]``) into
    ``directory``: ``cells × counters × periods`` values in all."""
    rng = random.Random(seed)
    names = counter_names(counters)
    pools = _pools(rng, counters)
    nes = _nes(rng, cells)
    load = {cell: rng.uniform(0.4, 1.0) for _ne, ne_cells in nes for cell in ne_cells}
    periods = int(days * 24 * 4)
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    templates = {ne: _template(ne, names, ne_cells) for ne, ne_cells in nes}
    for p in range(periods):
        begin = start + p * PERIOD
        end = begin + PERIOD
        stamp = {"begin": begin.isoformat(), "end": end.isoformat()}
        daily = _daily_level(begin)
        for ne, ne_cells in nes:
            head, tail, value_open = templates[ne]
            parts = [head.replace("{begin}", stamp["begin"]).replace("{end}", stamp["end"])]
            for opening, cell in zip(value_open, ne_cells, strict=True):
                level = min(LEVELS - 1, int(daily * load[cell] * LEVELS))
                row = pools[level][rng.randrange(ROWS_PER_LEVEL)]
                parts.append(f"{opening}{row}</measResults>\n      </measValue>\n")
            parts.append(tail.replace("{end}", stamp["end"]))
            body = "".join(parts).encode()
            name = f"A{begin:%Y%m%d.%H%M}+0000-{end:%H%M}+0000_{ne}.xml"
            path = directory / (name + ".gz" if compress else name)
            path.write_bytes(gzip.compress(body, compresslevel=1) if compress else body)
            files.append(path)
    return PmFileSet(files, cells * counters * periods, cells, len(nes), periods)


def _parse_share(paths: list[str]) -> tuple[int, float, float]:
    """One worker's share: read the files, then parse them; values, wall and CPU seconds
    of the parse alone."""
    datas = [(Path(p).read_bytes(), Path(p).name) for p in paths]
    wall, cpu = time.perf_counter(), time.process_time()
    values = sum(parse_pm(data, name).values_count for data, name in datas)
    return values, time.perf_counter() - wall, time.process_time() - cpu


def parse_rate(files: list[Path], processes: int = 1) -> tuple[int, float, float]:
    """``(values, wall seconds, CPU seconds)`` to parse ``files`` (read into memory
    first); with several processes, each parses an equal share at the same time, and the
    slowest share's times are the run's."""
    shares = [[str(f) for f in files[i::processes]] for i in range(processes)]
    if processes <= 1:
        return _parse_share(shares[0])
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_parse_share, [share[:1] for share in shares]))  # start the workers
        results = list(pool.map(_parse_share, shares))
    return (
        sum(r[0] for r in results),
        max(r[1] for r in results),
        max(r[2] for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--counters", type=int, default=40)
    parser.add_argument("--days", type=float, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument(
        "--dir",
        help="where to write the files (a tmpfs such as /dev/shm "
        "keeps the disk out of the generation time)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpiwatch-pm-", dir=args.dir) as tmp:
        began = time.perf_counter()
        made = write_pm_files(
            Path(tmp), cells=args.cells, counters=args.counters, days=args.days, compress=args.gzip
        )
        took = time.perf_counter() - began
        size = sum(f.stat().st_size for f in made.files)
        print(
            f"generated {made.values:,} values in {len(made.files):,} files "
            f"({made.nes} NEs, {made.cells} cells, {made.periods} periods, "
            f"{size / 1e6:.1f} MB) in {took:.1f} s ({made.values / took:,.0f} values/s)"
        )
        walls, cpus = [], []
        for _ in range(args.repeat):
            values, wall, cpu = parse_rate(made.files, 1)
            assert values == made.values, (values, made.values)
            walls.append(values / wall)
            cpus.append(values / cpu)
        print(
            f"parse, 1 process: {statistics.median(walls):,.0f} values/s "
            f"(best {max(walls):,.0f}; per CPU second {statistics.median(cpus):,.0f}; "
            f"{args.repeat} runs, load average {os.getloadavg()[0]:.2f})"
        )
        if args.processes > 1:
            values, wall, cpu = parse_rate(made.files, args.processes)
            print(
                f"parse, {args.processes} processes: {values / wall:,.0f} values/s "
                f"(load average {os.getloadavg()[0]:.2f})"
            )


if __name__ == "__main__":
    main()
