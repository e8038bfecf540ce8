"""A rejected file stores nothing and says where; lenient keeps the good measInfo blocks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.ran.pm_samples import BROKEN_FILE, BROKEN_LINE, BROKEN_REASON, rrc_file, upload

Headers = Callable[[str], dict[str, str]]


def test_it_answers_422_with_the_line_when_every_file_is_rejected(
    client: TestClient, headers: Headers
) -> None:
    response = upload(client, headers("bob"), ("broken.xml", BROKEN_FILE), ("empty.xml", b""))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "files", 0],
            "msg": f"broken.xml line {BROKEN_LINE}: {BROKEN_REASON}",
            "type": "pm_file_rejected",
            "file": "broken.xml",
            "line": BROKEN_LINE,
            "reason": BROKEN_REASON,
        },
        {
            "loc": ["body", "files", 1],
            "msg": "empty.xml: the file is empty",
            "type": "pm_file_rejected",
            "file": "empty.xml",
            "line": None,
            "reason": "the file is empty",
        },
    ]
    assert client.get("/api/pm/files", headers=headers("carol")).json()["total"] == 0
    assert client.get("/api/master/pegs", headers=headers("carol")).json() == []


def test_it_stores_the_good_files_beside_a_rejected_one(
    client: TestClient, headers: Headers
) -> None:
    response = upload(client, headers("bob"), ("good.xml", rrc_file()), ("broken.xml", BROKEN_FILE))
    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["duplicate"], body["rejected"]) == (1, 0, 1)
    assert body["files"][1] == {
        "name": "broken.xml",
        "status": "rejected",
        "file_id": None,
        "values": 0,
        "blocks": 0,
        "suspect": 0,
        "rejected": [],
        "error": {"line": BROKEN_LINE, "reason": BROKEN_REASON},
    }
    listed = client.get("/api/pm/files", headers=headers("carol")).json()
    assert [item["name"] for item in listed["items"]] == ["good.xml"]
    pegs = client.get("/api/master/pegs", headers=headers("carol")).json()
    assert {p["objects"] for p in pegs if p["group"] == "RRC"} == {2}  # ENB8's C1 is not there


def test_it_keeps_the_good_blocks_when_lenient(client: TestClient, headers: Headers) -> None:
    response = upload(
        client, headers("bob"), ("broken.xml", BROKEN_FILE), params={"lenient": "true"}
    )
    assert response.status_code == 200
    (result,) = response.json()["files"]
    rejected = [{"line": BROKEN_LINE, "group": "PRB", "reason": BROKEN_REASON}]
    assert (result["status"], result["values"], result["blocks"]) == ("imported", 2, 1)
    assert result["rejected"] == rejected
    (listed,) = client.get("/api/pm/files", headers=headers("carol")).json()["items"]
    assert (listed["values"], listed["rejected"]) == (2, rejected)
    pegs = client.get("/api/master/pegs", headers=headers("carol")).json()
    assert [(p["peg_name"], p["group"]) for p in pegs] == [
        ("RRC.ConnEstabAtt", "RRC"),
        ("RRC.ConnEstabSucc", "RRC"),
    ]


def test_it_takes_lenient_as_a_form_field(client: TestClient, headers: Headers) -> None:
    strict = upload(client, headers("bob"), ("broken.xml", BROKEN_FILE), data={"lenient": "false"})
    assert strict.status_code == 422
    lenient = upload(client, headers("bob"), ("broken.xml", BROKEN_FILE), data={"lenient": "on"})
    assert lenient.json()["files"][0]["status"] == "imported"
    bad = upload(client, headers("bob"), ("broken.xml", BROKEN_FILE), data={"lenient": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "lenient"]
