"""Past incidents on the status page in chromium: a new incident and its resolution appear
within 3 s without reload, today's bar lists it on keyboard focus, the page reads the same
without JavaScript, and axe-core finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_incident_console import _axe_violations

TITLE = "ID Recognition <응답 지연>"


def _incident(server: Any, **body: Any) -> dict[str, Any]:
    sent = {"title": TITLE, "severity": "high", "affected_services": ["id-recognition"], **body}
    answer = server.api("POST", "/api/incidents", json=sent)
    assert answer.status_code == 201, answer.text
    incident: dict[str, Any] = answer.json()["incident"]
    return incident


def test_a_new_incident_shows_live_with_its_day_bar(browser: Any, live_servers: Any) -> None:
    server = live_servers()
    server.add_service("id-recognition", f"{server.url}/api/health")
    server.wait_for_status("id-recognition", "operational")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(f"{server.url}/")
    page.wait_for_selector("html[data-live=joined]")
    assert page.locator(".past .empty").inner_text() == "Data is being prepared."
    page.evaluate("window.notReloaded = true")

    incident = _incident(server, note="p95 over 15 s")
    posted = time.monotonic()
    row = page.locator(f'.past-incident[data-incident="{incident["id"]}"]')
    row.wait_for(timeout=3000)
    shown_after = time.monotonic() - posted
    assert shown_after < 3, shown_after
    assert row.locator("h4").inner_text() == TITLE
    assert "Investigating – p95 over 15 s" in row.inner_text()
    assert page.evaluate("window.notReloaded") is True

    today = page.locator('.svc[data-service="id-recognition"] .bars > li').last
    today.focus()
    tooltip = today.evaluate("e => getComputedStyle(e, '::after').content")
    assert f"Incident: {TITLE} (investigating)" in tooltip.replace("\\a ", "\n")
    assert f"Incident: {TITLE} (investigating)" in today.get_attribute("title")
    page.screenshot(path=str(SCREENSHOTS / "status-incident-1280.png"), full_page=True)

    update = {"status": "resolved", "description": "Pool enlarged"}
    path = f"/api/incidents/{incident['id']}/updates"
    assert server.api("POST", path, json=update).status_code == 201
    row.locator(".badge:text('Resolved')").wait_for(timeout=3000)
    page.wait_for_function(
        "document.querySelector('.svc .bars > li:last-child').title.includes('(resolved)')",
        timeout=3000,
    )
    violations = _axe_violations(page)
    assert violations == [], json.dumps(violations)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
    page.screenshot(path=str(SCREENSHOTS / "status-incident-360.png"), full_page=True)
    page.close()

    context = browser.new_context(java_script_enabled=False, locale="ko-KR")
    still = context.new_page()
    still.goto(f"{server.url}/")
    shown = still.locator(f'.past-incident[data-incident="{incident["id"]}"]')
    assert shown.locator("h4").inner_text() == TITLE
    assert "Resolved – Pool enlarged" in shown.inner_text()
    assert "특별한 문제가 없습니다." in still.locator(".past").inner_text()
    context.close()
