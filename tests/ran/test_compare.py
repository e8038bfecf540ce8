"""The statistics of N-1 vs N on their own: BH, the pooled z-test, gates and thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from scipy.stats import false_discovery_control

from kpiwatch.ran.compare import (
    Side,
    Thresholds,
    benjamini_hochberg,
    compare_kpi,
    summarize,
    two_proportion_z,
)

# Benjamini & Hochberg (1995), section 4: 15 p-values of a myocardial infarction study.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    name: str
    unit: str
    direction: str
    kind: str


RATE = Kpi("RRC_SETUP_SR", "%", "higher", "proportion")
DROPS = Kpi("ERAB_DROP_RATE", "%", "lower", "proportion")
THROUGHPUT = Kpi("LTE_DL_THROUGHPUT", "Mbit/s", "higher", "samples")


def rate(successes: float, trials: float) -> Side:
    return Side(100 * successes / trials, successes, trials)


def test_it_adjusts_the_bh_1995_example_as_the_paper_and_scipy_do() -> None:
    adjusted = benjamini_hochberg(BH_1995)
    assert adjusted == pytest.approx(list(false_discovery_control(BH_1995, method="bh")))
    # The paper rejects the four smallest at q = 0.05 (Bonferroni only the first three).
    assert [q < 0.05 for q in adjusted] == [True] * 4 + [False] * 11
    assert adjusted[:4] == pytest.approx([0.0015, 0.003, 0.0095, 0.035625])


def test_it_keeps_the_input_order_and_is_monotone_in_the_p_values() -> None:
    shuffled = [BH_1995[i] for i in (9, 0, 14, 3, 7, 1)]
    adjusted = benjamini_hochberg(shuffled)
    assert adjusted == pytest.approx(list(false_discovery_control(shuffled, method="bh")))
    assert benjamini_hochberg([]) == []


def test_it_computes_the_pooled_z_by_hand() -> None:
    # 45/50 vs 30/50: pooled p = 0.75, se = sqrt(.75·.25·(2/50)) = 0.0866025
    z, p = two_proportion_z(45, 50, 30, 50)
    assert z == pytest.approx(-0.3 / math.sqrt(0.75 * 0.25 * 0.04))
    assert z == pytest.approx(-3.4641016, rel=1e-7)
    assert p == pytest.approx(0.000532006, rel=1e-5)  # 2·(1 − Φ(3.4641))


def test_it_sees_no_difference_when_every_trial_succeeded_in_both_periods() -> None:
    assert two_proportion_z(500, 500, 300, 300) == (0.0, 1.0)


def test_it_reads_a_drop_rate_rise_as_degraded() -> None:
    rows = compare_kpi(
        DROPS,
        {("ENB1", "C1"): (rate(10, 10_000), rate(60, 10_000))},
        (rate(10, 10_000), rate(60, 10_000)),
        Thresholds(rate_pp=0.1),
    )
    assert [r.verdict for r in rows] == ["degraded", "degraded"]
    assert rows[1].change == pytest.approx(0.5)
    assert rows[1].size == pytest.approx(-0.5)  # worse by 0.5 pp


def test_it_calls_a_significant_change_within_the_threshold_stable() -> None:
    pair = (rate(9_900, 10_000), rate(9_850, 10_000))  # -0.5 pp, p ≈ 0.001
    row = compare_kpi(RATE, {("E", "C"): pair}, pair, Thresholds(rate_pp=1.0))[1]
    assert row.p_adjusted is not None and row.p_adjusted < 0.05
    assert (row.verdict, row.reason) == ("stable", "significant but within ±1 pp")
    tighter = compare_kpi(RATE, {("E", "C"): pair}, pair, Thresholds(rate_pp=0.25))[1]
    assert tighter.verdict == "degraded"


def test_it_gates_and_reports_missing_data_as_inconclusive() -> None:
    cells = {
        ("E", "few"): (rate(40, 50), rate(10, 50)),
        ("E", "gone"): (rate(900, 1000), Side(None)),
    }
    rows = compare_kpi(RATE, cells, (Side(None), Side(None)), Thresholds(min_attempts=100))
    reasons = {r.cell: (r.verdict, r.reason) for r in rows}
    assert reasons[None] == ("inconclusive", "no data in N-1")
    assert reasons["few"] == ("inconclusive", "fewer than 100 attempts in N-1 (50)")
    assert reasons["gone"] == ("inconclusive", "no data in N")


def test_it_treats_growth_from_zero_as_beyond_any_relative_threshold() -> None:
    before = Side(0.0, samples=(0.0, 0.0, 0.0, 0.0, 0.0))
    after = Side(4.0, samples=(3.0, 4.0, 5.0, 4.0, 4.0))
    row = compare_kpi(THROUGHPUT, {("E", "C"): (before, after)}, (before, after), Thresholds())[1]
    assert (row.change, row.change_pct, row.size) == (4.0, None, None)
    assert row.verdict == "improved"


def test_it_ranks_cells_by_degraded_kpis_then_by_size() -> None:
    bad = (rate(990, 1000), rate(900, 1000))  # -9 pp
    worse = (rate(990, 1000), rate(800, 1000))  # -19 pp
    good = (rate(900, 1000), rate(990, 1000))
    rows = compare_kpi(
        RATE, {("E", "A"): bad, ("E", "B"): worse, ("E", "C"): good}, bad, Thresholds()
    )
    rows += compare_kpi(DROPS, {("E", "A"): good}, good, Thresholds())  # drops up 9 pp
    summary = summarize(rows)
    assert [(c["cell"], c["degraded_kpis"]) for c in summary["worst_cells"]] == [
        ("A", ["ERAB_DROP_RATE", "RRC_SETUP_SR"]),
        ("B", ["RRC_SETUP_SR"]),
    ]
    assert summary["worst_cells"][1]["degradation"] == pytest.approx(19.0)
    assert [k["kpi"] for k in summary["worst_kpis"]] == ["RRC_SETUP_SR", "ERAB_DROP_RATE"]
    assert summary["verdicts"] == {"improved": 1, "degraded": 3, "stable": 0, "inconclusive": 0}
