"""The RAN explorer in chromium: a reporter uploads a PM file of two days and two cells with
a broken file beside it, sees the progress and each file's result, then, without a reload,
the KPIs charted for N-1 and N and the comparison table with verdicts in words and colour;
the page fits a phone and axe-core finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import password_of
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_incident_console import _axe_violations
from tests.web.ran_support import BROKEN, two_days

GREEN, RED, GREY = "rgb(20, 108, 46)", "rgb(179, 38, 30)", "rgb(74, 74, 74)"  # kpiwatch.css


def _log_in_to_ran(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/ran")
    assert "/login?next=/ran" in page.url
    page.fill("#username", name)
    page.fill("#password", password_of(name))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{url}/ran", page.content()


def _verdict(page: Any, kpi: str, scope: str) -> tuple[str, str]:
    """A comparison row's verdict as read (its words) and as seen (its colour)."""
    span = page.locator(f'tr[data-kpi="{kpi}"][data-scope="{scope}"] span.verdict')
    return span.inner_text().strip(), span.evaluate("e => getComputedStyle(e).color")


def test_it_uploads_a_pm_file_and_charts_and_compares_its_kpis(
    browser: Any, live_servers: Any
) -> None:
    server = live_servers()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _log_in_to_ran(page, server.url, "bob")
        assert page.locator("p.empty").inner_text() == "No data: no PM file has been imported yet."
        page.evaluate("window.sameDocument = true")

        progress: list[int] = []
        page.expose_function("seen", lambda value: progress.append(int(value)))
        page.evaluate(
            "new MutationObserver(() => seen(document.querySelector('#upload-progress').value))"
            ".observe(document.querySelector('#upload-progress'), {attributes: true})"
        )
        page.set_input_files(
            "#pm-files",
            files=[
                {"name": "enb7.xml", "mimeType": "application/xml", "buffer": two_days()},
                {"name": "broken.xml", "mimeType": "application/xml", "buffer": BROKEN},
            ],
        )
        page.get_by_role("button", name="Import").click()
        status = page.locator(".upload-status")
        status.filter(has_text="Done").wait_for(timeout=10_000)
        assert status.inner_text() == "Done: 1 imported, 1 rejected."
        assert page.locator("#upload-progress").evaluate("e => [e.hidden, e.value]") == [False, 100]
        assert progress and progress[-1] == 100, progress

        imported = page.locator('li.ran-file[data-status="imported"]')
        assert "48 values in 32 blocks" in imported.inner_text()
        rejected = page.locator('li.ran-file[data-status="rejected"] .form-error').inner_text()
        assert rejected.startswith("Line 9: measValue"), rejected

        rrc = page.locator('figure[data-kpi="RRC_SETUP_SR"]')
        rrc.wait_for(timeout=10_000)
        assert page.evaluate("window.sameDocument") is True  # redrawn without a reload
        titles = rrc.locator(".series-cur circle title").all_text_contents()
        assert titles == [f"N 2026-03-02 {h}:00: 96.33 %" for h in ("08", "09", "10", "11")]
        assert rrc.locator(".series-prev polyline").evaluate(
            "e => getComputedStyle(e).strokeDasharray"
        ) in ("6px, 4px", "6, 4")
        rrc.locator("summary").click()
        assert rrc.locator("table tbody tr").count() == 4

        assert _verdict(page, "RRC_SETUP_SR", "Selection") == ("− degraded", RED)
        assert _verdict(page, "RRC_SETUP_SR", "ENB7 · C2") == ("= stable", GREY)
        assert _verdict(page, "LTE_PRB_UTIL_DL", "ENB7 · C2") == ("+ improved", GREEN)
        change = page.locator('tr[data-kpi="RRC_SETUP_SR"][data-scope="ENB7 · C1"] td').nth(3)
        assert change.inner_text() == "−4 pp"
        page.screenshot(path=SCREENSHOTS / "ran-1280.png", full_page=True)
        violations = _axe_violations(page)
        assert violations == [], json.dumps(violations)

        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=SCREENSHOTS / "ran-360.png", full_page=True)

        page.get_by_label("Grain").select_option("day")
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert "grain=day" in page.url
        assert rrc.locator(".series-prev circle title").all_text_contents() == [
            "N-1 2026-03-01 00:00: 99 %"
        ]
        assert _axe_violations(page) == []
    finally:
        context.close()
