"""The status page in chromium: every service with 90 bars, a live status change without
reload, a phone-sized screen, and the whole page with JavaScript disabled."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
SERVICES = {"face-liveness": "Verify", "id-recognition": "Verify", "curp-verifier": None}


@pytest.fixture
def server(live_servers: Any, loopback_target: Any) -> Iterator[Any]:
    """A live server whose ``id-recognition`` checks the scripted target; the other
    services check the server's own health endpoint."""
    running = live_servers()
    for service_id, group in SERVICES.items():
        url = loopback_target.url if service_id == "id-recognition" else f"{running.url}/api/health"
        running.add_service(service_id, url, group=group)
    for service_id in SERVICES:
        running.wait_for_status(service_id, "operational")
    # The API answers from the live states; the page reads what the writer has flushed
    # (at least once a second), so wait for the page too.
    deadline = time.monotonic() + 10
    while "All Systems Operational" not in httpx.get(f"{running.url}/", timeout=5).text:
        assert time.monotonic() < deadline, "the page never showed every service operational"
        time.sleep(0.1)
    yield running


def _day_before(title: str) -> str:
    return (date.fromisoformat(title[:10]) - timedelta(days=1)).isoformat()


def _state(page: Any, service_id: str) -> str:
    text: str = page.locator(f'.svc[data-service="{service_id}"] .state').inner_text()
    return text


def test_it_shows_every_service_and_changes_a_status_live(
    server: Any, loopback_target: Any, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(f"{server.url}/")
    page.wait_for_selector("html[data-live=joined]")
    assert page.locator(".banner").inner_text() == "All Systems Operational"
    rows = page.locator(".svc")
    assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.service)")) == sorted(SERVICES)
    for service_id in SERVICES:
        assert page.locator(f'.svc[data-service="{service_id}"] .bars > li').count() == 90
        assert _state(page, service_id) == "Operational"
    assert page.locator(".past .empty").inner_text() == "Data is being prepared."
    page.screenshot(path=str(SCREENSHOTS / "status-1280.png"), full_page=True)

    page.evaluate("window.notReloaded = true")
    loopback_target.mode = "error"
    page.wait_for_function(
        "document.querySelector('.svc[data-service=\"id-recognition\"]').dataset.status"
        " === 'major_outage'",
        timeout=5000,
    )
    assert _state(page, "id-recognition") == "Major outage"
    assert _state(page, "face-liveness") == "Operational"
    assert page.locator(".banner").inner_text() == "Major System Outage"
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(SCREENSHOTS / "status-outage-1280.png"), full_page=True)

    loopback_target.mode = "up"
    page.wait_for_function(
        "document.querySelector('.banner').dataset.overall === 'operational'", timeout=5000
    )
    assert _state(page, "id-recognition") == "Operational"
    page.close()


def test_it_fits_a_360_px_screen(server: Any, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{server.url}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
    widths = page.locator('.svc[data-service="id-recognition"] .bars > li').evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(widths) == 90 and min(widths) > 1
    page.screenshot(path=str(SCREENSHOTS / "status-360.png"), full_page=True)
    page.close()


def test_it_is_complete_without_javascript(server: Any, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{server.url}/")
    assert page.locator(".banner").inner_text() == "All Systems Operational"
    assert page.locator(".svc").count() == len(SERVICES)
    assert page.locator(".bars > li").count() == 90 * len(SERVICES)
    assert page.locator(".svc .state").all_inner_texts() == ["Operational"] * len(SERVICES)
    assert page.locator(".svc .uptime").count() == len(SERVICES)
    assert page.locator(".past .empty").inner_text() == "데이터를 준비 중입니다."
    assert page.evaluate("document.documentElement.dataset.live") is None

    today = page.locator('.svc[data-service="curp-verifier"] .bars > li').last
    today.focus()
    focused = page.evaluate("document.activeElement.title")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}: (no data|[\d.]+ % uptime)", focused), focused
    page.keyboard.press("Shift+Tab")  # the day before, by keyboard
    assert page.evaluate("document.activeElement.title") == f"{_day_before(focused)}: no data"
    page.screenshot(path=str(SCREENSHOTS / "status-no-js-1280.png"), full_page=True)
    context.close()
