"""Past incidents on the status page: by day with their updates, the PRD's messages, the
incidents in each day bar's tooltip, escaped titles, and the section's live refresh data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.html
from fastapi.testclient import TestClient
from tests.conftest import T0

from kpiwatch.core.clock import Clock

Headers = Callable[[str], dict[str, str]]
EN = {"Accept-Language": "en-US,en;q=0.9"}


def _at(clock: Clock, when: str) -> None:
    clock.freeze(datetime.fromisoformat(when))


def _open(client: TestClient, headers: Headers, **body: Any) -> str:
    answer = client.post(
        "/api/incidents", json={"severity": "high", **body}, headers=headers("bob")
    )
    assert answer.status_code == 201, answer.text
    incident_id: str = answer.json()["incident"]["id"]
    return incident_id


def _update(client: TestClient, headers: Headers, incident_id: str, status: str, note: str) -> None:
    body = {"status": status, "description": note}
    answer = client.post(f"/api/incidents/{incident_id}/updates", json=body, headers=headers("bob"))
    assert answer.status_code == 201, answer.text


def _history(client: TestClient, headers: Headers, clock: Clock) -> tuple[str, str]:
    """id-recognition's DB incident (Mar 1 10:00 → resolved Mar 2 08:00) and a login
    incident naming no service (Mar 2 08:30, open)."""
    _at(clock, "2026-03-01T10:00:00+00:00")
    db = _open(
        client, headers, title="DB 지연", affected_services=["id-recognition"], note="p95 16 s"
    )
    _at(clock, "2026-03-01T11:30:00+00:00")
    _update(client, headers, db, "identified", "connection pool exhausted")
    _at(clock, "2026-03-02T08:00:00+00:00")
    _update(client, headers, db, "resolved", "pool enlarged")
    _at(clock, "2026-03-02T08:30:00+00:00")
    login = _open(client, headers, title="Login errors", note="5 % of logins fail")
    clock.freeze(T0)
    return db, login


def _past(html: str) -> Any:
    [section] = lxml.html.fromstring(html).xpath('//section[@class="past"]')
    return section


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _bars(html: str, service_id: str) -> dict[str, str]:
    """The titles of a service's day bars by ISO day."""
    page = lxml.html.fromstring(html)
    titles = page.xpath(f'//li[@data-service="{service_id}"]//ol[@class="bars"]/li/@title')
    return {title[:10]: title for title in titles}


def test_it_lists_incidents_by_day_with_their_updates(
    client: TestClient, headers: Headers, clock: Clock, seed_service: Callable[..., int]
) -> None:
    seed_service("id-recognition")
    seed_service("face-liveness")
    db, login = _history(client, headers, clock)

    past = _past(client.get("/", headers=EN).text)
    days = past.xpath('./div[@class="past-day"]')
    assert len(days) == 15
    assert [_text(d.xpath("./h3")[0]) for d in days[:3]] == [
        "March 2, 2026",
        "March 1, 2026",
        "February 28, 2026",
    ]
    assert days[0].xpath("./h3/time/@datetime") == ["2026-03-02"]
    [second] = days[0].xpath('.//li[@class="past-incident"]')
    assert second.get("data-incident") == login
    assert _text(second) == (
        "Login errors Investigating Investigating – 5 % of logins fail Mar 2, 08:30 UTC"
    )
    [first] = days[1].xpath('.//li[@class="past-incident"]')
    assert first.get("data-incident") == db
    assert _text(first.xpath("./h4")[0]) == "DB 지연"
    assert _text(first.xpath('./p[@class="past-meta"]')[0]) == (
        "Resolved Affects Id Recognition. Resolved in 22h 0m."
    )
    assert [_text(li) for li in first.xpath("./ol/li")] == [
        "Resolved – pool enlarged Mar 2, 08:00 UTC",
        "Identified – connection pool exhausted Mar 1, 11:30 UTC",
        "Investigating – p95 16 s Mar 1, 10:00 UTC",
    ]
    assert [_text(d.xpath('./p[@class="none"]')[0]) for d in days[2:]] == (
        ["No incidents reported."] * 13
    )
    assert past.xpath(".//nav/a/@href") == ["/?page=2"]

    korean = _past(client.get("/").text)
    assert korean.xpath('.//p[@class="none"]/text()')[0] == "특별한 문제가 없습니다."
    older = _past(client.get("/?page=2", headers=EN).text)
    assert older.get("data-page") == "2"
    assert _text(older.xpath('./p[@class="empty"]')[0]) == "Data is being prepared."
    assert older.xpath(".//nav/a/@href") == ["/?page=1", "/?page=3"]


