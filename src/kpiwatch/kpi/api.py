"""/api/kpi: definitions, templates, calculation, values and the dashboard (seed 000)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from kpiwatch.core.deps import AdminDep, CallerDep, DbDep
from kpiwatch.core.errors import InvalidInput
from kpiwatch.kpi import calculate, dashboard, definitions, values
from kpiwatch.kpi.formula import NotAdditive
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.kpi.status import status_of
from kpiwatch.kpi.templates import CATALOG

router = APIRouter(prefix="/api/kpi", tags=["kpi"])

Direction = Literal["HIGHER_BETTER", "LOWER_BETTER"]
Period = Literal["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]


class KpiIn(BaseModel):
    name: str = Field(max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    display_name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    unit: str = Field("", max_length=20)
    direction: Direction
    target: float
    period: Period = "MONTHLY"
    formula: str = Field(min_length=1, max_length=10_000)
    dimensions: list[str] = Field(default_factory=list, max_length=4)
    green_threshold: float | None = None
    yellow_threshold: float | None = None
    is_active: bool = True


class KpiChange(BaseModel):
    name: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    display_name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    unit: str | None = Field(None, max_length=20)
    direction: Direction | None = None
    target: float | None = None
    period: Period | None = None
    formula: str | None = Field(None, min_length=1, max_length=10_000)
    dimensions: list[str] | None = Field(None, max_length=4)
    green_threshold: float | None = None
    yellow_threshold: float | None = None
    is_active: bool | None = None


class KpiOut(BaseModel):
    id: int
    name: str
    display_name: str
    description: str | None
    unit: str
    direction: str
    target: float
    period: str
    formula: str
    dimensions: list[str]
    green_threshold: float | None
    yellow_threshold: float | None
    is_active: bool
    current_value: float | None
    status: str
    achievement_pct: float | None
    last_calculated_at: datetime | None
    period_start: datetime | None
    period_end: datetime | None


class ApplyTemplateIn(BaseModel):
    template_names: list[str] = Field(min_length=1, max_length=50)


class FormulaIn(BaseModel):
    formula: str = Field(min_length=1, max_length=10_000)


class BackfillIn(BaseModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> BackfillIn:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        if (self.end - self.start).days > 3 * 366:
            raise ValueError("at most three years at once")
        return self


@router.get("/templates")
async def list_templates() -> list[dict[str, Any]]:
    """The built-in templates (seed 000's and the RAN pack), with their formulas."""
    return [t.as_dict() for t in CATALOG.values()]


@router.post("/apply-template")
async def apply_template(body: ApplyTemplateIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Create KPIs from templates; a template the tenant already has is skipped."""
    async with db.write() as conn:
        created = await definitions.apply_templates(conn, caller, body.template_names)
    return {"created": created, "count": len(created)}


@router.post("/validate")
async def validate(body: FormulaIn) -> dict[str, Any]:
    """Parse a formula: its canonical form and explanation, or the error with its position."""
    formula = definitions.checked_formula(body.formula)
    return {
        "valid": True,
        "canonical": formula.canonical,
        "explain": formula.explain(),
        "datasets": list(formula.datasets),
        "counters": list(formula.counters),
        "dimensions_allowed": list(formula.dimensions_allowed),
        "additive": formula.additive,
    }


@router.get("/dashboard")
async def get_dashboard(caller: CallerDep, db: DbDep) -> Response:
    """Every active KPI's light, the count per status and the overall status."""

    async def render(revision: int) -> dashboard.Rendered:
        cards = await dashboard.cards(db, caller.tenant_id)
        kpis = [KpiOut.model_validate(c).model_dump() for c in cards]
        counts, light = dashboard.summary([k["status"] for k in kpis])
        return dashboard.Rendered(revision, orjson.dumps(kpis), counts, light)

    kept = await dashboard.rendered(db, caller.tenant_id, render)
    rest = {
        "summary": kept.summary,
        "overall_status": kept.overall_status,
        "last_updated": caller.now,
    }
    # The cards as kept, then the rest of the object (its opening brace dropped).
    body = b'{"kpis":' + kept.kpis_json + b"," + orjson.dumps(rest)[1:]
    return Response(body, media_type="application/json")


@router.get("/", response_model=list[KpiOut])
@router.get("", response_model=list[KpiOut], include_in_schema=False)
async def list_kpis(caller: CallerDep, db: DbDep) -> list[dict[str, Any]]:
    """Active KPIs with their latest value, status and achievement."""
    return await dashboard.cards(db, caller.tenant_id)


@router.post("/", response_model=KpiOut, status_code=201)
@router.post("", response_model=KpiOut, status_code=201, include_in_schema=False)
async def create_kpi(body: KpiIn, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Define a KPI (its formula and dimensions are checked now)."""
    async with db.write() as conn:
        kpi = await definitions.create(conn, caller, body.model_dump())
    return dashboard.card(kpi, None)


@router.get("/{kpi_id:int}")
async def get_kpi(kpi_id: int, caller: CallerDep, db: DbDep) -> dict[str, Any]:
    """A KPI with its latest value and its last periods (`history`)."""
    async with db.read() as conn:
        kpi = await definitions.get(conn, caller.tenant_id, kpi_id)
        rows = (await values.recent_totals(conn, [kpi_id], dashboard.RECENT_PERIODS)).get(
            kpi_id, []
        )
        zone = await calculate.tenant_zone(conn, caller.tenant_id)
    out = KpiOut.model_validate(dashboard.card(kpi, rows[-1] if rows else None)).model_dump()
    return out | {"history": [values.record(kpi, r, zone) for r in rows]}


@router.put("/{kpi_id:int}", response_model=KpiOut)
async def update_kpi(kpi_id: int, body: KpiChange, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Change a KPI (only the fields sent); a new formula, period or dimensions drop its values."""
    changes = body.model_dump(exclude_unset=True)
    nullable = {"description", "green_threshold", "yellow_threshold"}
    for field, value in changes.items():
        if value is None and field not in nullable:
            raise InvalidInput.field(("body", field), "may not be null")
    async with db.write() as conn:
        kpi = await definitions.change(conn, caller, kpi_id, changes)
    return dashboard.card(kpi, None)


@router.delete("/{kpi_id:int}", status_code=204)
async def delete_kpi(kpi_id: int, caller: AdminDep, db: DbDep) -> None:
    """Delete a KPI and its values."""
    async with db.write() as conn:
        await definitions.remove(conn, caller, kpi_id)


@router.post("/{kpi_id:int}/calculate")
async def calculate_kpi(kpi_id: int, caller: AdminDep, db: DbDep) -> dict[str, Any]:
    """Recompute the current period (to date) now."""
    async with db.read() as conn:
        kpi = await definitions.get(conn, caller.tenant_id, kpi_id)
    row = await calculate.calculate_current(db, kpi, caller.now)
    status, pct = status_of(
        kpi["direction"], kpi["target"], row.value, kpi["green_threshold"], kpi["yellow_threshold"]
    )
    return {
        "kpi_id": kpi_id,
        "name": kpi["name"],
        "value": row.value,
        "unit": kpi["unit"],
        "target": kpi["target"],
        "status": status,
        "achievement_pct": pct,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "parts": row.parts,
    }


@router.post("/{kpi_id:int}/backfill")
async def backfill_kpi(
    kpi_id: int, body: BackfillIn, caller: AdminDep, db: DbDep
) -> dict[str, Any]:
    """Compute every period overlapping `from`…`to` (local dates, inclusive)."""
    async with db.read() as conn:
        kpi = await definitions.get(conn, caller.tenant_id, kpi_id)
    computed = await calculate.calculate(db, kpi, body.start, body.end, caller.now)
    return {
        "kpi_id": kpi_id,
        "periods": len(computed.periods),
        "values": len(computed.totals) + len(computed.by_dims),
    }


@router.get("/{kpi_id:int}/values")
async def kpi_values(
    kpi_id: int,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    by: Annotated[str | None, Query(description="dimensions, comma-separated")] = None,
) -> list[dict[str, Any]]:
    """Stored values per period (local dates `from`…`to`), totals or per dimension.

    Any other query parameter named after a dimension filters on it (`?service=mail`).
    """
    async with db.read() as conn:
        kpi = await definitions.get(conn, caller.tenant_id, kpi_id)
        zone = await calculate.tenant_zone(conn, caller.tenant_id)
        keep = [d for d in (by or "").split(",") if d]
        unknown = [d for d in keep if d not in kpi["dimensions"]]
        if unknown:
            raise InvalidInput.field(("query", "by"), f"not a dimension of this KPI: {unknown}")
        filters = {k: v for k, v in request.query_params.items() if k in kpi["dimensions"]}
        try:
            rows = await values.history(
                conn,
                kpi,
                local_midnight(start, zone) if start else None,
                local_midnight(end + timedelta(days=1), zone) if end else None,
                keep,
                filters,
            )
        except NotAdditive as exc:
            raise InvalidInput.field(("query", "by"), str(exc)) from exc
    return [values.record(kpi, r, zone) for r in rows]
