"""docs/ran.md says what the pack is: every formula example parses, every pack KPI is in
the table with its unit, direction and kind, and its formula is shown as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpiwatch.kpi.formula import parse
from kpiwatch.ran.kpis import RAN_KPIS

DOC = (Path(__file__).parents[2] / "docs" / "ran.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"^```formula\n(.*?)^```", DOC, re.M | re.S)
ROWS = {
    row[0].strip("` "): [cell.strip() for cell in row]
    for row in (line.strip("|").split("|") for line in DOC.splitlines() if line.startswith("| `"))
}


@pytest.mark.parametrize("text", EXAMPLES)
def test_it_parses_the_example(text: str) -> None:
    formula = parse(text)
    assert formula.counters
    assert parse(formula.canonical).expr == formula.expr


@pytest.mark.parametrize("name", sorted(RAN_KPIS))
def test_it_documents_the_pack_kpi(name: str) -> None:
    kpi = RAN_KPIS[name]
    assert ROWS[name][2:5] == [kpi.unit, kpi.direction, kpi.kind]
    documented = {parse(text).canonical for text in EXAMPLES}
    assert parse(kpi.formula).canonical in documented
    for counter in parse(kpi.formula).counters:
        assert counter in DOC
