"""Catching a process's connections up from the database while the message queue is away."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from forum.extensions import db
from forum.models import ChatMessage
from forum.models.base import utcnow
from forum.models.chat import CHAT_HELD, CHAT_PUBLISHED, CHAT_REMOVED
from forum.realtime import catch_up
from forum.services.chat import messages as chat
from tests.fixtures import chat as chat_support
from tests.fixtures.chat import connect, emit, make_room, received

room = chat_support.room


def _stored(room, author, words: str, *, status=CHAT_PUBLISHED, ago_s: float = 0) -> int:
    """A message another process stored and published to a queue this process never heard."""
    message = ChatMessage(room_id=room.id, author_id=author.id, client_id=words[:60],
                          text=words, text_html=f"<p>{words}</p>", status=status,
                          created_at=utcnow() - timedelta(seconds=ago_s))
    db.session.add(message)
    db.session.commit()
    return message.id


def test_each_missed_message_reaches_the_rooms_here_once(app, room, member, second_member):
    quiet = make_room("quiet-room", "Quiet room")
    sock = connect(app, member)
    assert emit(sock, "join", {"room": room.slug})["ok"]
    received(sock, "message")
    since = utcnow() - timedelta(minutes=1)
    older = _stored(room, second_member, "From before the outage.", ago_s=120)
    missed = _stored(room, second_member, "Said on the other process.")
    _stored(room, second_member, "Waiting for a moderator.", status=CHAT_HELD)
    _stored(quiet, second_member, "Nobody here listens to this room.")
    catch_up.init_app(app)

    assert catch_up.catch_up(since) == 1
    heard = received(sock, "message")
    assert [m["id"] for m in heard] == [missed]
    assert heard[0]["author"] == "morning-cedar" and heard[0]["room"] == room.slug
    # The next round hands nothing twice, and never what came before the window.
    assert catch_up.catch_up(since) == 0
    assert received(sock, "message") == []
    assert older < missed
    sock.disconnect(namespace="/chat")


def test_with_no_connection_here_the_database_is_not_read(app, room, second_member,
                                                          monkeypatch):
    _stored(room, second_member, "Said while nobody here was connected.")
    catch_up.init_app(app)

    def unexpected(*_args, **_kwargs):
        raise AssertionError("read the database with no room to catch up")

    monkeypatch.setattr(catch_up.chat, "published_since", unexpected)
    assert catch_up.catch_up(utcnow() - timedelta(minutes=1)) == 0


def test_a_busy_room_is_caught_up_past_one_read(app, room, member, second_member):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": room.slug})["ok"]
    received(sock, "message")
    since = utcnow() - timedelta(minutes=1)
    missed = [_stored(room, second_member, f"Message number {n} of many.")
              for n in range(chat.SYNC_MAX + 5)]
    catch_up.init_app(app)
    assert catch_up.catch_up(since) == chat.SYNC_MAX
    assert catch_up.catch_up(since) == 5
    assert [m["id"] for m in received(sock, "message")] == missed
    sock.disconnect(namespace="/chat")


def test_a_message_removed_meanwhile_is_taken_back(app, room, member, second_member):
    sock = connect(app, member)
    assert emit(sock, "join", {"room": room.slug})["ok"]
    since = utcnow() - timedelta(minutes=1)
    said = _stored(room, second_member, "Something a moderator removes.")
    catch_up.init_app(app)
    assert catch_up.catch_up(since) == 1
    received(sock, "message")
    message = db.session.get(ChatMessage, said)
    message.status = CHAT_REMOVED
    db.session.commit()
    catch_up.catch_up(since)
    assert received(sock, "message_removed") == [{"id": said, "room": room.slug}]
    catch_up.catch_up(since)  # once
    assert received(sock, "message_removed") == []
    sock.disconnect(namespace="/chat")


def test_each_message_reaches_a_room_once_whichever_way_it_comes(app):
    catch_up.init_app(app)
    payload = {"id": 41, "room": "coffee-room"}
    audience = chat.room_audience(make_room())
    assert catch_up.claim("message", payload, "/chat", [audience])
    assert not catch_up.claim("message", payload, "/chat", [audience])
    # Removed, then published again by a moderator: it must reach the room again.
    assert catch_up.claim("message_removed", payload, "/chat", [audience])
    assert catch_up.claim("message", payload, "/chat", [audience])
    assert catch_up.claim("presence", {"count": 2}, "/chat", [audience])
    assert catch_up.claim("message", payload, "/mod", [audience])


def _wait(condition, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_catch_up_runs_from_a_failure_until_a_while_after_both_directions_work(
        app, monkeypatch, caplog):
    monkeypatch.setattr(catch_up, "POLL_S", 0.05)
    monkeypatch.setattr(catch_up, "GRACE_S", 0.3)
    catch_up.init_app(app)
    with caplog.at_level(logging.INFO, logger="forum.realtime"):
        catch_up.listen_failed()
        catch_up.publish_failed()
        assert catch_up.catching_up()
        catch_up.listen_ok()
        time.sleep(0.5)  # publishing still fails: it goes on
        assert catch_up.catching_up()
        catch_up.publish_ok()
        catch_up.listen_failed()  # a second flap in the grace period starts it again
        catch_up.listen_ok()
        assert _wait(lambda: not catch_up.catching_up())
        # Publishing failed, so what every room heard was published again once.
        assert [r.getMessage() for r in caplog.records if "republished" in r.getMessage()]
        # A publish-only failure ends too.
        catch_up.publish_failed()
        assert catch_up.catching_up()
        catch_up.publish_ok()
        assert _wait(lambda: not catch_up.catching_up())
    finished = [r for r in caplog.records if r.getMessage() == "message queue back: catch-up "
                "finished"]
    assert len(finished) == 2


def test_when_the_catch_up_ends_every_room_hears_its_count_again(app, monkeypatch):
    # Each process tells its rooms a count as soon as it wrote its presence back, perhaps
    # before another process had: at the end every process has, and the count is said again.
    monkeypatch.setattr(catch_up, "POLL_S", 0.05)
    monkeypatch.setattr(catch_up, "GRACE_S", 0.3)
    said = []
    monkeypatch.setattr(catch_up, "_restore_presence",
                        lambda: said.append(time.monotonic()) or True)
    catch_up.init_app(app)
    catch_up.listen_failed()
    catch_up.listen_ok()
    assert _wait(lambda: not catch_up.catching_up())
    assert len(said) == 2 and said[1] - said[0] >= 0.25, said
