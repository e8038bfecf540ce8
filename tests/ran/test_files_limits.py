"""What an upload must look like: size limit, multipart, a ``files`` field."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient
from tests.ran.pm_samples import rrc_file, upload

from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
BOUNDARY = "pm-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    )


def test_it_answers_413_over_the_size_limit(
    settings: Settings, client: TestClient, headers: Headers
) -> None:
    settings.ingest_max_bytes = 1000
    assert len(rrc_file()) > 1000
    assert upload(client, headers("bob"), ("a.xml", rrc_file())).status_code == 413
    body = _part("files", rrc_file(), "a.xml") + f"--{BOUNDARY}--\r\n".encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is counted while reading
        for start in range(0, len(body), 200):
            yield body[start : start + 200]

    response = client.post("/api/pm/files", content=chunks(), headers=headers("bob") | MULTIPART)
    assert response.status_code == 413
    assert client.get("/api/pm/files", headers=headers("bob")).json()["total"] == 0


def test_it_wants_multipart_with_files(client: TestClient, headers: Headers) -> None:
    as_json = client.post("/api/pm/files", json={"files": []}, headers=headers("bob"))
    assert as_json.status_code == 415
    only_flag = _part("lenient", b"true") + f"--{BOUNDARY}--\r\n".encode()
    none = client.post("/api/pm/files", content=only_flag, headers=headers("bob") | MULTIPART)
    assert none.status_code == 422
    assert none.json()["detail"][0]["loc"] == ["body", "files"]
    other = _part("file", rrc_file(), "a.xml") + f"--{BOUNDARY}--\r\n".encode()
    misnamed = client.post("/api/pm/files", content=other, headers=headers("bob") | MULTIPART)
    assert misnamed.status_code == 422
    assert misnamed.json()["detail"][0]["loc"] == ["body", "file"]


def test_it_stores_the_last_part_of_a_path_as_the_name(
    client: TestClient, headers: Headers
) -> None:
    body = upload(client, headers("bob"), ("../../etc/A1.xml", rrc_file())).json()
    assert body["files"][0]["name"] == "A1.xml"
