"""Anonymity in live rooms over /chat with the Flask-SocketIO test client: knocks are named by
an opaque token, never an account id; anonymous rooms are hosted by moderators (and admins)
only; and nothing a host receives in an anonymous room, event or ack, carries an account id."""

from __future__ import annotations

import pytest

from forum.services.chat import facilitation as room_controls
from tests.conftest import login
from tests.e2e.privacy_scan import account_ids_in
from tests.fixtures import chat as chat_support, rooms as room_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.rooms import knock_token

meeting_room = room_support.meeting_room
screener = threads_support.screener

ANON = "quiet-corner"


@pytest.fixture
def anonymous_room(app):
    """An always-open anonymous room, as the demo's anonymous-share."""
    return chat_support.make_room(ANON, "Quiet corner", anonymous=True)


class Host:
    """A connection that keeps every event it receives and every ack it gets."""

    def __init__(self, app, user):
        self.sock = connect(app, user)
        self.acks: list[dict] = []
        self.events: list[tuple[str, object]] = []

    def emit(self, event: str, data=None) -> dict:
        ack = emit(self.sock, event, data)
        self.acks.append(ack)
        return ack

    def take(self, name: str) -> list[dict]:
        """The payloads of this event received since the last take (all are kept)."""
        got = self.sock.get_received("/chat")
        self.events += [(r["name"], r["args"]) for r in got]
        return [r["args"] if isinstance(r["args"], dict) else r["args"][0]
                for r in got if r["name"] == name]

    def everything(self) -> list:
        """Everything received and every ack, for a scan."""
        self.take("")
        return [*self.acks, *self.events]


def _ids(*users) -> set[int]:
    return {u.id for u in users}


def test_knock_admit_and_decline_name_a_token_never_an_account(app, meeting_room, facilitator,
                                                              member, second_member):
    host = Host(app, facilitator)
    assert host.emit("room_open", {"room": "tuesday-circle"})["ok"]
    assert host.emit("join", {"room": "tuesday-circle"})["ok"]
    knockers = {u.id: connect(app, u) for u in (member, second_member)}
    for sock in knockers.values():
        assert emit(sock, "join", {"room": "tuesday-circle"})["waiting"]
    first, second = host.take("knock")
    assert set(first) == set(second) == {"room", "token", "pseudonym"}
    assert first["token"] != second["token"]
    assert first["token"] == knock_token(meeting_room, member)
    assert host.emit("join", {"room": "tuesday-circle"})["knocks"] == [first, second]
    assert host.emit("admit", {"room": "tuesday-circle", "token": first["token"]}) == {
        "ok": True, "token": first["token"]}
    assert host.emit("decline", {"room": "tuesday-circle", "token": second["token"]}) == {
        "ok": True, "token": second["token"]}
    assert host.take("knock_resolved") == [
        {"room": "tuesday-circle", "token": first["token"], "admitted": True},
        {"room": "tuesday-circle", "token": second["token"], "admitted": False}]
    assert received(knockers[member.id], "admitted") == [{"room": "tuesday-circle"}]
    assert received(knockers[second_member.id], "declined") == [{"room": "tuesday-circle"}]
    assert account_ids_in(host.everything(), _ids(member, second_member, facilitator)) == []


def test_a_wrong_or_foreign_token_is_refused_like_a_missing_one(app, meeting_room,
                                                               anonymous_room, facilitator,
                                                               moderator, member,
                                                               second_member):
    host = connect(app, facilitator)
    emit(host, "room_open", {"room": "tuesday-circle"})
    emit(host, "join", {"room": "tuesday-circle"})
    knocker, elsewhere = connect(app, member), connect(app, second_member)
    assert emit(knocker, "join", {"room": "tuesday-circle"})["waiting"]
    room_controls.check_waiting_room(anonymous_room, True, acting_user=moderator)
    assert emit(elsewhere, "join", {"room": ANON})["waiting"]
    token = knock_token(meeting_room, member)
    foreign = knock_token(anonymous_room, second_member)
    missing = emit(host, "admit", {"room": "tuesday-circle", "token": "k" * 22})
    assert missing["ok"] is False and missing["error"] == "not_found"
    for event in ("admit", "decline"):
        for wrong in (foreign, token.swapcase(), token + "x", str(member.id), member.id, ""):
            ack = emit(host, event, {"room": "tuesday-circle", "token": wrong})
            assert ack == missing, (event, wrong)
        by_id = emit(host, event, {"room": "tuesday-circle", "user": member.id})
        assert by_id["ok"] is False and by_id["error"] == "invalid"
    assert received(knocker, "admitted") == [] and received(elsewhere, "admitted") == []
    assert emit(host, "admit", {"room": "tuesday-circle", "token": token})["ok"]
    assert emit(host, "admit", {"room": "tuesday-circle", "token": token}) == missing  # used


