"""Catching a process's connections up from the database while the message queue is away."""

from __future__ import annotations

from datetime import timedelta

from forum.extensions import db
from forum.models import ChatMessage
from forum.models.base import utcnow
from forum.models.chat import CHAT_HELD, CHAT_PUBLISHED
from forum.realtime import catch_up
from tests import chat_support
from tests.chat_support import connect, emit, make_room, received

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

    def unexpected(*_args):
        raise AssertionError("read the database with no room to catch up")

    monkeypatch.setattr(catch_up.chat, "published_since", unexpected)
    assert catch_up.catch_up(utcnow() - timedelta(minutes=1)) == 0
