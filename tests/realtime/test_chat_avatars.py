"""Avatars in chat payloads over /chat: the author's own in a named room, the one neutral image
in an anonymous room, in acks, broadcasts and history alike, and never the author's token."""

from __future__ import annotations

import json

from forum.services.accounts import avatars
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received

room = chat_support.room
screener = threads_support.screener


def _avatar(user) -> str:
    return avatars.path(avatars.token_for(user.id, user.pseudonym))


def test_a_named_room_carries_each_authors_avatar(app, room, member, second_member, screener):
    sender, listener = connect(app, member), connect(app, second_member)
    for sock in (sender, listener):
        assert emit(sock, "join", {"room": room.slug})["ok"]
    ack = emit(sender, "send", {"room": room.slug, "client_id": "a1", "text": "Morning all"})
    assert ack["ok"] and ack["message"]["avatar"] == _avatar(member)
    assert [m["avatar"] for m in received(listener, "message")] == [_avatar(member)]
    emit(listener, "send", {"room": room.slug, "client_id": "b1", "text": "Morning!"})
    late = connect(app, member)
    history = emit(late, "join", {"room": room.slug})["history"]
    assert [m["avatar"] for m in history] == [_avatar(member), _avatar(second_member)]
    assert [m["avatar"] for m in emit(late, "sync", {"room": room.slug, "after_id": 0})
            ["messages"]] == [_avatar(member), _avatar(second_member)]


def test_an_anonymous_room_carries_only_the_neutral_image(app, member, second_member, screener):
    quiet = chat_support.make_room("quiet-corner", "Quiet corner", anonymous=True)
    sender, listener = connect(app, member), connect(app, second_member)
    for sock in (sender, listener):
        assert emit(sock, "join", {"room": quiet.slug})["ok"]
    neutral = avatars.path(avatars.NEUTRAL)
    ack = emit(sender, "send", {"room": quiet.slug, "client_id": "a1", "text": "Hard day"})
    assert ack["message"]["avatar"] == neutral  # not even the sender's own
    emit(listener, "send", {"room": quiet.slug, "client_id": "b1", "text": "Here with you"})
    got = received(listener, "message") + received(sender, "message")
    assert {m["avatar"] for m in got} == {neutral}
    history = emit(connect(app, member), "join", {"room": quiet.slug})["history"]
    assert [m["avatar"] for m in history] == [neutral, neutral]
    everything = json.dumps([ack, got, history])
    for user in (member, second_member):
        assert avatars.token_for(user.id, user.pseudonym) not in everything
        assert user.pseudonym not in everything
