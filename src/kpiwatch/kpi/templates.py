"""The built-in KPI templates: formula, display text, target and period.

``TEMPLATES`` are seed 000's five, over the event datasets, and the watch server's two,
over its day rollups (``AVAILABILITY`` by time as the status page's uptime,
``RESPONSE_TIME_P95`` from the latency histogram): each formula is written in full (time
fields and snapshot span included) so that reading it says what is counted; every one is
grouped by ``service``. ``RAN_TEMPLATES`` are the RAN KPI pack
(``ran.pack``, ``docs/ran.md``): counter formulas grouped by ``ne`` and ``cell``, daily.
``CATALOG`` is both, what ``/api/kpi/templates`` lists and ``apply-template`` takes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kpiwatch.ran.pack import RAN_KPIS


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
# Seconds observed up over seconds observed: maintenance and "no data" in neither part.
AVAILABILITY = (
    "100 * (sum(observed_s of monitor_days by day) - sum(downtime_s of monitor_days by day))\n"
    "    / sum(observed_s of monitor_days by day)"
)
RESPONSE_TIME_P95 = "p95(latency of monitor_days by day)"

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
        KpiTemplate(
            "AVAILABILITY",
            "가용성",
            "서비스가 관측된 시간 중 정상이었던 시간의 비율 (상태 페이지의 업타임과 같은 계산)",
            "%",
            "HIGHER_BETTER",
            99.9,
            "MONTHLY",
            AVAILABILITY,
        ),
        KpiTemplate(
            "RESPONSE_TIME_P95",
            "응답 시간 (p95)",
            "헬스 체크 응답 시간의 95번째 백분위수 (7초 기준)",
            "ms",
            "LOWER_BETTER",
            7000.0,
            "MONTHLY",
            RESPONSE_TIME_P95,
        ),
    )
}

RAN_TEMPLATES: dict[str, KpiTemplate] = {
    kpi.name: KpiTemplate(
        kpi.name,
        kpi.display_name,
        kpi.description,
        kpi.unit,
        "HIGHER_BETTER" if kpi.direction == "higher" else "LOWER_BETTER",
        kpi.target,
        "DAILY",
        kpi.formula,
        ["ne", "cell"],
    )
    for kpi in RAN_KPIS.values()
}

CATALOG: dict[str, KpiTemplate] = TEMPLATES | RAN_TEMPLATES
