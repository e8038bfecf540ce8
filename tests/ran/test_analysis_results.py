"""CRUD of /api/analysis/results with the seed's AnalysisResultModel fields: create, read,
list with filters (NE, cell, date range, status) and paging, partial update, delete,
validation with field paths, the size limit, and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from tests.ran.analysis_support import hourly_csv, start, upload, wait_for

Headers = Callable[[str], dict[str, str]]


def _result(ne: str, cell: str, date: str, status: str = "success", **extra: Any) -> dict[str, Any]:
    return {
        "ne_id": ne,
        "cell_id": cell,
        "analysis_date": date,
        "status": status,
        "time_ranges": {"n_minus_1": "2024-01-01_00:00~2024-01-01_23:59"},
        "peg_metrics": {"items": [{"peg_name": "RRC.ConnEstabAtt.sum", "n_minus_1": 10, "n": 12}]},
        "llm_analysis": {"summary": "attempts rose"},
        "metadata": {"source": "import"},
        **extra,
    }


def _post(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/analysis/results", json=body, headers=headers("bob"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_it_creates_reads_updates_and_deletes_a_result(
    client: TestClient, headers: Headers
) -> None:
    created = _post(client, headers, _result("ENB7", "C1", "2026-03-01T10:00:00Z"))
    assert created["ne_id"] == "ENB7"
    assert created["analysis_date"] == "2026-03-01T10:00:00Z"
    assert created["metadata"] == {"source": "import"}
    assert (created["created_by"], created["analyzer"], created["job_id"]) == ("bob", None, None)
    assert created["legacy_payload"] is None
    path = f"/api/analysis/results/{created['id']}"
    assert client.get(path, headers=headers("carol")).json() == created
    changed = client.put(
        path,
        json={"status": "warning", "llm_analysis": {"summary": "checked"}},
        headers=headers("alice"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "warning"
    assert changed.json()["llm_analysis"] == {"summary": "checked"}
    assert changed.json()["peg_metrics"] == created["peg_metrics"]  # not sent: kept
    assert client.delete(path, headers=headers("bob")).status_code == 204
    assert client.get(path, headers=headers("carol")).status_code == 404
    assert client.delete(path, headers=headers("bob")).status_code == 404
    audit = client.get("/api/audit?entity=analysis_result", headers=headers("alice")).json()
    assert [(e["action"], e["username"]) for e in audit["items"]] == [
        ("delete", "bob"),
        ("update", "alice"),
        ("create", "bob"),
    ]


def test_it_filters_by_ne_cell_date_and_status_and_pages(
    client: TestClient, headers: Headers
) -> None:
    ids = [
        _post(client, headers, body)["id"]
        for body in (
            _result("ENB7", "C1", "2026-02-27T10:00:00Z"),
            _result("ENB7", "C2", "2026-02-28T10:00:00Z", "error"),
            _result("ENB8", "C1", "2026-03-01T10:00:00Z"),
            _result(
                "*",
                "*",
                "2026-03-01T12:00:00Z",
                peg_metrics={"rows": [{"ne": "ENB9", "cell": "C5", "kpi": "RRC_SETUP_SR"}]},
            ),
        )
    ]
    auth = headers("carol")

    def listed(query: str) -> list[int]:
        response = client.get(f"/api/analysis/results?{query}", headers=auth)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed("") == ids[::-1]
    assert listed("ne=ENB7") == [ids[1], ids[0]]
    assert listed("cell=C1") == [ids[2], ids[0]]
    assert listed("ne=ENB7&cell=C1") == [ids[0]]
    assert listed("cell=C5") == [ids[3]]  # a table row's cell counts
    assert listed("status=error") == [ids[1]]
    assert listed("from=2026-02-28T00:00:00Z&to=2026-03-01T11:00:00Z") == [ids[2], ids[1]]
    assert listed("limit=2&page=2") == [ids[1], ids[0]]
    page = client.get("/api/analysis/results?limit=3", headers=auth).json()
    assert (page["total"], page["page"], page["limit"]) == (4, 1, 3)
    assert "peg_metrics" not in page["items"][0]  # the list leaves the tables out
    bad = client.get("/api/analysis/results?status=done&from=yesterday", headers=auth)
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
        ("query", "status"),
        ("query", "from"),
    }


def test_it_refuses_bad_results_with_field_paths_and_stores_nothing(
    client: TestClient, headers: Headers
) -> None:
    body = _result("ENB7", "C1", "2026-03-01T10:00:00")  # no offset
    body.update(status="done", colour="red")
    del body["cell_id"]
    response = client.post("/api/analysis/results", json=body, headers=headers("bob"))
    assert response.status_code == 422
    assert sorted(tuple(e["loc"]) for e in response.json()["detail"]) == [
        ("body", "analysis_date"),
        ("body", "cell_id"),
        ("body", "colour"),
        ("body", "status"),
    ]
    not_json = client.post(
        "/api/analysis/results",
        content=b"{",
        headers={**headers("bob"), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422 and not_json.json()["detail"][0]["loc"] == ["body"]
    created = _post(client, headers, _result("ENB7", "C1", "2026-03-01T10:00:00Z"))
    path = f"/api/analysis/results/{created['id']}"
    nulled = client.put(path, json={"peg_metrics": None}, headers=headers("bob"))
    assert nulled.status_code == 422
    assert nulled.json()["detail"][0]["loc"] == ["body", "peg_metrics"]
    assert client.get("/api/analysis/results", headers=headers("bob")).json()["total"] == 1


def test_it_refuses_a_result_over_one_mebibyte(client: TestClient, headers: Headers) -> None:
    big = _result("ENB7", "C1", "2026-03-01T10:00:00Z", legacy_payload={"blob": "x" * 1_100_000})
    response = client.post("/api/analysis/results", json=big, headers=headers("bob"))
    assert response.status_code == 413
    assert response.json()["detail"] == "body is over the 1048576 byte limit"
    assert client.get("/api/analysis/results", headers=headers("bob")).json()["total"] == 0


def test_it_keeps_a_jobs_result_listable_by_its_cells(client: TestClient, headers: Headers) -> None:
    counters = {
        ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([100] * 6, [100] * 6),
        ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([99] * 6, [98] * 6),
    }
    upload(client, headers, "bob", hourly_csv(counters))
    job = start(client, headers, kpi_types=["RRC_SETUP_SR"], use_llm=False, cellid="C1")
    done = wait_for(client, headers("bob"), job["analysis_id"])
    found = client.get("/api/analysis/results?cell=C1&ne=ENB7", headers=headers("carol")).json()
    assert [r["id"] for r in found["items"]] == [done["result_id"]]
    assert (found["items"][0]["ne_id"], found["items"][0]["cell_id"]) == ("*", "C1")
    assert found["items"][0]["analyzer"] == "deterministic"
    assert found["items"][0]["job_id"] == job["analysis_id"]
