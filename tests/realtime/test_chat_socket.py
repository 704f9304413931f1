"""The /chat namespace (DESIGN.md 3.4): join, send, leave, sync, presence, support, errors."""

from __future__ import annotations

import json
import logging

import pytest

from forum.extensions import socketio
from forum.models import ChatMessage
from forum.services import review_queue
from forum.services.chat import messages as chat
from forum.services.review import sanctions
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received

room = chat_support.room
screener = threads_support.screener


@pytest.fixture
def people(app, room, member, second_member, make_user):
    """Member and second member in the room, an outsider connected but not in it."""
    outsider = make_user("quiet-willow")
    socks = {"sender": connect(app, member), "other": connect(app, second_member),
             "outsider": connect(app, outsider)}
    for name in ("sender", "other"):
        assert emit(socks[name], "join", {"room": room.slug})["ok"]
    for sock in socks.values():
        sock.get_received("/chat")
    return socks


def test_refused_without_a_session(app, room):
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=app.test_client())
    assert not sock.is_connected("/chat")
    assert not connect(app).is_connected("/chat")


def test_join_returns_history_and_presence(app, room, member, second_member, screener):
    first = connect(app, member)
    ack = emit(first, "join", {"room": "coffee-room"})
    assert ack == {"ok": True, "room": "coffee-room", "history": [], "presence": 1,
                   "pinned": None, "facilitator": False, "muted_until": None,
                   "controls": {"room": "coffee-room", "open": True, "locked": False,
                                "waiting_room": False, "slow_mode": 0}}
    assert emit(first, "send", {"room": "coffee-room", "client_id": "a", "text": "Hi"})["ok"]
    first.get_received("/chat")
    second = connect(app, second_member)
    ack = emit(second, "join", {"room": "coffee-room"})
    assert ack["presence"] == 2
    assert [m["client_id"] for m in ack["history"]] == ["a"]
    assert received(first, "presence") == [{"room": "coffee-room", "count": 2}]
    assert emit(second, "leave", {"room": "coffee-room"}) == {"ok": True}
    assert received(first, "presence") == [{"room": "coffee-room", "count": 1}]
    second.disconnect("/chat")
    first.disconnect("/chat")


def test_disconnect_updates_presence(people):
    people["other"].disconnect("/chat")
    assert received(people["sender"], "presence") == [{"room": "coffee-room", "count": 1}]


def test_a_connection_that_closes_while_it_joins_is_not_left_counted(
        app, room, member, second_member, screener, monkeypatch):
    # The close's disconnect handler can run on its own thread before the join counts the
    # connection in; the join sees the connection gone and counts it out again.
    from forum.services import presence

    staying = connect(app, second_member)
    assert emit(staying, "join", {"room": room.slug})["presence"] == 1
    leaving = connect(app, member)
    real_join = presence.join

    def closed_first(audience, sid):
        monkeypatch.setattr(presence, "join", real_join)
        leaving.disconnect("/chat")
        return real_join(audience, sid)

    monkeypatch.setattr(presence, "join", closed_first)
    leaving.emit("join", {"room": room.slug}, namespace="/chat")
    assert presence.count(chat.room_audience(room)) == 1
    assert emit(staying, "leave", {"room": room.slug}) == {"ok": True}
    assert presence.count(chat.room_audience(room)) == 0


def test_a_disconnect_counts_out_even_when_the_account_cannot_be_loaded(
        app, room, member, second_member, screener, monkeypatch):
    # A burst of reconnects can wait out the database pool: the disconnect handler counts the
    # connection out before anything that needs the database.
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from forum.extensions import login_manager
    from forum.services import presence

    staying = connect(app, second_member)
    assert emit(staying, "join", {"room": room.slug})["ok"]
    leaving = connect(app, member)
    assert emit(leaving, "join", {"room": room.slug})["presence"] == 2

    def pool_exhausted(_session_id):
        raise PoolTimeout("QueuePool limit reached")

    monkeypatch.setattr(login_manager, "_user_callback", pool_exhausted)
    leaving.disconnect("/chat")
    assert presence.count(chat.room_audience(room)) == 1


def test_published_message_reaches_the_room_only(people, screener):
    ack = emit(people["sender"], "send",
               {"room": "coffee-room", "client_id": "c-1", "text": "Morning all"})
    assert ack["ok"] and ack["state"] == "published"
    assert ack["message"]["author"] == "steady-heron"
    for name in ("sender", "other"):
        got = received(people[name], "message")
        assert [m["id"] for m in got] == [ack["message"]["id"]]
        assert set(got[0]) >= {"id", "room", "author", "text_html", "created_at", "client_id"}
    assert people["outsider"].get_received("/chat") == []


def test_flagged_message_is_published(people, screener):
    ack = emit(people["sender"], "send",
               {"room": "coffee-room", "client_id": "c-1", "text": "hey [[flag:spam]]"})
    assert ack["state"] == "published"
    assert len(received(people["other"], "message")) == 1


