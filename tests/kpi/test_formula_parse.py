from __future__ import annotations

import pytest

from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.formula.ast import Aggregate, BinOp, Neg, Number
from kpiwatch.kpi.templates import TEMPLATES


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_it_parses_every_template_and_its_canonical_form(name: str) -> None:
    formula = parse(TEMPLATES[name].formula)
    assert "service" in formula.dimensions_allowed
    again = parse(formula.canonical)
    assert again.expr == formula.expr
    assert again.canonical == formula.canonical


def test_it_fills_in_the_default_time_fields() -> None:
    formula = parse("count(service_requests) / count(deployments) + open(service_requests)")
    assert formula.canonical == (
        "count(service_requests by created_at) / count(deployments by finished_at)"
        " + open(service_requests from created_at to resolved_at)"
    )
    assert formula.datasets == ("service_requests", "deployments")
    # Only fields both datasets have can group a formula over both.
    assert formula.dimensions_allowed == ("service", "status")


def test_it_reads_keywords_in_any_case_and_skips_comments() -> None:
    formula = parse(
        "# first-time fixes\n"
        "COUNT(service_requests WHERE status = 'done' AND NOT reassignment_count > 0\n"
        "      BY resolved_at)  # per resolution day\n"
    )
    assert formula.canonical == (
        "count(service_requests where status = 'done' and not reassignment_count > 0"
        " by resolved_at)"
    )


def test_it_accepts_clauses_in_any_order() -> None:
    a = parse("count(service_requests by resolved_at where status = 'done')")
    b = parse("count(service_requests where status = 'done' by resolved_at)")
    assert a.expr == b.expr


def test_it_keeps_arithmetic_precedence_and_unary_minus() -> None:
    formula = parse("-1 + 2 * count(deployments) / (3 - .5e1)")
    expr = formula.expr
    assert isinstance(expr, BinOp) and expr.op == "+"
    assert expr.left == Neg(Number(1))
    assert isinstance(expr.right, BinOp) and expr.right.op == "/"
    assert formula.canonical == "-1 + 2 * count(deployments by finished_at) / (3 - 5.0)"
    assert parse("1 - (2 - count(deployments))").canonical == (
        "1 - (2 - count(deployments by finished_at))"
    )


def test_it_reads_conditions() -> None:
    formula = parse(
        "count(service_requests where (priority in ('P1', 'P2') or category is null)"
        " and assignee <> 'o''brien' and sla_due_at is not null"
        " and hours(resolved_at - created_at) >= 1.5 and reassignment_count not in (-1, 3))"
    )
    assert formula.canonical == (
        "count(service_requests where (priority in ('P1', 'P2') or category is null)"
        " and assignee != 'o''brien' and sla_due_at is not null"
        " and hours(resolved_at - created_at) >= 1.5 and reassignment_count not in (-1, 3)"
        " by created_at)"
    )


def test_it_names_aggregates_and_their_parts() -> None:
    formula = parse(
        "avg(hours(resolved_at - created_at) of service_requests) "
        "- p90(minutes(first_response_at - created_at) of service_requests)"
        " + max(reassignment_count of service_requests)"
    )
    assert [a.key for a in formula.aggregates] == ["avg_1", "p90_2", "max_3"]
    assert formula.part_keys == ("avg_1.sum", "avg_1.count", "p90_2", "max_3")
    assert not formula.additive
    assert all(isinstance(a, Aggregate) for a in formula.aggregates)


def test_it_computes_a_value_from_parts_with_no_data_for_zero_denominators() -> None:
    formula = parse(TEMPLATES["FCR"].formula)
    assert formula.value({"count_1": 3, "count_2": 4}) == 75.0
    assert formula.value({"count_1": 0, "count_2": 0}) is None
    mttr = parse(TEMPLATES["MTTR"].formula)
    assert mttr.value({"avg_1.sum": 7.5, "avg_1.count": 3}) == 2.5
    assert mttr.value({"avg_1.sum": 0.0, "avg_1.count": 0}) is None


def test_it_explains_what_it_computes() -> None:
    assert parse(TEMPLATES["FCR"].formula).explain().splitlines() == [
        "value = 100 * count_1 / count_2",
        "count_1 = count of rows of service_requests where status = 'done' and "
        "reassignment_count = 0 (in the period of resolved_at)",
        "count_2 = count of rows of service_requests where status = 'done' "
        "(in the period of resolved_at)",
        "dimensions: service, category, priority, status, assignee, reassignment_count",
    ]
    assert parse(TEMPLATES["SR_BACKLOG"].formula).explain().splitlines()[1] == (
        "open_1 = rows of service_requests open at the end of the period "
        "(created_at before the end, resolved_at empty or not before the end)"
    )
