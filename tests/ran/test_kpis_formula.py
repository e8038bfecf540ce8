"""Counter formulas in the KPI language: names with dots, dashes and indexes, the
functions, their parts and explanation, and the errors (with their position)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kpiwatch.kpi.formula import FormulaError, parse, rollup
from kpiwatch.ran.kpis import RAN_KPIS


def _error(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse(text)
    return info.value


def test_it_reads_counter_names_with_dots_dashes_and_an_index() -> None:
    formula = parse(
        "SUM(pm.RRC.ConnEstabAtt.mo-Signalling) - max(pm.RRC.ConnEstabTime.Bin[3])  # bins\n"
    )
    assert formula.canonical == (
        "sum(pm.RRC.ConnEstabAtt.mo-Signalling) - max(pm.RRC.ConnEstabTime.Bin[3])"
    )
    assert formula.counters == ("RRC.ConnEstabAtt.mo-Signalling", "RRC.ConnEstabTime.Bin[3]")
    assert formula.datasets == ("pm",)
    assert formula.dimensions_allowed == ("ne", "cell")
    assert parse(formula.canonical).expr == formula.expr


def test_it_names_the_parts_of_each_function() -> None:
    formula = parse("sum(pm.A) + count(pm.A) + seconds(pm.A) + min(pm.B) + max(pm.B) + avg(pm.C)")
    assert formula.part_keys == (
        "sum_1",
        "count_2",
        "seconds_3",
        "min_4",
        "max_5",
        "avg_6.weighted",
        "avg_6.seconds",
    )
    assert formula.explain().splitlines() == [
        "value = sum_1 + count_2 + seconds_3 + min_4 + max_5 + avg_6",
        "sum_1 = sum of counter A (suspect values left out)",
        "count_2 = number of values of counter A (suspect values left out)",
        "seconds_3 = seconds covered by the values of counter A (suspect values left out)",
        "min_4 = smallest value of counter B (suspect values left out)",
        "max_5 = largest value of counter B (suspect values left out)",
        "avg_6 = mean of counter C weighted by the seconds each value covers; kept as "
        "avg_6.weighted and avg_6.seconds",
        "dimensions: ne, cell",
    ]


def test_it_rolls_up_counter_parts_and_keeps_no_data_apart_from_zero() -> None:
    formula = parse("100 * sum(pm.S) / sum(pm.A) + 0 * avg(pm.M) + 0 * max(pm.M)")
    cell_1 = {"sum_1": 98.0, "sum_2": 100.0, "avg_3.weighted": 900.0, "avg_3.seconds": 900}
    cell_2 = {"sum_1": 36.0, "sum_2": 40.0, "avg_3.weighted": 7200.0, "avg_3.seconds": 3600}
    value, parts = rollup(formula, [cell_1 | {"max_4": 3.0}, cell_2 | {"max_4": 2.0}])
    assert value == pytest.approx(100 * 134 / 140)
    assert parts == {
        "sum_1": 134.0,
        "sum_2": 140.0,
        "avg_3.weighted": 8100.0,
        "avg_3.seconds": 4500,
        "max_4": 3.0,
    }
    nothing = dict.fromkeys(formula.part_keys)
    assert rollup(formula, [nothing, nothing]) == (None, nothing)
    assert formula.value(cell_1 | {"sum_2": 0.0, "max_4": 1.0}) is None  # zero denominator


@pytest.mark.parametrize("name", sorted(RAN_KPIS))
def test_it_parses_every_pack_kpi_again_from_its_canonical_form(name: str) -> None:
    formula = parse(RAN_KPIS[name].formula)
    assert parse(formula.canonical).expr == formula.expr
    kpi = RAN_KPIS[name]
    assert set(kpi.successes + kpi.trials) <= set(formula.part_keys)
    assert (kpi.kind == "proportion") == bool(kpi.successes and kpi.trials)


CASES = [
    ("p95(pm.RRC.ConnEstabAtt.sum)", 1, 1, "p95() does not apply to a counter"),
    ("open(pm.X)", 1, 1, "open() does not apply to a counter"),
    (
        "count(service_requests) / sum(pm.RRC.ConnEstabAtt.sum)",
        1,
        27,
        "a formula reads either datasets or counters (pm.…), not both",
    ),
    ("sum(pm.RRC.)", 1, 5, "'pm.RRC.' is not a counter name"),
    ("sum(pm.A..B)", 1, 5, "'pm.A..B' is not a counter name"),
    ("sum(pm.X where ne = 'ENB7')", 1, 10, "unexpected 'where'; expected ')'"),
    ("sum(pm.X[a])", 1, 9, "unexpected character '['"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), CASES)
def test_it_points_at_what_is_wrong(text: str, line: int, column: int, message: str) -> None:
    error = _error(text)
    assert (error.line, error.column, error.message) == (line, column, message)


def test_it_validates_a_counter_formula_over_http(client: TestClient) -> None:
    ok = client.post(
        "/api/kpi/validate",
        json={"formula": "100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)"},
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert (body["datasets"], body["counters"], body["dimensions_allowed"]) == (
        ["pm"],
        ["RRC.ConnEstabSucc.sum", "RRC.ConnEstabAtt.sum"],
        ["ne", "cell"],
    )
    assert body["explain"].splitlines()[0] == "value = 100 * sum_1 / sum_2"
    bad = client.post("/api/kpi/validate", json={"formula": "avg(pm.DRB.UEThpDl) + p99(pm.X)"})
    assert bad.status_code == 422
    [detail] = bad.json()["detail"]
    assert (detail["loc"], detail["line"], detail["column"]) == (["body", "formula"], 1, 23)
