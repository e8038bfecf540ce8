"""The narrative: an OpenAI-compatible endpoint on loopback writes it, or the deterministic
analyzer does when that endpoint fails in any way; the API key is sent, never logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.ran.analysis_support import (
    LlmServer,
    hourly_csv,
    login_headers,
    result_of,
    start,
    upload,
    wait_for,
)

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings

SECRET = "sk-loopback-0123456789"
TEXT = "RRC setup success fell from 99.00 % to 96.00 % on ENB7/C1 (degraded)."
COUNTERS = {
    ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([1000] * 6, [1000] * 6),
    ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([990] * 6, [960] * 6),
}


@pytest.fixture(params=["ok"])
def llm(request: pytest.FixtureRequest) -> Iterator[LlmServer]:
    with LlmServer(request.param, TEXT, delay_s=2.0) as server:
        yield server


@pytest.fixture
def settings(database_url: str, llm: LlmServer) -> Settings:
    return Settings(
        database_url=database_url,
        scheduler_enabled=False,
        llm_url=llm.url,
        llm_model="local-model",
        llm_api_key=SECRET,
        llm_timeout_s=0.5,
    )


def _analyse(client: TestClient, headers: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    job = start(client, headers, kpi_types=["RRC_SETUP_SR"])
    done = wait_for(client, headers("bob"), job["analysis_id"])
    assert done["status"] == "succeeded", done
    answer = client.get(f"/api/analysis/llm-analysis/{job['analysis_id']}", headers=headers("bob"))
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()["result"]
    return result


def test_it_takes_the_narrative_from_the_llm(
    client: TestClient, headers: Callable[[str], dict[str, str]], llm: LlmServer
) -> None:
    result = _analyse(client, headers)
    assert result["analyzer"] == "llm:local-model"
    assert result["llm_analysis"]["analyzer"] == "llm:local-model"
    assert result["llm_analysis"]["summary"] == TEXT
    assert result["metadata"]["llm_error"] is None
    assert result["llm_analysis"]["findings"][0].startswith(
        "RRC setup success rate (network): 99.00 % in N-1, 96.00 % in N (-3.00 pp"
    )
    [(sent_headers, body)] = llm.requests
    assert sent_headers["Authorization"] == f"Bearer {SECRET}"
    assert body["model"] == "local-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    table = orjson.loads(body["messages"][1]["content"])
    assert table["periods"]["n"] == "2026-03-01_00:00~2026-03-01_05:59"
    [network] = table["network_rows"]
    assert (network["value_n_minus_1"], network["value_n"]) == (99.0, 96.0)
    assert [r["cell"] for r in table["cell_rows"]] == ["C1"]


@pytest.mark.parametrize(
    ("llm", "reason"),
    [
        ("error", "HTTP 500"),
        ("garbage", "the answer is not chat-completions JSON"),
        ("slow", "no answer within 0.5 s"),
    ],
    indirect=["llm"],
)
def test_it_falls_back_to_the_deterministic_analyzer(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    llm: LlmServer,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kpiwatch.ran.narrative"):
        result = _analyse(client, headers)
    assert len(llm.requests) == 1
    assert result["analyzer"] == "deterministic"
    assert result["metadata"]["llm_error"] == reason
    assert result["llm_analysis"]["summary"].startswith("N-1 (2026-02-28_00:00~2026-02-28_05:59)")
    [warning] = [r for r in caplog.records if r.name == "kpiwatch.ran.narrative"]
    assert warning.fields["reason"] == reason  # type: ignore[attr-defined]
    assert all(SECRET not in str(r.__dict__) for r in caplog.records)


def test_it_falls_back_when_nothing_listens(database_url: str, clock: Clock) -> None:
    with LlmServer() as gone:
        url = gone.url  # a loopback port that is closed once the server stops
    settings = Settings(database_url=database_url, scheduler_enabled=False, llm_url=url)
    with TestClient(create_app(settings, clock)) as client:
        auth = login_headers(client)
        upload(client, auth, "bob", hourly_csv(COUNTERS))
        job = start(client, auth, kpi_types=["RRC_SETUP_SR"])
        done = wait_for(client, auth("bob"), job["analysis_id"])
        result = client.get(
            f"/api/async-analysis/result/{done['analysis_id']}", headers=auth("bob")
        )
    assert result.json()["analyzer"] == "deterministic"
    assert result.json()["metadata"]["llm_error"] == "request failed: ClientConnectorError"


def test_it_skips_the_llm_when_the_request_says_so(
    client: TestClient, headers: Callable[[str], dict[str, str]], llm: LlmServer
) -> None:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    job = start(client, headers, kpi_types=["RRC_SETUP_SR"], use_llm=False)
    done = wait_for(client, headers("bob"), job["analysis_id"])
    result = result_of(client, headers("bob"), done["analysis_id"])
    assert result["analyzer"] == "deterministic"
    assert result["metadata"]["llm_error"] is None
    assert llm.requests == []
