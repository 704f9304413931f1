"""Audience names and their reading back: a room's, a member's own, the room's hosts'."""

from __future__ import annotations

from forum.services.chat import facilitation as room_controls, messages as chat


def test_audience_names_read_back():
    assert chat.slug_of(chat.slug_audience("coffee-room")) == "coffee-room"
    assert chat.user_of(chat.user_audience(42)) == 42
    # Neither is the other, nor a host audience or a connection's own sid.
    for name in (chat.user_audience(42), room_controls.hosts_slug_audience("coffee-room"),
                 "pT1c9x0-room-q"):
        assert chat.slug_of(name) is None
    for name in (chat.slug_audience("coffee-room"), "user-", "user-²", "user-4x"):
        assert chat.user_of(name) is None
