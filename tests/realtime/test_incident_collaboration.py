"""npm's socket.io-client in an incident's room: presence, editing, comments, autosave."""

from __future__ import annotations

import time
from typing import Any

import httpx
from tests.conftest import password_of


def _token(url: str, name: str) -> str:
    answer = httpx.post(
        f"{url}/api/auth/login", json={"username": name, "password": password_of(name)}
    )
    token: str = answer.json()["access_token"]
    return token


def _incident(server: Any) -> str:
    created = server.api("POST", "/api/incidents", json={"title": "느림", "severity": "high"})
    assert created.status_code == 201, created.text
    incident_id: str = created.json()["incident"]["id"]
    return incident_id


def _is(event: str, **fields: Any) -> Any:
    return lambda line: (
        line["event"] == event and all(line["data"].get(k) == v for k, v in fields.items())
    )


def test_it_shows_each_client_the_other_s_editing_and_comments(
    live_servers: Any, node_client: Any
) -> None:
    server = live_servers()
    incident_id = _incident(server)
    room = f"incident:{incident_id}"
    bob = node_client(server.url, "--token", _token(server.url, "bob"), room)
    bob.joined(room)
    alice = node_client(server.url, "--token", _token(server.url, "alice"), room)
    alice.joined(room)
    _, joined = bob.wait_for(_is("user-joined", room=room))
    assert joined["data"]["user"] == {"id": "1", "name": "alice", "role": "admin"}

    ack = alice.send(
        "incident-editing",
        {"incidentId": incident_id, "isEditing": True, "field": "title", "userName": "mallory"},
    )
    assert ack == {"ok": True}
    _, editing = bob.wait_for(_is("incident-editing", userName="alice"))
    assert editing["data"] == {
        "incidentId": incident_id,
        "userId": "1",
        "userName": "alice",
        "isEditing": True,
        "field": "title",
    }
    assert bob.send(
        "incident-editing", {"incidentId": incident_id, "isEditing": True, "field": "description"}
    ) == {"ok": True}
    alice.wait_for(_is("incident-editing", userName="bob", field="description"))

    comment = server.api(
        "POST", f"/api/incidents/{incident_id}/comments", json={"message": "DB pool?"}
    )
    assert comment.status_code == 201
    for client in (alice, bob):
        _, line = client.wait_for(_is("incident-comment", incidentId=incident_id))
        assert line["data"]["comment"]["message"] == "DB pool?"

    saved = bob.send("auto-save", {"incidentId": incident_id, "data": {"title": "느림 (DB)"}})
    assert saved["ok"] and saved["conflict"] is False
    _, autosaved = alice.wait_for(_is("auto-save", incidentId=incident_id))
    assert autosaved["data"]["data"] == {"title": "느림 (DB)"}
    assert autosaved["data"]["userName"] == "bob"

    alice.close()
    bob.wait_for(_is("incident-editing", userName="alice", isEditing=False, field="title"))
    _, left = bob.wait_for(_is("user-left", room=room))
    assert left["data"] == {"room": room, "userId": "1", "userName": "alice"}


def test_it_keeps_unauthenticated_clients_out_of_incident_rooms(
    live_servers: Any, node_client: Any
) -> None:
    server = live_servers()
    room = f"incident:{_incident(server)}"
    anonymous = node_client(server.url, room, "incidents")
    _, line = anonymous.wait_for(lambda line: line["event"] == "joined" and line["room"] == room)
    assert line["answer"] == {
        "ok": False,
        "room": room,
        "error": f"room {room!r} needs a token (auth: {{token}})",
    }
    anonymous.joined("incidents")
    refused = anonymous.send("incident-editing", {"incidentId": room[9:], "isEditing": True})
    assert refused["ok"] is False
    forged = node_client(server.url, "--token", "not-a-jwt", room)
    forged.wait_for(lambda line: line["event"] == "connect_error")


def test_it_lets_a_viewer_listen_but_not_edit(live_servers: Any, node_client: Any) -> None:
    server = live_servers()
    incident_id = _incident(server)
    room = f"incident:{incident_id}"
    bob = node_client(server.url, "--token", _token(server.url, "bob"), room)
    bob.joined(room)
    carol = node_client(server.url, "--token", _token(server.url, "carol"), room)
    carol.joined(room)

    message = "incident-editing needs the reporter role; viewers only listen"
    editing = {"incidentId": incident_id, "isEditing": True, "field": "title"}
    assert carol.send("incident-editing", editing) == {"ok": False, "error": message}
    _, error = carol.wait_for(lambda line: line["event"] == "error")
    assert error["data"] == {"event": "incident-editing", "message": message}
    autosave = carol.send("auto-save", {"incidentId": incident_id, "data": {"title": "x"}})
    assert autosave["ok"] is False

    assert bob.send("incident-editing", editing) == {"ok": True}
    carol.wait_for(_is("incident-editing", userName="bob"))
    time.sleep(0.3)
    assert bob.events("incident-editing") == []
    assert bob.events("auto-save") == []
