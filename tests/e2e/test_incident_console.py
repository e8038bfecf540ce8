"""The incident console in chromium: a reporter works with the keyboard only while a second
browser watches the list update live; axe-core finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import password_of
from tests.e2e.conftest import SCREENSHOTS

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _log_in(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", name)
    page.fill("#password", password_of(name))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{url}/incidents", page.content()


def _tab_to(page: Any, element_id: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def _axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        return []
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))",
        WCAG_AA,
    )
    return found


def test_it_runs_an_incident_by_keyboard_while_another_browser_watches(
    browser: Any, live_servers: Any
) -> None:
    server = live_servers()
    watcher = browser.new_context(viewport={"width": 1280, "height": 900})
    reporter = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        watching = watcher.new_page()
        _log_in(watching, server.url, "alice")
        watching.wait_for_selector("html[data-live=on]")

        page = reporter.new_page()
        _log_in(page, server.url, "bob")
        page.goto(f"{server.url}/incidents/new")
        _tab_to(page, "title")
        page.keyboard.type("Face Liveness 응답 지연")
        page.keyboard.press("Tab")
        page.keyboard.type("p95 over 15 s since 09:00")
        page.keyboard.press("Tab")
        page.keyboard.type("critical")  # type-ahead picks the option
        page.screenshot(path=SCREENSHOTS / "incident-new-360.png", full_page=True)
        page.keyboard.press("Control+s")
        page.wait_for_url(f"{server.url}/incidents/inc-*")
        incident_id = page.url.rsplit("/", 1)[1]

        row = watching.locator(f'li[data-incident="{incident_id}"]')
        row.wait_for(timeout=5000)
        assert "Face Liveness 응답 지연" in row.inner_text()
        assert row.locator("[data-role=priority]").inner_text() == "P1"

        for status, note in (("identified", "Cause: DB pool"), ("resolved", "Pool enlarged")):
            _tab_to(page, "u-status")
            page.keyboard.type(status)
            page.keyboard.press("Tab")
            page.keyboard.type(note)
            page.keyboard.press("Control+s")
            page.wait_for_selector(f".timeline >> text={note}")
        assert page.locator(".inc-meta [data-role=status]").inner_text() == "resolved"
        row.locator("[data-role=status]:text('resolved')").wait_for(timeout=5000)

        page.screenshot(path=SCREENSHOTS / "incident-detail-360.png", full_page=True)
        watching.screenshot(path=SCREENSHOTS / "incidents-1280.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=SCREENSHOTS / "incident-detail-1280.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, width

        for path in (
            "/incidents",
            "/incidents/new",
            f"/incidents/{incident_id}",
            "/incidents/history",
        ):
            page.goto(f"{server.url}{path}")
            violations = _axe_violations(page)
            assert violations == [], f"{path}: {json.dumps(violations)}"
        page.goto(f"{server.url}/login")
        assert _axe_violations(page) == []
    finally:
        watcher.close()
        reporter.close()
