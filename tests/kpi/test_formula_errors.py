"""Every kind of formula error, with its position (line, column) and message."""

from __future__ import annotations

import pytest

from kpiwatch.kpi.formula import FormulaError, parse

SR_FIELDS = [
    "id",
    "service",
    "category",
    "priority",
    "status",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_at",
    "assignee",
    "reassignment_count",
]


def _error(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse(text)
    return info.value


CASES = [
    # Syntax.
    ("", 1, 1, "the formula is empty; expected '(' or '-' or a name or a number"),
    (
        "count(",
        1,
        7,
        "the formula ends too soon; expected '(' or '-' or a counter (pm.<name>) or a name "
        "or a number",
    ),
    ("count(deployments) $", 1, 20, "unexpected character '$'"),
    (
        "count(deployments where status = 'done)",
        1,
        34,
        "unterminated string: a quoted string ends with ' on the same line",
    ),
    (
        "count(deployments where status = 'failed' 'x')",
        1,
        43,
        "unexpected ''x''; expected ')' or 'and' or 'by' or 'from' or 'or' or 'where'",
    ),
    (
        "count(deployments\n  where status == 'failed')",
        2,
        17,
        "unexpected '='; expected '-' or a name or a number or a quoted string",
    ),
    (
        "count(deployments by finished_at by started_at)",
        1,
        34,
        "'by' appears twice in this aggregate",
    ),
    # Functions and names.
    ("cnt(deployments)", 1, 1, "unknown aggregate 'cnt'"),
    ("count(deployment)", 1, 7, "unknown dataset 'deployment'"),
    (
        "count(service_requests where stats = 'done')",
        1,
        30,
        "unknown field 'stats' in dataset 'service_requests'",
    ),
    ("avg(weeks(resolved_at - created_at) of service_requests)", 1, 5, "unknown function 'weeks'"),
    ("1 + 2", 1, 1, "a formula needs at least one aggregate, e.g. count(service_requests)"),
    # Types.
    ("sum(service of service_requests)", 1, 5, "sum() needs a number, not text field 'service'"),
    (
        "p95(resolved_at of service_requests)",
        1,
        5,
        "p95() needs a number, not timestamp field 'resolved_at'",
    ),
    (
        "avg(service_requests)",
        1,
        1,
        "avg() needs a measure: avg(<field or expression> of service_requests)",
    ),
    (
        "sum(reassignment_count + status of service_requests)",
        1,
        26,
        "arithmetic needs numbers, not choice field 'status'",
    ),
    (
        "avg(hours(resolved_at - service) of service_requests)",
        1,
        25,
        "hours() subtracts timestamps, not text field 'service'",
    ),
    (
        "count(service_requests where resolved_at > 5)",
        1,
        30,
        "cannot compare timestamp field 'resolved_at' with a number",
    ),
    (
        "count(service_requests where resolved_at <= '2026-01-01')",
        1,
        30,
        "cannot compare timestamp field 'resolved_at' with a quoted string",
    ),
    (
        "count(service_requests where service = 3)",
        1,
        30,
        "cannot compare text field 'service' with a number",
    ),
    (
        "count(service_requests where status = 'closed')",
        1,
        39,
        "'closed' is not a value of status in service_requests",
    ),
    (
        "count(service_requests where status in ('done', 'resolved'))",
        1,
        49,
        "'resolved' is not a value of status in service_requests",
    ),
    (
        "count(service_requests where status < 'done')",
        1,
        30,
        "choice field 'status' holds choices; compare it with =, != or in",
    ),
    (
        "count(service_requests where 'status' = 'done')",
        1,
        30,
        "this compares two constants; name a field (without quotes) on one side",
    ),
    (
        "count(service_requests where created_at in (1, 2))",
        1,
        30,
        "'in' compares a field with constants, not a timestamp",
    ),
    ("count(service_requests where 'x' is null)", 1, 30, "'is null' needs a field"),
    # Clauses.
    (
        "count(service_requests by service)",
        1,
        27,
        "'by' needs a timestamp field, not text field 'service'",
    ),
    (
        "open(service_requests by created_at)",
        1,
        26,
        "open() counts rows open at the end of each period: it takes "
        "'from <start> to <end>', not 'by'",
    ),
    (
        "count(service_requests from created_at to resolved_at)",
        1,
        29,
        "'from … to …' belongs to open(); place rows in time with 'by <field>'",
    ),
    (
        "open(service_requests from created_at to priority)",
        1,
        42,
        "'to' needs a timestamp field, not text field 'priority'",
    ),
    ("open(id of service_requests)", 1, 6, "open() counts rows; it takes no '<measure> of'"),
    ("hours(resolved_at - created_at)", 1, 31, "unexpected ')'; expected '+' or '-' or 'of'"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), CASES)
def test_it_reports_where_and_what(text: str, line: int, column: int, message: str) -> None:
    error = _error(text)
    assert (error.line, error.column, error.message) == (line, column, message)
    assert str(error) == f"line {line}, column {column}: {message}"


def test_it_lists_what_was_expected() -> None:
    assert _error("count(service_requests where stats = 'done')").expected == SR_FIELDS
    assert _error("count(deployment)").expected == [
        "deployments",
        "monitor_days",
        "monitor_hours",
        "service_requests",
    ]
    assert _error("count(service_requests where status = 'closed')").expected == [
        "open",
        "in_progress",
        "done",
        "cancelled",
    ]
    assert _error("count(service_requests by service)").expected == [
        "created_at",
        "first_response_at",
        "resolved_at",
        "sla_due_at",
    ]
    assert _error("avg(weeks(resolved_at - created_at) of service_requests)").expected == [
        "seconds",
        "minutes",
        "hours",
        "days",
    ]
    assert "count_distinct" in _error("cnt(deployments)").expected


def test_it_names_a_top_level_duration_clearly() -> None:
    # ``hours`` used as an aggregate over a dataset: say where it belongs.
    error = _error("hours(service_requests)")
    assert error.message.startswith("hours() measures one row; put it inside an aggregate")


def test_it_serialises_for_an_api_answer() -> None:
    assert _error("count(deployments where)").to_dict() == {
        "message": "unexpected ')'; expected '(' or '-' or 'not' or a name or a number "
        "or a quoted string",
        "line": 1,
        "column": 24,
        "expected": ["'('", "'-'", "'not'", "a name", "a number", "a quoted string"],
    }
