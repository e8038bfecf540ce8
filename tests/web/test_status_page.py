"""The public status page: banner, groups, a status label per service, 90 day bars."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

SERVICE = re.compile(r'<li class="svc" data-service="([^"]+)" data-status="([^"]+)">')
STATE = re.compile(r'<span class="state st-([a-z_]+)">([^<]+)</span>')
BAR = re.compile(r'<li class=([a-z]+) tabindex=0 title="([^"]+)">')
DAY = 86400.0


def _rows(html: str) -> list[str]:
    return html.split('<li class="svc"')[1:]


def test_it_renders_with_no_services(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "No services are monitored yet." in response.text
    assert SERVICE.findall(response.text) == []
    assert "Past incidents" in response.text


def test_it_shows_each_service_in_its_group_with_its_status_and_90_bars(
    client: TestClient, seed_service: Callable[..., int]
) -> None:
    seed_service(
        "id-recognition",
        group="Verify",
        days={"2026-03-01": (DAY, 0.0, 0.0), "2026-02-28": (DAY, 864.0, 0.0)},
    )
    seed_service("face-liveness", state="down", group="Verify")
    seed_service("curp-verifier", state=None)
    html = client.get("/").text

    assert '<div class="banner banner-outage" role="status" data-overall="outage">' in html
    assert "<strong>Major System Outage</strong>" in html
    assert "<h2>Verify</h2>" in html
    assert SERVICE.findall(html) == [
        ("face-liveness", "major_outage"),
        ("id-recognition", "operational"),
        ("curp-verifier", "no_data"),
    ]
    assert STATE.findall(html) == [
        ("major_outage", "Major outage"),
        ("operational", "Operational"),
        ("no_data", "No data yet"),
    ]
    face, recognition, curp = _rows(html)
    for row in (face, recognition, curp):
        assert len(BAR.findall(row)) == 90
    bars = BAR.findall(recognition)
    assert bars[0] == ("nd", "2025-12-03: no data")
    assert bars[-3:] == [
        ("po", "2026-02-28: 99.00 % uptime, partial outage"),
        ("o", "2026-03-01: 100.00 % uptime"),
        ("nd", "2026-03-02: no data"),
    ]
    assert '<span class="uptime">99.50 % uptime</span>' in recognition
    assert '<span class="uptime">No data</span>' in curp


def test_it_says_all_systems_operational_until_one_is_degraded(
    client: TestClient, seed_service: Callable[..., int]
) -> None:
    seed_service("api")
    seed_service("mail", state="maintenance")
    html = client.get("/").text
    assert "<strong>All Systems Operational</strong>" in html
    assert STATE.findall(html) == [
        ("operational", "Operational"),
        ("maintenance", "Under maintenance"),
    ]
    seed_service("web", state="degraded")
    html = client.get("/").text
    assert '<div class="banner banner-degraded" role="status" data-overall="degraded">' in html
    assert "<strong>Some Systems Degraded</strong>" in html


def test_it_serves_another_tenant_at_its_slug(
    client: TestClient, seed_service: Callable[..., int]
) -> None:
    seed_service("api")
    seed_service("erp", tenant="acme")
    page = client.get("/status/acme")
    assert page.status_code == 200
    assert "<h1>Acme status</h1>" in page.text
    assert SERVICE.findall(page.text) == [("erp", "operational")]
    assert 'data-tenant="acme"' in page.text
    assert SERVICE.findall(client.get("/?tenant=acme").text) == [("erp", "operational")]
    assert SERVICE.findall(client.get("/").text) == [("api", "operational")]
    assert client.get("/status/nobody").status_code == 404
