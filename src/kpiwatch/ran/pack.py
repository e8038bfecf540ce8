"""The RAN KPI pack: 3GPP KPIs written as counter formulas (``docs/ran.md``).

Counter names are those of 3GPP TS 32.425 (LTE, E-UTRAN) and TS 28.552 (NR, 5G); the
KPI definitions follow TS 32.450 (LTE) and TS 28.554 (NR) where they define one. Every
rate is Σnumerator / Σdenominator over cells and periods; every mean-type counter
(``RRU.PrbTotDl``, ``DRB.UEThpDl``…) is averaged weighted by the seconds each value covers,
so a day of 15-minute files and a day of hourly files give the same figure.

``kind`` tells the N-1 vs N comparison (``ran.compare``) which test fits:

- ``proportion``: a success or drop rate: events among trials. ``successes`` and
  ``trials`` name the formula parts (``sum_1``…) whose sums are the events and the trials,
  so the two periods' counters can be pooled by a two-proportion z-test;
- ``samples``: everything else (products of ratios, throughput, PRB use, availability,
  means): compared on the per-period values by Mann-Whitney U.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["proportion", "samples"]
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class RanKpi:
    """One KPI of the pack: its formula over counters and how to read it."""

    name: str
    display_name: str
    unit: str
    direction: Direction
    formula: str
    kind: Kind
    description: str
    technology: str  # "LTE", "NR" or "LTE/NR"
    target: float
    successes: tuple[str, ...] = ()  # proportion: part keys summed into the events
    trials: tuple[str, ...] = ()  # proportion: part keys summed into the trials

    def proportion(self, parts: dict[str, float | int | None]) -> tuple[float | None, float | None]:
        """(events, trials) of a proportion KPI from its parts; (None, None) otherwise."""
        if self.kind != "proportion":
            return None, None
        return _total(parts, self.successes), _total(parts, self.trials)


def _total(parts: dict[str, float | int | None], keys: tuple[str, ...]) -> float | None:
    if len(keys) == 1:  # the usual case, once per period and cell of a series
        value = parts.get(keys[0])
        return None if value is None else float(value)
    total = 0.0
    for key in keys:
        value = parts.get(key)
        if value is None:
            return None
        total += value
    return total


def _rate(succ: str, att: str) -> str:
    return f"100 * sum(pm.{succ}) / sum(pm.{att})"


_PACK = (
    RanKpi(
        "RRC_SETUP_SR",
        "RRC setup success rate",
        "%",
        "higher",
        _rate("RRC.ConnEstabSucc.sum", "RRC.ConnEstabAtt.sum"),
        "proportion",
        "Successful RRC connection establishments among attempts (TS 32.425 4.1.1, "
        "TS 28.552 5.1.1.15); the same counters in LTE and NR.",
        "LTE/NR",
        99.0,
        ("sum_1",),
        ("sum_2",),
    ),
    RanKpi(
        "ERAB_SETUP_SR",
        "E-RAB setup success rate",
        "%",
        "higher",
        "100 * (sum(pm.ERAB.EstabInitSuccNbr.sum) + sum(pm.ERAB.EstabAddSuccNbr.sum))\n"
        "    / (sum(pm.ERAB.EstabInitAttNbr.sum) + sum(pm.ERAB.EstabAddAttNbr.sum))",
        "proportion",
        "Initial and additional E-RABs established among those attempted (TS 32.425 4.2.1).",
        "LTE",
        99.0,
        ("sum_1", "sum_2"),
        ("sum_3", "sum_4"),
    ),
    RanKpi(
        "LTE_ACCESSIBILITY",
        "LTE accessibility (E-RAB accessibility)",
        "%",
        "higher",
        "100 * (sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum))\n"
        "    * (sum(pm.S1SIG.ConnEstabSucc) / sum(pm.S1SIG.ConnEstabAtt))\n"
        "    * (sum(pm.ERAB.EstabInitSuccNbr.sum) / sum(pm.ERAB.EstabInitAttNbr.sum))",
        "samples",
        "RRC × S1 signalling × initial E-RAB success ratios (TS 32.450 6.1.1): the chance "
        "that a UE gets from idle to a bearer.",
        "LTE",
        98.0,
    ),
    RanKpi(
        "ERAB_DROP_RATE",
        "E-RAB drop rate",
        "%",
        "lower",
        "100 * sum(pm.ERAB.RelActNbr.sum)\n"
        "    / (sum(pm.ERAB.EstabInitSuccNbr.sum) + sum(pm.ERAB.EstabAddSuccNbr.sum))",
        "proportion",
        "E-RABs released abnormally while active (data in the buffer, TS 32.425 4.2.2.6) "
        "among the E-RABs established in the period.",
        "LTE",
        1.0,
        ("sum_1",),
        ("sum_2", "sum_3"),
    ),
    RanKpi(
        "NR_QOS_FLOW_DROP_RATE",
        "NR QoS flow drop rate",
        "%",
        "lower",
        "100 * sum(pm.QF.RelActNbr.sum) / sum(pm.QF.EstabSuccNbr.sum)",
        "proportion",
        "QoS flows released while active (TS 28.552 5.1.1.13.1.1) among the QoS flows "
        "established (5.1.1.12.2).",
        "NR",
        1.0,
        ("sum_1",),
        ("sum_2",),
    ),
    RanKpi(
        "LTE_HO_SR",
        "LTE intra-frequency handover success rate",
        "%",
        "higher",
        _rate("HO.IntraFreqOutSucc", "HO.IntraFreqOutAtt"),
        "proportion",
        "Successful outgoing intra-frequency handovers among attempts (TS 32.425 4.3.5).",
        "LTE",
        97.0,
        ("sum_1",),
        ("sum_2",),
    ),
    RanKpi(
        "NR_HO_INTRA_SR",
        "NR intra-gNB handover success rate",
        "%",
        "higher",
        _rate("MM.HoExeIntraSucc", "MM.HoExeIntraReq"),
        "proportion",
        "Successful intra-gNB handover executions among requests (TS 28.552 5.1.1.6.2).",
        "NR",
        98.0,
        ("sum_1",),
        ("sum_2",),
    ),
    RanKpi(
        "NR_HO_INTER_SR",
        "NR inter-gNB handover success rate",
        "%",
        "higher",
        "100 * (sum(pm.MM.HoPrepInterSucc) / sum(pm.MM.HoPrepInterReq))\n"
        "    * (sum(pm.MM.HoExeInterSucc) / sum(pm.MM.HoExeInterReq))",
        "samples",
        "Preparation × execution success ratios of inter-gNB handovers "
        "(TS 28.552 5.1.1.6.1; TS 28.554 mobility KPI).",
        "NR",
        97.0,
    ),
    RanKpi(
        "NR_PRB_UTIL_DL",
        "NR DL PRB utilisation",
        "%",
        "lower",
        "100 * avg(pm.RRU.PrbUsedDl) / avg(pm.RRU.PrbAvailDl)",
        "samples",
        "Mean DL PRBs used over mean DL PRBs available (TS 28.552 5.1.1.2), both time-weighted.",
        "NR",
        70.0,
    ),
    RanKpi(
        "NR_PRB_UTIL_UL",
        "NR UL PRB utilisation",
        "%",
        "lower",
        "100 * avg(pm.RRU.PrbUsedUl) / avg(pm.RRU.PrbAvailUl)",
        "samples",
        "Mean UL PRBs used over mean UL PRBs available (TS 28.552 5.1.1.2), both time-weighted.",
        "NR",
        70.0,
    ),
    RanKpi(
        "LTE_PRB_UTIL_DL",
        "LTE DL PRB utilisation",
        "%",
        "lower",
        "avg(pm.RRU.PrbTotDl)",
        "samples",
        "Mean total DL PRB usage, a percentage per cell (TS 32.425 4.5.1), time-weighted.",
        "LTE",
        70.0,
    ),
    RanKpi(
        "LTE_PRB_UTIL_UL",
        "LTE UL PRB utilisation",
        "%",
        "lower",
        "avg(pm.RRU.PrbTotUl)",
        "samples",
        "Mean total UL PRB usage, a percentage per cell (TS 32.425 4.5.1), time-weighted.",
        "LTE",
        70.0,
    ),
    RanKpi(
        "LTE_DL_THROUGHPUT",
        "LTE DL user throughput",
        "Mbit/s",
        "higher",
        "sum(pm.DRB.IPVolDl.sum) / sum(pm.DRB.IPTimeDl.sum)",
        "samples",
        "IP volume (kbit) over the time with data in the buffer (ms), TS 32.425 4.4.6 and "
        "TS 32.450 6.3.1: kbit/ms = Mbit/s.",
        "LTE",
        10.0,
    ),
    RanKpi(
        "LTE_UL_THROUGHPUT",
        "LTE UL user throughput",
        "Mbit/s",
        "higher",
        "sum(pm.DRB.IPVolUl.sum) / sum(pm.DRB.IPTimeUl.sum)",
        "samples",
        "IP volume (kbit) over the time with data in the buffer (ms), TS 32.425 4.4.6 and "
        "TS 32.450 6.3.1: kbit/ms = Mbit/s.",
        "LTE",
        2.0,
    ),
    RanKpi(
        "NR_DL_THROUGHPUT",
        "NR DL user throughput",
        "Mbit/s",
        "higher",
        "avg(pm.DRB.UEThpDl) / 1000",
        "samples",
        "Average DL UE throughput of the gNB (TS 28.552 5.1.1.3.1, kbit/s), time-weighted, "
        "in Mbit/s.",
        "NR",
        50.0,
    ),
    RanKpi(
        "NR_UL_THROUGHPUT",
        "NR UL user throughput",
        "Mbit/s",
        "higher",
        "avg(pm.DRB.UEThpUl) / 1000",
        "samples",
        "Average UL UE throughput of the gNB (TS 28.552 5.1.1.3.3, kbit/s), time-weighted, "
        "in Mbit/s.",
        "NR",
        10.0,
    ),
    RanKpi(
        "CELL_AVAILABILITY",
        "Cell availability",
        "%",
        "higher",
        "100 * (seconds(pm.RRU.CellUnavailableTime.sum) - sum(pm.RRU.CellUnavailableTime.sum))\n"
        "    / seconds(pm.RRU.CellUnavailableTime.sum)",
        "samples",
        "Share of the reported time the cell was available: (period − unavailable time) / "
        "period, over cells and periods (TS 32.425 4.5.6, seconds).",
        "LTE",
        99.9,
    ),
    RanKpi(
        "LTE_ACTIVE_UE_DL",
        "LTE mean active UEs (DL) per cell",
        "UEs",
        "higher",
        "avg(pm.DRB.UEActiveDl.sum)",
        "samples",
        "Mean number of UEs with DL data in the buffer (TS 32.425 4.4.2), time-weighted; "
        "over several cells, the mean per cell.",
        "LTE",
        10.0,
    ),
    RanKpi(
        "NR_ACTIVE_UE_DL",
        "NR mean active UEs (DL) per cell",
        "UEs",
        "higher",
        "avg(pm.DRB.MeanActiveUeDl)",
        "samples",
        "Mean number of active UEs in the DL (TS 28.552 5.1.1.23.1), time-weighted; over "
        "several cells, the mean per cell.",
        "NR",
        10.0,
    ),
)

RAN_KPIS: dict[str, RanKpi] = {kpi.name: kpi for kpi in _PACK}
"""The pack by name, in the order ``docs/ran.md`` lists it."""

DIMENSIONS = ("ne", "cell")