def test_held_message_reaches_nobody_until_approved(people, moderator, screener):
    ack = emit(people["sender"], "send",
               {"room": "coffee-room", "client_id": "c-1", "text": "call me [[hold:pii]]"})
    assert ack["ok"] and ack["state"] == "held" and ack["message"]["state"] == "held"
    for sock in people.values():
        assert received(sock, "message") == []
    item = review_queue.item_for("chat", ack["message"]["id"])
    review_queue.do_approve(item, acting_user=moderator)
    for name in ("sender", "other"):
        assert [m["id"] for m in received(people[name], "message")] == [ack["message"]["id"]]
    assert people["outsider"].get_received("/chat") == []


def test_blocked_message_gets_an_error_ack_with_the_text(people, screener):
    text = "awful [[block:harassment]]"
    ack = emit(people["sender"], "send", {"room": "coffee-room", "client_id": "c-1",
                                          "text": text})
    assert ack == {"ok": False, "error": "rejected",
                   "message": "Scripted block message for harassment.", "text": text}
    assert received(people["other"], "message") == []


def test_crisis_support_goes_to_the_sender_only(people, member, app, screener):
    second_tab = connect(app, member)  # the sender's other tab gets it too
    second_tab.get_received("/chat")
    ack = emit(people["sender"], "send", {"room": "coffee-room", "client_id": "c-1",
                                          "text": "I want to end it [[hold:crisis]]"})
    assert ack["state"] == "held"
    for sock in (people["sender"], second_tab):
        support = received(sock, "support")
        assert len(support) == 1
        assert [r["id"] for r in support[0]["resources"]] == ["988-lifeline"]
        assert support[0]["message"]
    for name in ("other", "outsider"):
        assert people[name].get_received("/chat") == []


def test_resend_with_the_same_client_id_stores_one(people, screener):
    data = {"room": "coffee-room", "client_id": "same", "text": "Hello"}
    first = emit(people["sender"], "send", data)
    again = emit(people["sender"], "send", data)
    assert again["ok"] and again["message"]["id"] == first["message"]["id"]
    # The same message is broadcast again (its first broadcast may not have left); the page
    # shows each id once.
    heard = received(people["other"], "message")
    assert {m["id"] for m in heard} == {first["message"]["id"]} and heard[0] == heard[-1]
    assert len(screener) == 1


def test_sync_after_reconnect_without_loss_or_duplicates(app, people, member, screener):
    first = emit(people["sender"], "send", {"room": "coffee-room", "client_id": "1",
                                            "text": "one"})
    people["other"].disconnect("/chat")
    sent = [emit(people["sender"], "send", {"room": "coffee-room", "client_id": str(i),
                                             "text": f"n{i}"})["message"]["id"]
            for i in range(2, 5)]
    back = connect(app, member)
    ack = emit(back, "join", {"room": "coffee-room"})
    assert ack["ok"]
    ack = emit(back, "sync", {"room": "coffee-room", "after_id": first["message"]["id"]})
    assert [m["id"] for m in ack["messages"]] == sent
    # Resending an unacknowledged message after the reconnect stores nothing new.
    again = emit(back, "send", {"room": "coffee-room", "client_id": "4", "text": "n4"})
    assert again["message"]["id"] == sent[-1]
    ack = emit(back, "sync", {"room": "coffee-room", "after_id": first["message"]["id"]})
    assert [m["id"] for m in ack["messages"]] == sent


@pytest.mark.parametrize("event,data,code", [
    ("join", None, "invalid"),
    ("join", "coffee-room", "invalid"),
    ("join", {}, "invalid"),
    ("join", {"room": 5}, "not_found"),
    ("join", {"room": "no-such-room"}, "not_found"),
    ("leave", {"room": "no-such-room"}, "not_found"),
    ("leave", [1, 2], "invalid"),
    ("send", None, "invalid"),
    ("send", {"room": "coffee-room", "text": "hi"}, "invalid"),
    ("send", {"room": "coffee-room", "client_id": "x", "text": 12}, "invalid"),
    ("send", {"room": "coffee-room", "client_id": "x", "text": ""}, "invalid"),
    ("send", {"room": "coffee-room", "client_id": "x", "text": "x" * 2001}, "invalid"),
    ("send", {"room": "coffee-room", "client_id": {"a": 1}, "text": "hi"}, "invalid"),
    ("send", {"room": "nowhere", "client_id": "x", "text": "hi"}, "not_found"),
    ("sync", {"room": "coffee-room"}, "invalid"),
    ("sync", {"room": "coffee-room", "after_id": "7"}, "invalid"),
    ("delete", {"id": "7"}, "not_found"),
    ("delete", 3, "invalid"),
])
def test_malformed_events_get_error_acks(app, room, member, screener, event, data, code):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    ack = emit(sock, event, data)
    assert ack["ok"] is False and ack["error"] == code and ack["message"]
    assert set(ack) == {"ok", "error", "message", "text"}
    original = data.get("text") if isinstance(data, dict) else None
    assert ack["text"] == (original[:chat.TEXT_MAX] if isinstance(original, str) else None)


