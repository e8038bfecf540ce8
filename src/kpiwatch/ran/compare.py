"""N-1 vs N: is a KPI better, worse or the same in period N than in period N-1?

Each KPI is compared per cell and for the whole network:

- a **proportion** KPI (success and drop rates) by the two-proportion z-test on the
  counters pooled over the period: with ``p1 = x1/n1``, ``p2 = x2/n2`` and the pooled
  ``p = (x1 + x2)/(n1 + n2)``, ``z = (p2 − p1) / sqrt(p(1 − p)(1/n1 + 1/n2))`` and the
  two-sided p-value ``2·(1 − Φ(|z|))`` (the same as statsmodels' ``proportions_ztest``
  with its default pooled variance);
- a **samples** KPI (throughput, PRB utilisation, availability) by the two-sided
  Mann-Whitney U test (SciPy) on the per-interval values of each period.

The per-cell p-values of one KPI are one family: they are corrected with
Benjamini-Hochberg, so that testing a thousand cells does not flag fifty by chance.

A verdict needs both significance and size: significant (corrected p < alpha) and a change
beyond the practical threshold in the good direction → ``improved``, in the bad direction →
``degraded``; otherwise ``stable``. Too few attempts or samples (the gate), or no data in
either period → ``inconclusive``. Thresholds are percentage points for KPIs in ``%`` and a
relative change in % for the others (volumes, throughput).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from scipy.stats import mannwhitneyu, norm

Verdict = Literal["improved", "degraded", "stable", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("improved", "degraded", "stable", "inconclusive")
Z_TEST = "two-proportion z-test"
U_TEST = "Mann-Whitney U"


class KpiMeta(Protocol):
    """What the comparison needs to know of a KPI (``ran.kpis.RanKpi`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def direction(self) -> str: ...  # "higher" | "lower" is better
    @property
    def kind(self) -> str: ...  # "proportion" | "samples"


@dataclass(frozen=True)
class Thresholds:
    """How sure and how big a change must be to count."""

    alpha: float = 0.05
    rate_pp: float = 1.0  # KPIs in %: percentage points
    volume_pct: float = 5.0  # other KPIs: relative change in %
    min_attempts: int = 100  # proportion KPIs: trials in each period
    min_samples: int = 4  # samples KPIs: intervals in each period
    per_kpi: Mapping[str, float] = field(default_factory=dict)  # in the KPI's threshold unit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_kpi": dict(self.per_kpi)}

    def for_kpi(self, kpi: KpiMeta) -> tuple[float, str]:
        unit = "pp" if kpi.unit == "%" else "%"
        default = self.rate_pp if unit == "pp" else self.volume_pct
        return self.per_kpi.get(kpi.name, default), unit


@dataclass(frozen=True)
class Side:
    """One period of one KPI on one cell (or the network).

    ``value`` is the KPI over the whole period; a proportion KPI also carries its pooled
    ``successes`` and ``trials``, a samples KPI the per-interval ``samples``.
    """

    value: float | None
    successes: float | None = None
    trials: float | None = None
    samples: tuple[float, ...] = ()


@dataclass
class Comparison:
    """One row of the N-1 vs N table."""

    kpi: str
    ne: str | None  # None on the network row
    cell: str | None
    unit: str
    direction: str
    value_n_minus_1: float | None
    value_n: float | None
    change: float | None  # N − (N-1), in the KPI's unit
    change_pct: float | None  # relative to N-1, in %
    test: str | None
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    verdict: Verdict
    reason: str
    threshold: float
    threshold_unit: str  # "pp" | "%"
    size: float | None  # the change in the threshold's unit, signed: > 0 is better
    count_n_minus_1: float | None  # attempts (proportion) or intervals (samples)
    count_n: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def two_proportion_z(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """(z, two-sided p) of p2 − p1 with the pooled variance.

    When both periods are all successes or all failures the variance is zero and there is
    no difference to test: (0.0, 1.0).
    """
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / math.sqrt(variance)
    return z, float(2 * norm.sf(abs(z)))


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """(U of ``a``, two-sided p) by SciPy; identical samples give p = 1."""
    result = mannwhitneyu(a, b, alternative="two-sided")
    p = float(result.pvalue)
    return float(result.statistic), 1.0 if math.isnan(p) else p


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input's order.

    Sorted ascending, ``q(i) = min over j ≥ i of p(j)·m/j``, capped at 1; rejecting
    ``q < alpha`` keeps the false discovery rate at ``alpha`` (BH 1995, step-up).
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = running
    return adjusted


def _count(kpi: KpiMeta, side: Side) -> float | None:
    if kpi.kind == "proportion":
        return side.trials
    return float(len(side.samples)) if side.samples else None


def _no_data(kpi: KpiMeta, side: Side) -> bool:
    if side.value is None:
        return True
    if kpi.kind == "proportion":
        return not side.trials
    return not side.samples


def _gate(kpi: KpiMeta, before: Side, after: Side, limits: Thresholds) -> str | None:
    """Why the pair is inconclusive, or None when it can be tested."""
    for label, side in (("N-1", before), ("N", after)):
        if _no_data(kpi, side):
            return f"no data in {label}"
    for label, side in (("N-1", before), ("N", after)):
        if kpi.kind == "proportion" and (side.trials or 0) < limits.min_attempts:
            return f"fewer than {limits.min_attempts} attempts in {label} ({side.trials:g})"
        if kpi.kind != "proportion" and len(side.samples) < limits.min_samples:
            return f"fewer than {limits.min_samples} intervals in {label} ({len(side.samples)})"
    return None


def _test(kpi: KpiMeta, before: Side, after: Side) -> tuple[str, float, float]:
    if kpi.kind == "proportion":
        assert before.trials and after.trials
        z, p = two_proportion_z(
            before.successes or 0.0, before.trials, after.successes or 0.0, after.trials
        )
        return Z_TEST, z, p
    u, p = mann_whitney(before.samples, after.samples)
    return U_TEST, u, p


def _changes(before: float | None, after: float | None) -> tuple[float | None, float | None]:
    if before is None or after is None:
        return None, None
    change = after - before
    if before == 0:
        return change, None
    return change, 100 * change / abs(before)


def _size(kpi: KpiMeta, unit: str, change: float | None, change_pct: float | None) -> float | None:
    """The change in the threshold's unit, signed so that > 0 is an improvement."""
    amount = change if unit == "pp" else change_pct
    if amount is None:
        return None
    return amount if kpi.direction == "higher" else -amount


def _verdict(row: Comparison, alpha: float) -> tuple[Verdict, str]:
    assert row.p_adjusted is not None
    if row.p_adjusted >= alpha:
        return "stable", f"not significant (p = {row.p_adjusted:.4g} ≥ {alpha:g})"
    size = row.size
    if size is None:  # from 0 to anything: a relative change beyond any threshold
        change = row.change or 0.0
        size = change if row.direction == "higher" else -change
    elif abs(size) <= row.threshold:
        return "stable", f"significant but within ±{row.threshold:g} {row.threshold_unit}"
    if size > 0:
        return "improved", f"significant and beyond {row.threshold:g} {row.threshold_unit}"
    return "degraded", f"significant and beyond {row.threshold:g} {row.threshold_unit}"


def _row(
    kpi: KpiMeta,
    key: tuple[str | None, str | None],
    before: Side,
    after: Side,
    limits: Thresholds,
) -> Comparison:
    threshold, unit = limits.for_kpi(kpi)
    change, change_pct = _changes(before.value, after.value)
    row = Comparison(
        kpi=kpi.name,
        ne=key[0],
        cell=key[1],
        unit=kpi.unit,
        direction=kpi.direction,
        value_n_minus_1=before.value,
        value_n=after.value,
        change=change,
        change_pct=change_pct,
        test=None,
        statistic=None,
        p_value=None,
        p_adjusted=None,
        verdict="inconclusive",
        reason="",
        threshold=threshold,
        threshold_unit=unit,
        size=_size(kpi, unit, change, change_pct),
        count_n_minus_1=_count(kpi, before),
        count_n=_count(kpi, after),
    )
    gate = _gate(kpi, before, after, limits)
    if gate is not None:
        row.reason = gate
        return row
    row.test, row.statistic, row.p_value = _test(kpi, before, after)
    return row


def compare_kpi(
    kpi: KpiMeta,
    cells: Mapping[tuple[str, str], tuple[Side, Side]],
    network: tuple[Side, Side],
    limits: Thresholds,
) -> list[Comparison]:
    """The network row then one row per cell; cell p-values corrected together (BH)."""
    network_row = _row(kpi, (None, None), *network, limits)
    rows = [_row(kpi, key, *pair, limits) for key, pair in sorted(cells.items())]
    tested = [r for r in rows if r.p_value is not None]
    for row, q in zip(tested, benjamini_hochberg([r.p_value or 0.0 for r in tested]), strict=True):
        row.p_adjusted = q
    if network_row.p_value is not None:
        network_row.p_adjusted = network_row.p_value
        tested.append(network_row)
    for row in tested:
        row.verdict, row.reason = _verdict(row, limits.alpha)
    return [network_row, *rows]


def _loss(degraded: Sequence[Comparison]) -> float:
    """The summed signed sizes of degraded rows: the more negative, the worse."""
    return sum(r.size or 0.0 for r in degraded)


def summarize(rows: Sequence[Comparison], top: int = 10) -> dict[str, Any]:
    """Counts per verdict and the worst cells and KPIs, ranked by how much they degraded.

    A cell's ``degradation`` is the sum of its degraded KPIs' changes, each in its
    threshold unit (pp or %); cells rank by the number of degraded KPIs, then by that sum.
    KPIs rank by their number of degraded cells, then by the network row's change.
    """
    cell_rows = [r for r in rows if r.cell is not None]
    network = {r.kpi: r for r in rows if r.cell is None}
    counts = {v: sum(1 for r in cell_rows if r.verdict == v) for v in VERDICTS}
    cells: dict[tuple[str, str], list[Comparison]] = {}
    for row in cell_rows:
        if row.verdict == "degraded":
            cells.setdefault((row.ne or "", row.cell or ""), []).append(row)
    ranked_cells = sorted(
        cells.items(),
        key=lambda item: (-len(item[1]), _loss(item[1]), item[0]),
    )
    worst_cells = [
        {
            "ne": ne,
            "cell": cell,
            "degraded_kpis": sorted(r.kpi for r in degraded),
            "degradation": -_loss(degraded),
        }
        for (ne, cell), degraded in ranked_cells[:top]
    ]
    ranked_kpis: list[tuple[int, float, str]] = []
    for name in sorted({r.kpi for r in rows}):
        degraded_cells = sum(1 for r in cell_rows if r.kpi == name and r.verdict == "degraded")
        net = network.get(name)
        if degraded_cells or (net is not None and net.verdict == "degraded"):
            ranked_kpis.append((-degraded_cells, (net.size if net else None) or 0.0, name))
    worst_kpis = [
        {
            "kpi": name,
            "degraded_cells": -negative,
            "network_verdict": network[name].verdict if name in network else None,
            "network_size": network[name].size if name in network else None,
        }
        for negative, _, name in sorted(ranked_kpis)[:top]
    ]
    return {
        "verdicts": counts,
        "network": {name: row.verdict for name, row in sorted(network.items())},
        "worst_cells": worst_cells,
        "worst_kpis": worst_kpis,
    }
