"""Uploading PM files: several at once, listed newest first, a re-import changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.ran.pm_samples import CSV_FILE, rrc_file, upload

XML_NAME = "A20260302.0900+0000-0915+0000_ENB7.xml"
Headers = Callable[[str], dict[str, str]]


def test_it_imports_several_files_and_lists_them(client: TestClient, headers: Headers) -> None:
    response = upload(client, headers("bob"), (XML_NAME, rrc_file()), ("enb9.csv", CSV_FILE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["duplicate"], body["rejected"]) == (2, 0, 0)
    xml, csv = body["files"]
    assert xml == {
        "name": XML_NAME,
        "status": "imported",
        "file_id": xml["file_id"],
        "values": 6,
        "blocks": 3,
        "suspect": 1,
        "rejected": [],
        "error": None,
    }
    assert (csv["status"], csv["values"], csv["blocks"], csv["suspect"]) == ("imported", 2, 1, 0)

    listed = client.get("/api/pm/files", headers=headers("carol")).json()
    assert (listed["total"], listed["page"], listed["limit"]) == (2, 1, 50)
    newest, oldest = listed["items"]
    assert newest == {
        "id": csv["file_id"],
        "name": "enb9.csv",
        "format": "csv",
        "sha256": hashlib.sha256(CSV_FILE).hexdigest(),
        "size_bytes": len(CSV_FILE),
        "ne": "ENB9",
        "period_start": "2026-03-02T09:00:00Z",
        "period_end": "2026-03-02T10:00:00Z",
        "gran_s": 3600,
        "blocks": 1,
        "values": 2,
        "suspect": 0,
        "rejected": [],
        "imported_at": "2026-03-02T09:00:00Z",
        "imported_by": "bob",
    }
    assert (oldest["id"], oldest["format"], oldest["ne"], oldest["gran_s"]) == (
        xml["file_id"],
        "32.435",
        "ENB7",
        900,
    )
    assert (oldest["period_start"], oldest["period_end"]) == (
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:15:00Z",
    )
    second_page = client.get("/api/pm/files?page=2&limit=1", headers=headers("carol")).json()
    assert [item["id"] for item in second_page["items"]] == [xml["file_id"]]


def test_it_answers_duplicate_and_changes_nothing(client: TestClient, headers: Headers) -> None:
    first = upload(client, headers("bob"), (XML_NAME, rrc_file())).json()["files"][0]
    pegs = client.get("/api/master/pegs", headers=headers("carol")).json()

    again = upload(client, headers("alice"), ("renamed.xml", rrc_file()))
    assert again.status_code == 200
    assert again.json()["files"] == [
        {
            "name": "renamed.xml",
            "status": "duplicate",
            "file_id": first["file_id"],
            "values": 6,
            "blocks": 3,
            "suspect": 1,
            "rejected": [],
            "error": None,
        }
    ]
    assert client.get("/api/pm/files", headers=headers("carol")).json()["total"] == 1
    assert client.get("/api/master/pegs", headers=headers("carol")).json() == pegs
    audit = client.get("/api/audit?entity=pm_file", headers=headers("alice")).json()
    assert [(e["action"], e["username"], e["detail"]) for e in audit["items"]] == [
        (
            "pm_file.import",
            "bob",
            {"files": [{"id": first["file_id"], "name": XML_NAME, "values": 6}]},
        )
    ]


def test_it_answers_duplicate_for_a_file_repeated_in_one_upload(
    client: TestClient, headers: Headers
) -> None:
    body = upload(
        client,
        headers("bob"),
        ("a.xml", rrc_file()),
        ("b.xml", rrc_file(att=7)),
        ("c.xml", rrc_file()),
    ).json()
    a, b, c = body["files"]
    assert [f["status"] for f in body["files"]] == ["imported", "imported", "duplicate"]
    assert c["file_id"] == a["file_id"] != b["file_id"]
    assert (c["name"], c["values"]) == ("c.xml", 6)
    assert client.get("/api/pm/files", headers=headers("carol")).json()["total"] == 2