@pytest.mark.parametrize("event,data", [
    ("send", {"room": "coffee-room", "client_id": "x", "text": "hi"}),
    ("sync", {"room": "coffee-room", "after_id": 0}),
    ("leave", {"room": "coffee-room"}),
])
def test_events_for_a_room_not_joined(app, room, member, screener, event, data):
    sock = connect(app, member)
    ack = emit(sock, event, data)
    assert ack["ok"] is False and ack["error"] == "not_joined"


def test_muted_member_cannot_send(app, room, member, moderator, screener):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    ack = emit(sock, "send", {"room": "coffee-room", "client_id": "x", "text": "hi"})
    assert ack["ok"] is False and ack["error"] == "forbidden" and ack["text"] == "hi"


def test_a_mute_stops_sending_until_it_ends(app, room, member, moderator, screener,
                                            monkeypatch):
    # The account's mutes are read with the account on each event (auth_loader); the clock,
    # not the query, decides whether one is still in force.
    from datetime import timedelta

    from forum.services import clock

    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    ack = emit(sock, "send", {"room": "coffee-room", "client_id": "x1", "text": "hi"})
    assert ack["error"] == "forbidden"
    later = clock.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert emit(sock, "send", {"room": "coffee-room", "client_id": "x2", "text": "hi"})["ok"]


def test_an_overturned_mute_no_longer_stops_sending(app, room, member, moderator,
                                                    trained_moderator, screener):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    strike = sanctions.check_sanction(member, "mute", "Please take a day.",
                                      acting_user=moderator, days=1)
    assert emit(sock, "send", {"room": "coffee-room", "client_id": "x1", "text": "hi"})[
        "error"] == "forbidden"
    appeal = sanctions.check_appeal(strike.id, "I was sharing my own story.", acting_user=member)
    sanctions.check_decide_appeal(appeal.id, True, "Relapse talk is welcome here.",
                                  acting_user=trained_moderator)
    assert emit(sock, "send", {"room": "coffee-room", "client_id": "x2", "text": "hi"})["ok"]


def test_suspended_member_cannot_join_or_send(app, room, member, db, screener):
    from datetime import timedelta

    from forum.models.base import utcnow

    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    member.suspended_until = utcnow() + timedelta(days=2)
    db.session.commit()
    ack = emit(sock, "send", {"room": "coffee-room", "client_id": "x", "text": "hi"})
    assert ack["error"] == "forbidden"
    assert emit(sock, "join", {"room": "coffee-room"})["error"] == "forbidden"


def test_anonymous_room_shows_anonymous_member(app, member, second_member, screener):
    chat_support.make_room("anonymous-share", anonymous=True)
    a, b = connect(app, member), connect(app, second_member)
    for sock in (a, b):
        emit(sock, "join", {"room": "anonymous-share"})
        sock.get_received("/chat")
    ack = emit(a, "send", {"room": "anonymous-share", "client_id": "x", "text": "hi"})
    assert ack["message"]["author"] == "Anonymous member"
    assert received(b, "message")[0]["author"] == "Anonymous member"


@pytest.mark.parametrize(("data", "shown"), [
    ({"room": "coffee-room", "client_id": "s-1", "text": "hi \ud800 there"}, "hi \ufffd there"),
    ({"room": "coffee-room", "client_id": "s-\udfff", "text": "hi"}, "hi"),
    ({"room": "coffee-\ud83d", "client_id": "s-1", "text": "\ud83d"}, "\ufffd"),
])
def test_a_lone_surrogate_is_refused_before_any_query(app, db, room, member, screener, caplog,
                                                       data, shown):
    """JSON can carry half an emoji ("\\ud800"), which no database can store: a plain refusal
    with the text back (made sendable), not a server error with a traceback."""
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    screener.clear()
    with caplog.at_level(logging.INFO):
        ack = emit(sock, "send", data)
    assert ack == {"ok": False, "error": "invalid", "text": shown, "message": ack["message"]}
    assert "character" in ack["message"]
    json.dumps(ack, ensure_ascii=False).encode("utf-8")  # the ack itself is encodable
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert screener == [] and db.session.query(ChatMessage).count() == 0
    assert emit(sock, "send", {"room": "coffee-room", "client_id": "s-2", "text": "hi"})["ok"]


@pytest.mark.parametrize("data", [
    {"room": "coffee-room", "client_id": "big", "text": "word " * 10_000},
    {"room": "coffee-room", "text": "word " * 10_000},  # malformed as well
])
def test_a_refusal_sends_back_at_most_a_message(app, room, member, screener, data):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": "coffee-room"})["ok"]
    ack = emit(sock, "send", data)
    assert ack["ok"] is False and ack["error"] == "invalid"
    assert ack["text"] == data["text"][:chat.TEXT_MAX]
