"""Who may see /ran and import from it: signed-in users read, reporters and admins import,
with the session's CSRF token; each tenant sees its own objects and data only."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.web.ran_support import csrf_of, log_in, tree, two_days, upload


def _stored_files(client: TestClient, auth: dict[str, str]) -> int:
    total: int = client.get("/api/pm/files", headers=auth).json()["total"]
    return total


def test_it_sends_visitors_without_a_session_to_the_login(client: TestClient) -> None:
    answer = client.get("/ran?grain=day", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/ran%3Fgrain%3Dday"
    posted = client.post("/ran/upload", files=[("files", ("a.xml", two_days()))])
    assert posted.status_code == 200 and "Log in" in posted.text  # followed to the login form


def test_it_lets_a_viewer_read_but_not_import(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    log_in(client, "carol")
    page = client.get("/ran")
    assert page.status_code == 200 and "carol (viewer)" in page.text
    assert tree(page.text).xpath("//figure/@data-kpi") == ["RRC_SETUP_SR", "LTE_PRB_UTIL_DL"]
    assert 'id="ran-upload"' not in page.text
    assert "Importing files needs the reporter or admin role." in page.text

    data = {"csrf_token": csrf_of(page.text)}
    copy = [("files", ("copy.xml", two_days() + b"\n"))]
    assert client.post("/ran/upload", data=data, files=copy).status_code == 403
    assert _stored_files(client, headers("alice")) == 1


def test_it_refuses_an_import_without_the_session_token(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    log_in(client, "bob")
    files = [("files", ("enb7.xml", two_days()))]
    assert client.post("/ran/upload", files=files).status_code == 403
    forged = {"csrf_token": "0" * 64}
    assert client.post("/ran/upload", data=forged, files=files).status_code == 403
    assert _stored_files(client, headers("bob")) == 0


def test_it_lets_an_admin_import(client: TestClient) -> None:
    log_in(client, "alice")
    answer = upload(client, ("enb7.xml", two_days()))
    assert tree(answer.text).xpath('//li[@class="ran-file"]/@data-status') == ["imported"]


def test_it_keeps_each_tenant_to_its_own_objects_and_data(client: TestClient) -> None:
    log_in(client, "bob")
    upload(client, ("enb7.xml", two_days()))
    c1 = "SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD=C1"

    log_in(client, "dave")  # admin of acme
    page = client.get("/ran")
    assert "No data: no PM file has been imported yet." in page.text
    assert "ENB7" not in page.text
    other = client.get("/ran", params={"cell": c1})
    assert other.status_code == 422
    assert f"Unknown cell: {c1}" in other.text and "<figure" not in other.text

    # The same file is new to acme, and its days are Asia/Seoul's: the data ends at 20:00
    # local time on 2026-03-02, so N is that local day and N-1 the one before.
    imported = upload(client, ("enb7.xml", two_days()))
    assert tree(imported.text).xpath('//li[@class="ran-file"]/@data-status') == ["imported"]
    acme = tree(client.get("/ran").text)
    assert acme.xpath('//input[@name="n_from"]/@value') == ["2026-03-02T00:00"]
    assert "(Asia/Seoul)" in acme.xpath("//legend")[0].text_content()
    titles = acme.xpath('//figure[@data-kpi="RRC_SETUP_SR"]//g[@data-series="N"]/*/*')
    assert titles[0].text == "N 2026-03-02 17:00: 96.33 %"  # 08:00 UTC
