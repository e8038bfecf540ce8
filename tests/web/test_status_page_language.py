"""Past incidents: the PRD's Korean message, or English when the browser prefers English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kpiwatch.web.status_pages import preferred_language

KOREAN = '<p class="empty" lang="ko">데이터를 준비 중입니다.</p>'
ENGLISH = '<p class="empty" lang="en">Data is being prepared.</p>'


def test_it_says_data_is_being_prepared_in_korean_by_default(client: TestClient) -> None:
    assert KOREAN in client.get("/").text
    assert KOREAN in client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).text


def test_it_says_it_in_english_when_the_browser_prefers_english(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,ko;q=0.8"})
    assert ENGLISH in page.text
    assert KOREAN not in page.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "ko"),
        ("", "ko"),
        ("de-DE,de;q=0.9", "ko"),
        ("en", "en"),
        ("de,en;q=0.5", "en"),
        ("ko,en", "ko"),
        ("en,ko", "en"),
        ("ko;q=0.5,en;q=0.8", "en"),
        ("en;q=0,ko;q=0.1", "ko"),
        ("en;q=oops,ko", "ko"),
    ],
)
def test_it_ranks_accept_language(header: str | None, language: str) -> None:
    assert preferred_language(header) == language
