"""The /ran choices: chosen cells and grain, bad choices refused field by field with nothing
computed, "no data" where there is none, and everything echoed escaped."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.web.ran_support import comparison_rows, log_in, text, tree, two_days, upload

C1 = "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD=C1"


def _periods(n1: str, n: str, end: str) -> dict[str, str]:
    """N-1 from local midnight of day ``n1`` to ``n``, N from ``n`` to ``end``."""
    return {"n1_from": f"{n1}T00:00", "n1_to": f"{n}T00:00", "n_from": f"{n}T00:00",
            "n_to": f"{end}T00:00"}  # fmt: skip


DAYS = _periods("2026-03-01", "2026-03-02", "2026-03-03")


def _errors(html: str) -> dict[str, str]:
    return {p.get("id"): text(p) for p in tree(html).xpath('//p[@class="field-error"]')}


def test_it_charts_each_chosen_cell_at_the_chosen_grain(client: TestClient) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    params = {**DAYS, "grain": "day", "cell": C1, "kpi": "RRC_SETUP_SR"}
    page = tree(client.get("/ran", params=params).text)

    assert page.xpath("//figure/@data-scope") == ["ENB7 · C1"]
    circles = page.xpath('//figure//*[local-name()="circle"]')
    assert [text(c) for c in circles] == ["N-1 2026-03-01 00:00: 99 %", "N 2026-03-02 00:00: 95 %"]
    assert [row[:6] for row in comparison_rows(page)] == [
        ("RRC setup success rate", "Selection", "99 %", "95 %", "−4 pp", "degraded"),
        ("RRC setup success rate", "ENB7 · C1", "99 %", "95 %", "−4 pp", "degraded"),
    ]
    assert page.xpath('//select[@id="cell"]/optgroup[@label="ENB7"]/option[@selected]/@value') == [
        C1
    ]
    assert page.xpath('//input[@value="RRC_SETUP_SR"]/@checked') == ["checked"]


def test_it_refuses_bad_choices_field_by_field(client: TestClient) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    bad = {
        "n1_from": "yesterday",
        "n1_to": "2026-03-02T00:00",
        "n_from": "2026-03-02T10:00",
        "n_to": "2026-03-02T09:00",
        "grain": "week",
        "kpi": ["RRC_SETUP_SR", "NOPE"],
        "ne": "ENB404",
    }
    answer = client.get("/ran", params=bad)
    assert answer.status_code == 422
    assert _errors(answer.text) == {
        "n1_from-error": "Enter a date and time (YYYY-MM-DDTHH:MM).",
        "n_to-error": "The period ends before it starts.",
        "grain-error": "Choose one of 15 minutes, Hour, Day.",
        "kpi-error": "Unknown KPI: NOPE.",
        "ne-error": "Unknown network element: ENB404.",
    }
    assert "<figure" not in answer.text and "N-1 vs N" not in answer.text
    assert 'value="yesterday"' in answer.text  # the input is shown again to be fixed


def test_it_refuses_periods_that_overlap_or_are_too_long(client: TestClient) -> None:
    log_in(client, "carol")
    overlap = client.get("/ran", params={**DAYS, "n1_to": "2026-03-02T06:00"})
    assert overlap.status_code == 422
    assert _errors(overlap.text) == {"n_to-error": "N-1 and N overlap: choose periods apart."}
    month = client.get("/ran", params={**DAYS, "n1_from": "2026-01-01T00:00"})
    assert _errors(month.text) == {"n1_to-error": "A period lasts at most 31 days."}
    quarters = client.get(
        "/ran", params={**DAYS, "n1_from": "2026-02-20T00:00", "n1_to": "2026-03-01T00:00",
                        "grain": "15min"}
    )  # fmt: skip
    assert _errors(quarters.text) == {
        "n1_to-error": "At most 800 periods of 15 minutes can be drawn: shorten the period "
        "or choose a coarser grain."
    }


def test_it_says_no_data_for_periods_without_any(client: TestClient) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    answer = client.get("/ran", params=_periods("2026-02-01", "2026-02-02", "2026-02-03"))
    assert answer.status_code == 200
    assert "No data for the chosen KPIs, objects and periods." in answer.text
    assert "No data to compare." in answer.text
    assert "<figure" not in answer.text


def test_it_escapes_names_and_choices(client: TestClient) -> None:
    log_in(client, "bob")
    hostile = two_days().replace(b"EUtranCellFDD=C2", b"EUtranCellFDD=&lt;b&gt;C2&lt;/b&gt;")
    answer = upload(client, ("<img src=x onerror=alert(1)>.xml", hostile))
    assert "<img" not in answer.text
    assert "&lt;img src=x onerror=alert(1)&gt;.xml" in answer.text

    page = client.get("/ran", params={**DAYS, "kpi": "<script>alert(1)</script>"})
    assert "<script>alert(1)" not in page.text
    assert "Unknown KPI: &lt;script&gt;alert(1)&lt;/script&gt;." in page.text
    shown = client.get("/ran")
    assert "<b>C2</b>" not in shown.text and "&lt;b&gt;C2&lt;/b&gt;" in shown.text


def test_it_starts_from_the_saved_preference(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    preference = {
        "kpis": ["RRC_SETUP_SR"],
        "cells": ["C1"],
        "grain": "day",
        "default_ranges": {"n_minus_1": "2026-03-01~2026-03-01", "n": "2026-03-02~2026-03-02"},
        "thresholds": {"rate_pp": 5},
    }
    saved = client.post("/api/preference", json=preference, headers=headers("bob"))
    assert saved.status_code == 200, saved.text
    page = tree(client.get("/ran").text)

    assert page.xpath('//select[@id="grain"]/option[@selected]/@value') == ["day"]
    assert page.xpath('//input[@name="n_to"]/@value') == ["2026-03-03T00:00"]
    assert page.xpath("//figure/@data-scope") == ["ENB7 · C1"]
    # −4 pp is significant but within the preference's 5 pp: stable.
    assert [row[4:6] for row in comparison_rows(page)] == [("−4 pp", "stable"), ("−4 pp", "stable")]
    assert "beyond 5 pp for rates" in text(page.xpath('//p[@class="hint thresholds"]')[0])
    # Choices in the address win over the preference.
    chosen = tree(client.get("/ran", params={**DAYS, "grain": "hour"}).text)
    assert chosen.xpath("//figure/@data-kpi") == ["RRC_SETUP_SR", "LTE_PRB_UTIL_DL"]
