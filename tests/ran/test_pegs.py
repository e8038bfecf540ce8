"""The PEG master: every counter seen, by measInfo group and object class, kept current."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.ran.pm_samples import BROKEN_FILE, CSV_FILE, rrc_file, upload

Headers = Callable[[str], dict[str, str]]


def _peg(
    name: str, group: str, kind: str, first: str, last: str, objects: int
) -> dict[str, object]:
    return {
        "peg_name": name,
        "group": group,
        "object_class": kind,
        "first_seen": f"2026-03-02T{first}:00Z",
        "last_seen": f"2026-03-02T{last}:00Z",
        "objects": objects,
    }


def test_it_lists_the_counters_of_two_files(client: TestClient, headers: Headers) -> None:
    upload(client, headers("bob"), ("enb7-0915.xml", rrc_file()), ("enb9.csv", CSV_FILE))
    upload(client, headers("bob"), ("enb7-0930.xml", rrc_file(end="09:30")))  # same cells, later
    pegs = client.get("/api/master/pegs", headers=headers("carol"))
    assert pegs.headers["X-Total-Count"] == "6"
    assert pegs.json() == [
        _peg("RRC.ConnEstabAtt", "", "ManagedElement", "09:00", "09:00", 1),
        _peg("RRC.ConnEstabAtt", "RRC", "EUtranCellFDD", "09:00", "09:15", 2),
        _peg("RRC.ConnEstabSucc", "", "ManagedElement", "09:00", "09:00", 1),
        _peg("RRC.ConnEstabSucc", "RRC", "EUtranCellFDD", "09:00", "09:15", 2),
        _peg("RRU.PrbAvailDl", "PRB", "EUtranCellFDD", "09:00", "09:15", 1),
        _peg("RRU.PrbUsedDl", "PRB", "EUtranCellFDD", "09:00", "09:15", 1),
    ]

    upload(client, headers("bob"), ("enb8.xml", BROKEN_FILE), params={"lenient": "1"})  # a new C1
    rrc = client.get("/api/master/pegs?group=RRC", headers=headers("carol")).json()
    assert rrc == [
        _peg("RRC.ConnEstabAtt", "RRC", "EUtranCellFDD", "09:00", "09:15", 3),
        _peg("RRC.ConnEstabSucc", "RRC", "EUtranCellFDD", "09:00", "09:15", 3),
    ]


def test_it_filters_and_pages(client: TestClient, headers: Headers) -> None:
    upload(client, headers("bob"), ("enb7.xml", rrc_file()), ("enb9.csv", CSV_FILE))

    def names(query: str) -> list[tuple[str, str]]:
        found = client.get(f"/api/master/pegs?{query}", headers=headers("carol")).json()
        return [(p["peg_name"], p["object_class"]) for p in found]

    assert names("prefix=RRU.PrbU") == [("RRU.PrbUsedDl", "EUtranCellFDD")]
    assert names("prefix=RRU_") == []  # '_' is a character here, not a LIKE wildcard
    assert names("object_class=ManagedElement") == [
        ("RRC.ConnEstabAtt", "ManagedElement"),
        ("RRC.ConnEstabSucc", "ManagedElement"),
    ]
    assert names("group=PRB&prefix=RRC") == []
    page = client.get("/api/master/pegs?limit=2&offset=1", headers=headers("carol"))
    assert page.headers["X-Total-Count"] == "6"
    assert [(p["peg_name"], p["group"]) for p in page.json()] == [
        ("RRC.ConnEstabAtt", "RRC"),
        ("RRC.ConnEstabSucc", ""),
    ]
    assert client.get("/api/master/pegs?limit=0", headers=headers("carol")).status_code == 422
