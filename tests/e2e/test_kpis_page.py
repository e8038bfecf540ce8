from __future__ import annotations

from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

TEMPLATES = [
    "MTTR",
    "FCR",
    "SLA_COMPLIANCE",
    "SR_BACKLOG",
    "DEPLOY_SUCCESS_RATE",
    "AVAILABILITY",
    "RESPONSE_TIME_P95",
]
LABELS = {"On target", "At risk", "Off target"}


def test_it_shows_every_demo_kpi_with_a_value_and_a_label(demo_server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{demo_server}/kpis")
    cards = page.locator("li.card")
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.kpi)")) == sorted(TEMPLATES)
    for name in TEMPLATES:
        card = page.locator(f'li.card[data-kpi="{name}"]')
        value = card.locator(".value").inner_text()
        assert value and value != "no data", (name, value)
        assert card.locator(".status").inner_text().strip() in LABELS, name
        assert card.locator("svg.spark polyline").count() >= 1, name
    page.screenshot(path=str(SCREENSHOTS / "kpis-1280.png"), full_page=True)

    page.locator('li.card[data-kpi="MTTR"] h2 a').click()
    page.wait_for_selector("svg.chart polyline")
    assert page.locator("table tbody tr").count() == 13  # a demo year spans 13 months
    assert "avg(" in page.locator("pre.formula").inner_text()
    page.close()


def test_it_fits_a_phone_screen(demo_server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{demo_server}/kpis")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    page.screenshot(path=str(SCREENSHOTS / "kpis-360.png"), full_page=True)
    page.close()
