"""N-1 vs N through the API: values, changes, tests, p-values, BH and verdicts per cell.

Counters are uploaded as CSV (six hourly periods in each of N-1 and N, three cells of
ENB7). Expected p-values are the pooled two-proportion z formula written out below and
SciPy's ``mannwhitneyu``; BH across the two testable cells of a KPI gives
``q(smaller p) = min(2·p, other p)`` and ``q(larger p) = larger p``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from statistics import fmean

import pytest
from fastapi.testclient import TestClient
from scipy.stats import mannwhitneyu
from tests.ran.analysis_support import (
    hourly_csv,
    rows_by,
    start,
    upload,
    wait_for,
)

RRC_ATT, RRC_SUCC = "RRC.ConnEstabAtt.sum", "RRC.ConnEstabSucc.sum"
PRB = "RRU.PrbTotDl"
VOL, TIME = "DRB.IPVolDl.sum", "DRB.IPTimeDl.sum"
PRB_C1 = ([30, 32, 31, 33, 29, 35], [50, 52, 49, 55, 51, 53])
PRB_C2 = ([40, 41, 42, 43, 44, 45], [40.5, 41.5, 42.5, 43.5, 44.5, 45.5])
PRB_C3 = ([20, 21, 22, 23, 24, 25], [20, None, 21, None, None, 22])
VOL_C1 = ([10000, 10200, 9900, 10100, 10050, 9950], [12000, 12100, 11900, 12300, 11800, 12050])
COUNTERS = {
    ("ENB7", "C1", RRC_ATT): ([1000] * 6, [1000] * 6),
    ("ENB7", "C1", RRC_SUCC): ([990] * 6, [960] * 6),
    ("ENB7", "C2", RRC_ATT): ([500] * 6, [500] * 6),
    ("ENB7", "C2", RRC_SUCC): ([495] * 6, [494] * 6),
    ("ENB7", "C3", RRC_ATT): ([10] * 6, [10] * 6),
    ("ENB7", "C3", RRC_SUCC): ([10] * 6, [9] * 6),
    ("ENB7", "C1", PRB): PRB_C1,
    ("ENB7", "C2", PRB): PRB_C2,
    ("ENB7", "C3", PRB): PRB_C3,
    ("ENB7", "C1", VOL): VOL_C1,
    ("ENB7", "C1", TIME): ([1000] * 6, [1000] * 6),
    ("ENB7", "C2", VOL): ([20000] * 6, [20100] * 6),
    ("ENB7", "C2", TIME): ([2000] * 6, [2000] * 6),
}


def pooled_z(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """statsmodels' proportions_ztest (pooled variance, two-sided), written out."""
    p = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return z, math.erfc(abs(z) / math.sqrt(2))


