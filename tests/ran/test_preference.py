"""GET/POST /api/preference: each user's own document, validated with field paths,
size-limited, audited, and used by analyses for the fields a request leaves out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from tests.ran.analysis_support import N_MINUS_1, N, hourly_csv, result_of, upload, wait_for

Headers = Callable[[str], dict[str, str]]
DOCUMENT = {
    "kpis": ["RRC_SETUP_SR", "ERAB_DROP_RATE"],
    "nes": ["ENB7"],
    "cells": ["C1", "C2"],
    "default_ranges": {"n_minus_1": N_MINUS_1, "n": N},
    "grain": "hour",
    "thresholds": {"rate_pp": 0.5, "min_attempts": 50, "per_kpi": {"ERAB_DROP_RATE": 0.2}},
}
EMPTY = {
    "kpis": [],
    "nes": [],
    "cells": [],
    "default_ranges": None,
    "grain": None,
    "thresholds": None,
}


def _save(client: TestClient, auth: dict[str, str], body: Any) -> Any:
    return client.post("/api/preference", json=body, headers=auth)


def test_it_keeps_one_document_per_user(client: TestClient, headers: Headers) -> None:
    before = client.get("/api/preference", headers=headers("carol")).json()
    assert before == {"user": "carol", "preferences": EMPTY, "updated_at": None}
    saved = _save(client, headers("carol"), DOCUMENT)
    assert saved.status_code == 200, saved.text
    stored = client.get("/api/preference", headers=headers("carol")).json()
    assert stored["updated_at"] == "2026-03-02T09:00:00Z"
    assert stored["preferences"]["cells"] == ["C1", "C2"]
    assert stored["preferences"]["thresholds"] == {
        "alpha": None,
        "rate_pp": 0.5,
        "volume_pct": None,
        "min_attempts": 50,
        "min_samples": None,
        "per_kpi": {"ERAB_DROP_RATE": 0.2},
    }
    assert client.get("/api/preference", headers=headers("bob")).json()["preferences"] == EMPTY
    assert client.get("/api/preference", headers=headers("erin")).json()["preferences"] == EMPTY
    replaced = _save(client, headers("carol"), {"kpis": ["CELL_AVAILABILITY"]}).json()
    assert replaced["preferences"] == {**EMPTY, "kpis": ["CELL_AVAILABILITY"]}
    audit = client.get("/api/audit?entity=preference", headers=headers("alice")).json()
    assert [(e["action"], e["username"]) for e in audit["items"]] == [
        ("update", "carol"),
        ("update", "carol"),
    ]
    assert client.get("/api/audit?entity=preference", headers=headers("dave")).json()["total"] == 0


def test_it_refuses_bad_documents_with_their_paths(client: TestClient, headers: Headers) -> None:
    bad = {
        "kpis": ["RRC_SETUP_SR", "NOPE"],
        "cells": ["C1", ""],
        "grain": "week",
        "thresholds": {"alpha": 1.5, "per_kpi": {"UNKNOWN": 1}},
        "colour": "red",
    }
    response = _save(client, headers("bob"), bad)
    assert response.status_code == 422
    assert sorted(tuple(e["loc"]) for e in response.json()["detail"]) == [
        ("body", "cells", 1),
        ("body", "colour"),
        ("body", "grain"),
        ("body", "kpis"),
        ("body", "thresholds", "alpha"),
        ("body", "thresholds", "per_kpi"),
    ]
    period = _save(client, headers("bob"), {"default_ranges": {"n": "2024-01-02~2024-01-01"}})
    assert period.status_code == 422
    assert period.json()["detail"] == [
        {
            "loc": ["body", "default_ranges", "n"],
            "msg": "the period ends before it starts",
            "type": "value_error",
        }
    ]
    assert client.get("/api/preference", headers=headers("bob")).json()["updated_at"] is None


def test_it_refuses_a_document_over_64_kib(client: TestClient, headers: Headers) -> None:
    cells = [f"CELL-{i:05d}-{'x' * 20}" for i in range(2500)]  # ≈ 80 KB of JSON
    response = _save(client, headers("bob"), {"cells": cells})
    assert response.status_code == 413
    assert response.json()["detail"] == "body is over the 65536 byte limit"


def test_it_needs_a_signed_in_user(client: TestClient, headers: Headers) -> None:
    assert client.get("/api/preference").status_code == 401
    assert client.post("/api/preference", json={}).status_code == 401
    key = client.post(
        "/api/api-keys", json={"name": "robot", "role": "viewer"}, headers=headers("alice")
    )
    assert key.status_code == 201, key.text
    robot = {"X-API-Key": key.json()["key"]}
    refused = client.get("/api/preference", headers=robot)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "preferences belong to a user; an API key has none"


def test_it_completes_an_analysis_request_from_the_preference(
    client: TestClient, headers: Headers
) -> None:
    counters = {
        ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([100] * 6, [100] * 6),
        ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([99] * 6, [98] * 6),
        ("ENB7", "C9", "RRC.ConnEstabAtt.sum"): ([100] * 6, [100] * 6),
        ("ENB7", "C9", "RRC.ConnEstabSucc.sum"): ([99] * 6, [98] * 6),
    }
    upload(client, headers, "bob", hourly_csv(counters))
    preference = {**DOCUMENT, "cells": ["C1"], "kpis": ["RRC_SETUP_SR"]}
    assert _save(client, headers("bob"), preference).status_code == 200
    started = client.post(
        "/api/async-analysis/start",
        json={"thresholds": {"alpha": 0.01}},
        headers=headers("bob"),
    )
    assert started.status_code == 202, started.text
    params = started.json()["params"]
    assert params["n"]["label"] == N
    assert (params["nes"], params["cells"], params["kpis"]) == (["ENB7"], ["C1"], ["RRC_SETUP_SR"])
    assert params["thresholds"] == {
        "alpha": 0.01,  # the request's
        "rate_pp": 0.5,  # the preference's
        "volume_pct": 5.0,  # the default
        "min_attempts": 50,
        "min_samples": 4,
        "per_kpi": {"ERAB_DROP_RATE": 0.2},
    }
    done = wait_for(client, headers("bob"), started.json()["analysis_id"])
    result = result_of(client, headers("bob"), done["analysis_id"])
    assert {r["cell"] for r in result["peg_metrics"]["rows"]} == {None, "C1"}