ROOM_TOOLS = {
    "slow_mode": lambda ctx: {"seconds": 10},
    "waiting_room": lambda ctx: {"on": True},
    "room_lock": lambda ctx: {},
    "room_unlock": lambda ctx: {},
    "pin": lambda ctx: {"message_id": ctx["message_id"]},
    "unpin": lambda ctx: {},
    "announce": lambda ctx: {"text": "Welcome, everyone"},
    "admit": lambda ctx: {"token": ctx["admit"]},
    "decline": lambda ctx: {"token": ctx["decline"]},
    "mute": lambda ctx: {"message_id": ctx["message_id"], "minutes": 5},
    "remove": lambda ctx: {"message_id": ctx["message_id"]},
    "room_close": lambda ctx: {},
    "room_open": lambda ctx: {},
    "end_meeting": lambda ctx: {},
}


@pytest.fixture
def anonymous_session(app, anonymous_room, moderator, make_user, screener):
    """In the anonymous room: a member inside with a message, two members knocking (the
    waiting room then turned off, so whoever joins next comes straight in)."""
    inside = make_user("circle-regular")
    inside_sock = connect(app, inside)
    assert emit(inside_sock, "join", {"room": ANON})["ok"]
    sent = emit(inside_sock, "send", {"room": ANON, "client_id": "m-1", "text": "Hi all"})
    room_controls.check_waiting_room(anonymous_room, True, acting_user=moderator)
    knockers = [make_user(name) for name in ("knocking-ash", "knocking-bay")]
    for user in knockers:
        assert emit(connect(app, user), "join", {"room": ANON})["waiting"]
    room_controls.check_waiting_room(anonymous_room, False, acting_user=moderator)
    return {"message_id": sent["message"]["id"],
            "admit": knock_token(anonymous_room, knockers[0]),
            "decline": knock_token(anonymous_room, knockers[1]),
            "people": [inside, *knockers], "inside": inside_sock}


def test_a_facilitator_cannot_host_an_anonymous_room(app, anonymous_session, facilitator):
    sock = Host(app, facilitator)
    joined = sock.emit("join", {"room": ANON})
    assert joined["ok"] and joined["facilitator"] is False
    assert "knocks" not in joined and "muted_until" in joined  # joined as a member
    for event, payload in ROOM_TOOLS.items():
        ack = sock.emit(event, {"room": ANON, **payload(anonymous_session)})
        assert ack["ok"] is False and ack["error"] == "forbidden" and ack["message"], event
    # Not among the hosts: a crisis alert and a knock go past them.
    emit(anonymous_session["inside"], "send", {"room": ANON, "client_id": "c-1",
                                               "text": "I can't go on [[hold:crisis]]"})
    assert sock.take("facilitator_alert") == []
    assert sock.take("knock") == []


def test_the_room_page_offers_a_facilitator_no_panel_in_an_anonymous_room(
        client, anonymous_room, facilitator, moderator):
    login(client, facilitator)
    html = client.get(f"/rooms/{ANON}").get_data(as_text=True)
    assert "chat-panel" not in html and "chat-host.js" not in html
    assert 'data-facilitator="false"' in html
    other = client.application.test_client()
    login(other, moderator)
    html = other.get(f"/rooms/{ANON}").get_data(as_text=True)
    assert 'class="chat-panel panel"' in html and "js/chat-host.js" in html


