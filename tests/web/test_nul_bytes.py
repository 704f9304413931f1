"""A NUL byte in a name or an address is an unknown one, not a server error (PostgreSQL refuses
NUL in any text it is sent, so a lookup must not send it)."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_from, login
from tests.fixtures.chat import connect, emit, make_room


def test_login_and_recover_with_a_nul_in_the_pseudonym_are_refused(client):
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"pseudonym": "\x00", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 400
    response = client.post("/recover", data={"pseudonym": "steady\x00heron", "code": "a-b",
                                             "password": PASSWORD, "password_confirm": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 400


def test_muting_a_pseudonym_with_a_nul_is_refused(client, member):
    login(client, member)
    response = client.post("/account/mutes", data={"pseudonym": "a\x00b",
                                                   "csrf_token": csrf_from(client, "/account")})
    assert response.status_code == 400
    assert "No member has that pseudonym." in response.get_data(as_text=True)


def test_board_and_room_addresses_with_a_nul_are_not_found(client, member):
    login(client, member)
    for path in ("/c/%00", "/c/daily%00/new", "/rooms/coffee%00"):
        assert client.get(path).status_code == 404, path


def test_chat_events_for_a_room_with_a_nul_get_a_not_found_ack(app, member):
    make_room()
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room\x00"})["error"] == "not_found"
    assert emit(sock, "leave", {"room": "\x00"})["error"] == "not_found"
    ack = emit(sock, "send", {"room": "\x00", "client_id": "c-1", "text": "hello"})
    assert ack == {"ok": False, "error": "not_found", "message": "There is no such room.",
                   "text": "hello"}


def test_ids_past_the_integer_range_are_not_found(app, member, facilitator):
    # PostgreSQL refuses an integer past 32 bits with an error; that must read as "not found".
    from tests.fixtures.chat import connect, emit, make_room

    room = make_room()
    host, sock = connect(app, facilitator), connect(app, member)
    for client in (host, sock):
        assert emit(client, "join", {"room": room.slug})["ok"]
    huge = 2**31
    assert emit(sock, "delete", {"id": huge})["error"] == "not_found"
    assert emit(host, "pin", {"room": room.slug, "message_id": huge})["ok"] is False
    for event in ("mute", "remove"):
        ack = emit(host, event, {"room": room.slug, "user": huge, "minutes": 5})
        assert ack["ok"] is False and ack["error"] == "not_found", ack
        ack = emit(host, event, {"room": room.slug, "message_id": huge, "minutes": 5})
        assert ack["ok"] is False and ack["error"] != "server_error", ack
    ack = emit(sock, "sync", {"room": room.slug, "after_id": huge})
    assert ack["ok"] is True or ack["error"] != "server_error", ack
    for client in (host, sock):
        client.disconnect("/chat")
