"""Every example of docs/formulas.md parses, and every error example gives its error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpiwatch.kpi.formula import FormulaError, parse
from kpiwatch.kpi.templates import TEMPLATES

DOC = (Path(__file__).parents[2] / "docs" / "formulas.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(formula(?:-error)?)\n(.*?)^```", DOC, re.M | re.S)
EXAMPLES = [text for kind, text in BLOCKS if kind == "formula"]
ERRORS = [text for kind, text in BLOCKS if kind == "formula-error"]


def test_it_found_the_examples() -> None:
    assert len(EXAMPLES) >= 40
    assert len(ERRORS) >= 5


@pytest.mark.parametrize("text", EXAMPLES)
def test_it_parses_the_example(text: str) -> None:
    formula = parse(text)
    assert parse(formula.canonical).expr == formula.expr


@pytest.mark.parametrize("text", ERRORS)
def test_it_gives_the_documented_error(text: str) -> None:
    formula, _, expected = text.rstrip("\n").rpartition("\n→ ")
    with pytest.raises(FormulaError) as info:
        parse(formula)
    assert str(info.value) == expected


def test_it_documents_the_templates_as_they_are() -> None:
    documented = {parse(text).canonical for text in EXAMPLES}
    for template in TEMPLATES.values():
        assert parse(template.formula).canonical in documented


def test_it_shows_every_function_and_operator() -> None:
    words = [
        "count(",
        "count_distinct(",
        "sum(",
        "avg(",
        "min(",
        "max(",
        "p50(",
        "p90(",
        "p95(",
        "p99(",
        "open(",
        "seconds(",
        "minutes(",
        "hours(",
        "days(",
        " in (",
        " not in (",
        " is null",
        " is not null",
        " and ",
        " or ",
        "not ",
        " != ",
        " <> ",
        " < ",
        " <= ",
        " > ",
        " >= ",
        " by ",
        " from ",
        "-min(",
        "1e3",
    ]
    joined = "\n".join(EXAMPLES)
    assert [w for w in words if w not in joined] == []
