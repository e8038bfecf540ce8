"""The KPI formula language: parse, check, compile to SQL, compute, roll up.

A formula is arithmetic over aggregates of datasets (``docs/formulas.md``)::

    from kpiwatch.kpi.formula import parse, compute
    formula = parse("100 * count(service_requests where status = 'done' "
                    "and reassignment_count = 0 by resolved_at) "
                    "/ count(service_requests where status = 'done' by resolved_at)")
    formula.dimensions_allowed        # ('service', 'category', 'priority', ...)
    print(formula.explain())
    rows = await compute(conn, formula, tenant_id, periods, ["service"])
    rows[0].value, rows[0].parts      # 75.0, {'count_1': 3, 'count_2': 4}

- ``parse(text, datasets=DATASETS) -> Formula`` raises ``FormulaError`` (line, column,
  message, expected) for syntax errors and for names or types that do not fit the datasets.
- ``compile_kpi(formula, *, tenant_id, periods, dimensions, dialect) -> CompiledKpi``: one
  ``SELECT`` for every period and dimension combination.
- ``compute(conn, formula, tenant_id, periods, dimensions) -> list[KpiRow]`` runs it.
- ``rollup(formula, parts_list)`` recomputes a value from combined parts (additive
  formulas); ``compute_rollup(...)`` recomputes any formula from the rows.
"""

from __future__ import annotations

from collections.abc import Mapping

from kpiwatch.ingest.datasets import DATASETS, Dataset
from kpiwatch.kpi.formula.check import DEFAULT_SPANS, DEFAULT_TIME_FIELDS, check
from kpiwatch.kpi.formula.errors import FormulaError
from kpiwatch.kpi.formula.model import Formula, NotAdditive, rollup
from kpiwatch.kpi.formula.parser import parse_tree


def parse(text: str, datasets: Mapping[str, Dataset] = DATASETS) -> Formula:
    """Parse and check a formula against the dataset catalog."""
    return check(parse_tree(text), text, datasets)


__all__ = [
    "DEFAULT_SPANS",
    "DEFAULT_TIME_FIELDS",
    "Formula",
    "FormulaError",
    "NotAdditive",
    "parse",
    "rollup",
]