def u_test(a: list[float], b: list[float]) -> tuple[float, float]:
    result = mannwhitneyu(a, b, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


@pytest.fixture
def result(client: TestClient, headers: Callable[[str], dict[str, str]]) -> dict[str, object]:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    kpis = ["RRC_SETUP_SR", "LTE_PRB_UTIL_DL", "LTE_DL_THROUGHPUT"]
    job = start(client, headers, kpi_types=kpis, use_llm=False)
    assert job["status"] == "queued"
    done = wait_for(client, headers("carol"), job["analysis_id"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 100
    answer = client.get(
        f"/api/async-analysis/result/{job['analysis_id']}", headers=headers("carol")
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_it_tests_rates_with_the_pooled_z_and_corrects_cells_with_bh(result: dict) -> None:
    rows = rows_by(result, "RRC_SETUP_SR")
    z1, p1 = pooled_z(5940, 6000, 5760, 6000)
    z2, p2 = pooled_z(2970, 3000, 2964, 3000)
    assert z1 == pytest.approx(-10.5247, abs=1e-4)  # -0.03 / sqrt(.975·.025·2/6000)
    c1, c2, c3 = rows["C1"], rows["C2"], rows["C3"]
    assert (c1["value_n_minus_1"], c1["value_n"]) == (pytest.approx(99.0), pytest.approx(96.0))
    assert c1["change"] == pytest.approx(-3.0)
    assert c1["test"] == "two-proportion z-test"
    assert c1["statistic"] == pytest.approx(z1, rel=1e-9)
    assert c1["p_value"] == pytest.approx(p1, rel=1e-6, abs=1e-300)
    assert c1["p_adjusted"] == pytest.approx(min(2 * p1, p2), rel=1e-9)
    assert (c1["count_n_minus_1"], c1["count_n"]) == (6000, 6000)
    assert c1["verdict"] == "degraded"
    assert c2["statistic"] == pytest.approx(z2, rel=1e-9)
    assert c2["p_value"] == pytest.approx(p2, rel=1e-9)
    assert c2["p_adjusted"] == pytest.approx(p2, rel=1e-9)
    assert c2["change"] == pytest.approx(-0.2)
    assert c2["verdict"] == "stable"
    assert c3["verdict"] == "inconclusive"
    assert c3["reason"] == "fewer than 100 attempts in N-1 (60)"
    assert c3["p_value"] is None
    network = rows[None]
    zn, pn = pooled_z(8970, 9060, 8778, 9060)
    assert network["value_n_minus_1"] == pytest.approx(100 * 8970 / 9060)
    assert network["value_n"] == pytest.approx(100 * 8778 / 9060)
    assert network["statistic"] == pytest.approx(zn, rel=1e-9)
    assert network["p_value"] == pytest.approx(pn, rel=1e-6, abs=1e-300)
    assert network["verdict"] == "degraded"


def test_it_tests_samples_with_mann_whitney_and_gates_short_series(result: dict) -> None:
    rows = rows_by(result, "LTE_PRB_UTIL_DL")
    u1, p1 = u_test(*PRB_C1)
    u2, p2 = u_test(*PRB_C2)
    c1, c2, c3 = rows["C1"], rows["C2"], rows["C3"]
    assert c1["test"] == "Mann-Whitney U"
    assert (c1["statistic"], c1["p_value"]) == (pytest.approx(u1), pytest.approx(p1, rel=1e-9))
    assert p1 == pytest.approx(2 / 924)  # every N value above every N-1 value: 2 of C(12,6)
    assert c1["p_adjusted"] == pytest.approx(min(2 * p1, p2), rel=1e-9)
    assert c1["value_n_minus_1"] == pytest.approx(fmean(PRB_C1[0]))
    assert c1["value_n"] == pytest.approx(fmean(PRB_C1[1]))
    assert c1["change"] == pytest.approx(20.0)
    assert c1["threshold_unit"] == "pp"
    assert c1["verdict"] == "degraded"  # PRB use: lower is better
    assert (c2["p_value"], c2["verdict"]) == (pytest.approx(p2, rel=1e-9), "stable")
    assert c3["verdict"] == "inconclusive"
    assert c3["reason"] == "fewer than 4 intervals in N (3)"
    before = [fmean(hour) for hour in zip(PRB_C1[0], PRB_C2[0], PRB_C3[0], strict=True)]
    after = [
        fmean(v for v in hour if v is not None)
        for hour in zip(PRB_C1[1], PRB_C2[1], PRB_C3[1], strict=True)
    ]
    network = rows[None]
    assert network["p_value"] == pytest.approx(u_test(before, after)[1], rel=1e-9)
    present = [v for v in PRB_C1[1] + PRB_C2[1] + PRB_C3[1] if v is not None]
    assert network["value_n"] == pytest.approx(fmean(present))


def test_it_reads_volumes_against_a_relative_threshold(result: dict) -> None:
    rows = rows_by(result, "LTE_DL_THROUGHPUT")
    c1, c2 = rows["C1"], rows["C2"]
    before, after = sum(VOL_C1[0]) / 6000, sum(VOL_C1[1]) / 6000  # kbit/ms = Mbit/s
    assert (c1["value_n_minus_1"], c1["value_n"]) == (pytest.approx(before), pytest.approx(after))
    assert c1["change_pct"] == pytest.approx(100 * (after - before) / before)
    assert c1["threshold_unit"] == "%"
    samples = ([v / 1000 for v in VOL_C1[0]], [v / 1000 for v in VOL_C1[1]])
    assert c1["p_value"] == pytest.approx(u_test(*samples)[1], rel=1e-9)
    assert c1["verdict"] == "improved"
    assert c2["change_pct"] == pytest.approx(0.5)
    assert c2["verdict"] == "stable"  # all N above N-1 (p = 0.0022) but +0.5 % < 5 %
    assert c2["reason"] == "significant but within ±5 %"


def test_it_ranks_the_worst_cells_and_kpis_and_narrates_from_the_table(result: dict) -> None:
    summary = result["peg_metrics"]["summary"]
    assert summary["verdicts"] == {"improved": 1, "degraded": 2, "stable": 3, "inconclusive": 2}
    assert summary["worst_cells"] == [
        {
            "ne": "ENB7",
            "cell": "C1",
            "degraded_kpis": ["LTE_PRB_UTIL_DL", "RRC_SETUP_SR"],
            "degradation": pytest.approx(23.0),  # 20 pp of PRB use + 3 pp of RRC success
        }
    ]
    assert [k["kpi"] for k in summary["worst_kpis"]] == ["LTE_PRB_UTIL_DL", "RRC_SETUP_SR"]
    assert result["analyzer"] == "deterministic"
    assert result["llm_analysis"]["analyzer"] == "deterministic"
    text = result["llm_analysis"]["summary"]
    assert text.startswith(
        "N-1 (2026-02-28_00:00~2026-02-28_05:59) compared with N "
        "(2026-03-01_00:00~2026-03-01_05:59): 3 KPIs on 3 cells; cell verdicts: 1 improved, "
        "2 degraded, 3 stable, 2 inconclusive."
    )
    assert "RRC setup success rate (network): 99.01 % in N-1, 96.89 % in N (-2.12 pp" in text
    assert "Worst cells: ENB7/C1 (2 degraded: LTE DL PRB utilisation, RRC setup success" in text
    assert result["llm_analysis"]["issues"][0].startswith(
        "LTE DL PRB utilisation (ENB7/C1): 31.67 % in N-1, 51.67 % in N (+20.00 pp"
    )
    assert result["time_ranges"]["n"] == {
        "start": "2026-03-01T00:00:00+00:00",
        "end": "2026-03-01T06:00:00+00:00",
        "label": "2026-03-01_00:00~2026-03-01_05:59",
    }
    assert (result["ne_id"], result["cell_id"], result["status"]) == ("*", "*", "success")


def _shown(row: dict, key: str, form: str) -> set[str]:
    value = row[key]
    return set() if value is None else {format(value, form), format(abs(value), form)}


def test_it_prints_no_number_that_is_not_in_the_table(result: dict) -> None:
    table = result["peg_metrics"]
    allowed = {str(n) for n in table["summary"]["verdicts"].values()}
    allowed |= {str(len(table["kpis"])), str(len({r["cell"] for r in table["rows"]}) - 1)}
    for row in table["rows"]:
        for key in ("value_n_minus_1", "value_n", "change", "change_pct"):
            allowed |= _shown(row, key, ".2f") | _shown(row, key, "+.2f")
        allowed |= _shown(row, "p_adjusted", ".3g") | _shown(row, "threshold", "g")
        allowed |= set(re.findall(r"\d+", row["reason"]))
    story = result["llm_analysis"]
    text = " ".join([story["summary"], *story["findings"], *story["issues"]])
    for label in result["time_ranges"]["n_minus_1"]["label"], result["time_ranges"]["n"]["label"]:
        text = text.replace(label, "")
    text = re.sub(r"\bN-1\b|ENB7|C\d\b", "", text)
    printed = re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert len(printed) > 30, printed
    assert all(number in allowed for number in printed), set(printed) - allowed
