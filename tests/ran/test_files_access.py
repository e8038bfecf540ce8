"""Who may upload and read PM files and the PEG master, and tenants see only their own."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.ran.pm_samples import rrc_file, upload

Headers = Callable[[str], dict[str, str]]


def test_it_needs_a_reporter_to_upload(client: TestClient, headers: Headers) -> None:
    assert upload(client, {}, ("a.xml", rrc_file())).status_code == 401
    assert upload(client, headers("carol"), ("a.xml", rrc_file())).status_code == 403
    assert upload(client, headers("bob"), ("a.xml", rrc_file())).status_code == 200
    assert upload(client, headers("alice"), ("b.xml", rrc_file(att=5))).status_code == 200
    assert client.get("/api/pm/files", headers=headers("carol")).json()["total"] == 2


def test_it_needs_a_viewer_to_read(client: TestClient, headers: Headers) -> None:
    for url in ("/api/pm/files", "/api/master/pegs"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=headers("carol")).status_code == 200


def test_it_keeps_each_tenant_to_its_own_files_and_pegs(
    client: TestClient, headers: Headers
) -> None:
    upload(client, headers("bob"), ("a.xml", rrc_file()))
    assert client.get("/api/pm/files", headers=headers("erin")).json()["total"] == 0
    assert client.get("/api/master/pegs", headers=headers("erin")).json() == []

    again = upload(client, headers("dave"), ("a.xml", rrc_file())).json()["files"][0]
    assert again["status"] == "imported"  # the same bytes, but new to acme
    acme = client.get("/api/pm/files", headers=headers("erin")).json()["items"]
    assert [(f["id"], f["imported_by"]) for f in acme] == [(again["file_id"], "dave")]
    default = client.get("/api/pm/files", headers=headers("carol")).json()["items"]
    assert [f["imported_by"] for f in default] == ["bob"]
    pegs = client.get("/api/master/pegs", headers=headers("erin")).json()
    assert {p["objects"] for p in pegs} == {1, 2}
