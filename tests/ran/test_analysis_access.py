"""Who may call each analysis endpoint, and that no tenant sees another's jobs or results.

Viewers read; reporters and admins start, cancel and write; anonymous callers get 401.
Another tenant's job or result is 404 for every verb, and its counters are not there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ran.analysis_support import N_MINUS_1, N, hourly_csv, start, upload, wait_for

Headers = Callable[[str], dict[str, str]]
ANALYSIS = {"n_minus_1": N_MINUS_1, "n": N, "kpi_types": ["RRC_SETUP_SR"], "use_llm": False}
RESULT = {"ne_id": "ENB7", "cell_id": "C1", "status": "success"}
COUNTERS = {
    ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([100] * 6, [100] * 6),
    ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([99] * 6, [98] * 6),
}


def _endpoints(job: str, result: int) -> list[tuple[str, str, Any, str, int]]:
    """(method, path, body, least role, status for a reporter) of every endpoint."""
    return [
        ("POST", "/api/analysis/trigger-llm-analysis", ANALYSIS, "reporter", 202),
        ("GET", f"/api/analysis/llm-analysis/{job}", None, "viewer", 200),
        ("POST", "/api/analysis/results", RESULT, "reporter", 201),
        ("GET", "/api/analysis/results", None, "viewer", 200),
        ("GET", f"/api/analysis/results/{result}", None, "viewer", 200),
        ("PUT", f"/api/analysis/results/{result}", {"status": "warning"}, "reporter", 200),
        ("DELETE", f"/api/analysis/results/{result}", None, "reporter", 204),
        ("POST", "/api/async-analysis/start", ANALYSIS, "reporter", 202),
        ("GET", f"/api/async-analysis/status/{job}", None, "viewer", 200),
        ("GET", f"/api/async-analysis/result/{job}", None, "viewer", 200),
        ("POST", f"/api/async-analysis/cancel/{job}", None, "reporter", 409),  # it has ended
        ("GET", "/api/async-analysis/list", None, "viewer", 200),
        ("GET", "/api/async-analysis/health", None, "viewer", 200),
        ("GET", "/api/preference", None, "viewer", 200),
        ("POST", "/api/preference", {}, "viewer", 200),
    ]


@pytest.fixture
def made(client: TestClient, headers: Headers) -> tuple[str, int]:
    """A succeeded job and a posted result of the default tenant."""
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    job = start(client, headers, kpi_types=["RRC_SETUP_SR"], use_llm=False)
    wait_for(client, headers("bob"), job["analysis_id"])
    posted = client.post("/api/analysis/results", json=RESULT, headers=headers("bob"))
    assert posted.status_code == 201
    return job["analysis_id"], posted.json()["id"]


def _call(client: TestClient, method: str, path: str, body: Any, auth: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=auth)


def test_it_asks_anonymous_callers_to_sign_in(client: TestClient, made: tuple[str, int]) -> None:
    for method, path, body, _, _ in _endpoints(*made):
        assert _call(client, method, path, body, {}).status_code == 401, (method, path)


def test_it_lets_viewers_read_and_reporters_write(
    client: TestClient, headers: Headers, made: tuple[str, int]
) -> None:
    viewer, reporter = headers("carol"), headers("bob")
    for method, path, body, role, _ in _endpoints(*made):
        answer = _call(client, method, path, body, viewer)
        if role == "reporter":
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json()["detail"] == "requires the reporter role"
        else:
            assert answer.status_code == 200, (method, path, answer.text)
    for method, path, body, _, status in _endpoints(*made):
        answer = _call(client, method, path, body, reporter)
        assert answer.status_code == status, (method, path, answer.text)


def test_it_hides_every_job_and_result_from_other_tenants(
    client: TestClient, headers: Headers, made: tuple[str, int]
) -> None:
    job, result = made
    for persona in ("dave", "erin"):
        auth = headers(persona)
        for method, path, body, role, _ in _endpoints(job, result):
            if job not in path and str(result) not in path.rsplit("/", 1)[-1]:
                continue
            if role == "reporter" and persona == "erin":
                continue  # refused for the role before the tenant is looked at
            answer = _call(client, method, path, body, auth)
            assert answer.status_code == 404, (persona, method, path, answer.text)
        listed = client.get("/api/async-analysis/list", headers=auth).json()
        assert listed["total"] == 0
        assert client.get("/api/analysis/results", headers=auth).json()["total"] == 0
        health = client.get("/api/async-analysis/health", headers=auth).json()
        assert health["jobs"]["succeeded"] == 0
    foreign = client.post(
        "/api/async-analysis/start", json={**ANALYSIS, "cellid": "C1"}, headers=headers("dave")
    )
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["loc"] == ["body", "cellid"]
    own = client.get(f"/api/async-analysis/status/{job}", headers=headers("carol"))
    assert own.json()["status"] == "succeeded"