def test_each_day_bar_lists_that_days_incidents(
    client: TestClient, headers: Headers, clock: Clock, seed_service: Callable[..., int]
) -> None:
    seed_service("id-recognition", days={"2026-03-01": (86400.0, 3600.0, 0.0)})
    seed_service("face-liveness")
    _history(client, headers, clock)
    html = client.get("/").text

    recognition = _bars(html, "id-recognition")
    assert recognition["2026-02-28"] == "2026-02-28: no data"
    assert recognition["2026-03-01"] == (
        "2026-03-01: 95.83 % uptime, partial outage\nIncident: DB 지연 (resolved)"
    )
    assert recognition["2026-03-02"] == (
        "2026-03-02: no data\nIncident: DB 지연 (resolved)\nIncident: Login errors (investigating)"
    )
    liveness = _bars(html, "face-liveness")
    assert liveness["2026-03-01"] == "2026-03-01: no data"
    assert liveness["2026-03-02"] == "2026-03-02: no data\nIncident: Login errors (investigating)"


def test_it_escapes_incident_titles_everywhere(
    client: TestClient, headers: Headers, seed_service: Callable[..., int]
) -> None:
    seed_service("api")
    title = "<img src=x onerror=alert(1)>\"'&"
    _open(client, headers, title=title, note="<script>alert(2)</script>")
    html = client.get("/").text
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "<h4>&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&amp;</h4>" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert (
        _bars(html, "api")["2026-03-02"]
        == f"2026-03-02: no data\nIncident: {title} (investigating)"
    )
    fragment = client.get("/status/default/past").json()
    assert "<img src=x" not in fragment["html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in fragment["html"]


def test_it_says_data_is_being_prepared_without_incidents(client: TestClient) -> None:
    section = _past(client.get("/").text)
    [empty] = section.xpath('./p[@class="empty"]')
    assert (empty.get("lang"), empty.text) == ("ko", "데이터를 준비 중입니다.")
    english = _past(client.get("/", headers=EN).text).xpath('./p[@class="empty"]')[0]
    assert (english.get("lang"), english.text) == ("en", "Data is being prepared.")


def test_the_refresh_data_matches_the_page(
    client: TestClient, headers: Headers, clock: Clock, seed_service: Callable[..., int]
) -> None:
    seed_service("id-recognition")
    seed_service("face-liveness")
    db, login = _history(client, headers, clock)
    page = client.get("/", headers=EN).text
    fragment = client.get("/status/default/past", headers=EN).json()
    assert fragment["html"].strip() in page
    assert fragment["notes"] == {
        "id-recognition": {
            "2026-03-01": "Incident: DB 지연 (resolved)",
            "2026-03-02": "Incident: DB 지연 (resolved)\nIncident: Login errors (investigating)",
        },
        "face-liveness": {"2026-03-02": "Incident: Login errors (investigating)"},
    }
    assert client.get("/status/nobody/past").status_code == 404


def test_another_tenant_shows_its_own_incidents_in_its_zone(
    client: TestClient, headers: Headers, clock: Clock, seed_service: Callable[..., int]
) -> None:
    seed_service("erp", tenant="acme")
    _open(client, headers, title="default's")
    _at(clock, "2026-03-01T16:30:00+00:00")  # 2026-03-02 01:30 in Seoul
    answer = client.post(
        "/api/incidents",
        json={"title": "ERP 지연", "severity": "low", "affected_services": ["erp"]},
        headers=headers("dave"),
    )
    assert answer.status_code == 201
    clock.freeze(T0)
    section = _past(client.get("/status/acme", headers=EN).text)
    [incident] = section.xpath('.//li[@class="past-incident"]')
    assert _text(incident.xpath("./h4")[0]) == "ERP 지연"
    assert section.xpath('./div[@class="past-day"][1]/h3/time/@datetime') == ["2026-03-02"]
    assert _text(incident.xpath("./ol/li")[0]).endswith("Mar 2, 01:30 KST")
    assert section.xpath(".//nav/a/@href") == ["/?tenant=acme&page=2"]


def test_50_services_with_incidents_stay_under_100_kb(
    client: TestClient, headers: Headers, clock: Clock, seed_service: Callable[..., int]
) -> None:
    days = {f"2026-02-{d:02d}": (86400.0, 60.0 * (d % 3), 0.0) for d in range(1, 29)}
    for n in range(50):
        seed_service(f"service-{n:02d}", group=f"Group {n // 10}", days=days)
    for n in range(30):  # two a day over the page's 15 days, each naming 5 services
        clock.freeze(datetime(2026, 2, 16, 2 + n % 2 * 3, tzinfo=UTC) + timedelta(days=n // 2))
        affected = [f"service-{(n * 5 + k) % 50:02d}" for k in range(5)]
        incident_id = _open(
            client,
            headers,
            title=f"Verification latency over 15 s, batch {n}",
            affected_services=affected,
            note="Responses slower than 15 s on the p95.",
        )
        clock.advance(hours=3)
        _update(client, headers, incident_id, "resolved", "Capacity added; latency normal.")
    clock.freeze(T0)

    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.text.count('class="past-incident"') == 30  # every day of the page has two
    sent = int(response.headers["content-length"])
    assert sent < 100 * 1024, f"{sent} bytes sent ({len(response.content)} bytes of HTML)"