@pytest.mark.parametrize("persona", ["moderator", "trained_moderator", "admin"])
def test_a_moderator_hosts_an_anonymous_room_naming_no_one(request, app, anonymous_session,
                                                          persona):
    user = request.getfixturevalue(persona)
    host = Host(app, user)
    joined = host.emit("join", {"room": ANON})
    assert joined["ok"] and joined["facilitator"] is True
    assert [k["token"] for k in joined["knocks"]] == [anonymous_session["admit"],
                                                      anonymous_session["decline"]]
    assert {k["pseudonym"] for k in joined["knocks"]} == {"Anonymous member"}
    for event, payload in ROOM_TOOLS.items():
        ack = host.emit(event, {"room": ANON, **payload(anonymous_session)})
        assert ack["ok"] is True, (event, ack)
    ids = _ids(user, *anonymous_session["people"])
    assert account_ids_in(host.everything(), ids) == []


def test_an_anonymous_room_refuses_account_ids(app, anonymous_session, moderator):
    host = connect(app, moderator)
    assert emit(host, "join", {"room": ANON})["ok"]
    inside = anonymous_session["people"][0]
    for event, extra in (("mute", {"minutes": 5}), ("remove", {})):
        ack = emit(host, event, {"room": ANON, "user": inside.id, **extra})
        assert ack["ok"] is False and ack["error"] == "invalid"
        assert ack["message"] == ("In an anonymous room, choose the member by one of their "
                                  "messages.")
    assert received(anonymous_session["inside"], "muted") == []
    assert emit(host, "remove", {"room": ANON,
                                 "message_id": anonymous_session["message_id"]}) == {"ok": True}
    assert received(anonymous_session["inside"], "removed_from_room") == [{"room": ANON}]


def test_a_whole_anonymous_session_seen_by_its_hosts_names_no_account(
        app, anonymous_room, moderator, facilitator, make_user, screener):
    # Every event and ack a moderator host and a facilitator (a member here) get while
    # members knock, are let in or turned away, talk, disclose a crisis, are muted and removed.
    host, sitter = Host(app, moderator), Host(app, facilitator)
    assert host.emit("waiting_room", {"room": ANON, "on": True})["ok"]
    assert host.emit("join", {"room": ANON})["ok"]
    people = [make_user(name) for name in ("dawn-walker", "river-stone", "late-lark")]
    socks = [connect(app, u) for u in people]
    for sock in socks:
        assert emit(sock, "join", {"room": ANON})["waiting"]
    assert sitter.emit("join", {"room": ANON})["waiting"]
    knocks = host.take("knock")
    assert len(knocks) == 4
    for knock in knocks[:2] + knocks[3:]:
        assert host.emit("admit", {"room": ANON, "token": knock["token"]})["ok"]
    assert host.emit("decline", {"room": ANON, "token": knocks[2]["token"]})["ok"]
    for sock in (socks[0], socks[1]):
        assert emit(sock, "join", {"room": ANON})["ok"]
    assert sitter.emit("join", {"room": ANON})["ok"]
    said = emit(socks[0], "send", {"room": ANON, "client_id": "s-1", "text": "Rough day"})
    emit(socks[1], "send", {"room": ANON, "client_id": "s-2",
                            "text": "I took too much [[hold:overdose]]"})
    sitter.emit("send", {"room": ANON, "client_id": "s-3", "text": "I hear you"})
    alerts = host.take("facilitator_alert")
    assert [a["author"] for a in alerts] == ["Anonymous member"]
    assert host.emit("pin", {"room": ANON, "message_id": said["message"]["id"]})["ok"]
    assert host.emit("mute", {"room": ANON, "message_id": said["message"]["id"],
                              "minutes": 5})["ok"]
    assert host.emit("remove", {"room": ANON, "message_id": said["message"]["id"]})["ok"]
    assert host.emit("sync", {"room": ANON, "after_id": 0})["ok"]
    assert sitter.emit("sync", {"room": ANON, "after_id": 0})["ok"]
    assert host.emit("room_close", {"room": ANON})["ok"]
    ids = _ids(moderator, facilitator, *people)
    for seen in (host, sitter):
        everything = seen.everything()
        assert len(everything) > 10, "the scan saw almost nothing"
        assert account_ids_in(everything, ids) == []
