"""An upload from /ran over ``ingest_max_bytes`` is refused whole (413) and stores nothing;
one under it is imported."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.web.ran_support import BROKEN, log_in, two_days, upload

from kpiwatch.core.config import Settings

LIMIT = 8 * 1024  # the two-day file is 6.4 KiB; with a second copy the body is over 8 KiB


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=None,
        scheduler_enabled=False,
        ingest_max_bytes=LIMIT,
    )


def test_it_refuses_an_upload_over_the_size_limit(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    log_in(client, "bob")
    too_big = upload(client, ("a.xml", two_days()), ("b.xml", two_days() + b" "))
    assert too_big.status_code == 413
    assert f"the upload is over the {LIMIT:,} byte limit" in too_big.text
    assert client.get("/api/pm/files", headers=headers("bob")).json()["total"] == 0

    fits = upload(client, ("a.xml", two_days()), ("broken.xml", BROKEN))
    assert fits.status_code == 200 and 'data-status="imported"' in fits.text
