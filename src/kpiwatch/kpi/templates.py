"""The built-in KPI templates (seed 000): formula, display text, target and period.

Each formula is written in full (time fields and snapshot span included) so that reading
it says what is counted; every template is grouped by ``service``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class KpiTemplate:
    name: str
    display_name: str
    description: str
    unit: str
    direction: str  # HIGHER_BETTER | LOWER_BETTER
    default_target: float
    period: str  # HOURLY | DAILY | WEEKLY | MONTHLY
    formula: str
    dimensions: list[str] = field(default_factory=lambda: ["service"])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


MTTR = (
    "avg(hours(resolved_at - created_at) of service_requests\n"
    "    where status = 'done' by resolved_at)"
)
FCR = (
    "100 * count(service_requests where status = 'done' and reassignment_count = 0\n"
    "            by resolved_at)\n"
    "    / count(service_requests where status = 'done' by resolved_at)"
)
SLA_COMPLIANCE = (
    "100 * count(service_requests where status = 'done' and sla_due_at is not null\n"
    "                                and resolved_at <= sla_due_at by resolved_at)\n"
    "    / count(service_requests where status = 'done' and sla_due_at is not null\n"
    "            by resolved_at)"
)
SR_BACKLOG = "open(service_requests from created_at to resolved_at)"
DEPLOY_SUCCESS_RATE = (
    "100 * count(deployments where status = 'succeeded' by finished_at)\n"
    "    / count(deployments where status in ('succeeded', 'failed', 'rolled_back')\n"
    "            by finished_at)"
)

TEMPLATES: dict[str, KpiTemplate] = {
    t.name: t
    for t in (
        KpiTemplate(
            "MTTR",
            "평균 복구 시간 (MTTR)",
            "인시던트 발생부터 해결까지 평균 소요 시간",
            "hours",
            "LOWER_BETTER",
            4.0,
            "MONTHLY",
            MTTR,
        ),
        KpiTemplate(
            "FCR",
            "첫 번째 해결율 (FCR)",
            "첫 번째 시도에서 해결된 SR 비율",
            "%",
            "HIGHER_BETTER",
            80.0,
            "MONTHLY",
            FCR,
        ),
        KpiTemplate(
            "SLA_COMPLIANCE",
            "SLA 준수율",
            "SLA 기한 내 처리된 SR 비율",
            "%",
            "HIGHER_BETTER",
            95.0,
            "MONTHLY",
            SLA_COMPLIANCE,
        ),
        KpiTemplate(
            "SR_BACKLOG",
            "SR 적체 건수",
            "현재 미처리 SR 총 건수",
            "",
            "LOWER_BETTER",
            10.0,
            "DAILY",
            SR_BACKLOG,
        ),
        KpiTemplate(
            "DEPLOY_SUCCESS_RATE",
            "배포 성공률",
            "전체 배포 중 성공한 배포 비율",
            "%",
            "HIGHER_BETTER",
            95.0,
            "MONTHLY",
            DEPLOY_SUCCESS_RATE,
        ),
    )
}
