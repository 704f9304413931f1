"""Staff badges: posts and chat messages written in a staff role say so beside the author;
an anonymous post or room never does, and the badge is the role held when writing."""

from __future__ import annotations

import re

from forum.models import ChatMessage, Post
from forum.services.accounts import roles
from forum.services.chat import messages as chat
from tests.conftest import page_text
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.threads import client_for, new_reply, new_thread

board = threads_support.board
screener = threads_support.screener
room = chat_support.room

BADGE = re.compile(r'<span class="post-author" id="p(\d+)-by">([^<]*) <span class="staff-badge">'
                   r'([^<]+)</span></span>')


def _badges(app, viewer, thread_id, headers=None) -> list[tuple[str, str]]:
    page = page_text(client_for(app, viewer).get(f"/t/{thread_id}", headers=headers or {}))
    assert page.count('class="staff-badge"') == len(BADGE.findall(page))
    return [(author, badge) for _id, author, badge in BADGE.findall(page)]


def test_staff_posts_carry_a_badge_and_members_posts_do_not(
        app, board, member, second_member, trained_moderator, admin, facilitator, screener):
    thread = new_thread(board, member).post.thread
    for author in (trained_moderator, admin, facilitator, second_member):
        new_reply(thread, author, body=f"Welcome, from {author.id}.")
    # On the boards a facilitator writes as a peer: the badge is for the rooms they host.
    assert _badges(app, second_member, thread.id) == [
        ("rowan-pine", "Moderator"), ("jo-meadow", "Admin")]
    assert _badges(app, member, thread.id, {"Accept-Language": "es-ES,es;q=0.9"}) == [
        ("rowan-pine", "Moderación"), ("jo-meadow", "Administración")]


def test_a_moderators_anonymous_post_carries_no_badge(
        app, db, board, member, trained_moderator, screener):
    thread = new_thread(board, member).post.thread
    reply = new_reply(thread, trained_moderator, anonymous=True).post
    opening = new_thread(board, trained_moderator, title="Hello", anonymous=True).post
    for post in (reply, opening):
        assert db.session.get(Post, post.id).author_badge is None
        for viewer in (member, trained_moderator):
            page = page_text(client_for(app, viewer).get(f"/t/{post.thread_id}"))
            assert "staff-badge" not in page


def test_the_badge_is_the_role_held_when_writing(app, board, member, second_member, screener):
    thread = new_thread(board, member).post.thread
    new_reply(thread, second_member, body="Before I was a moderator.")
    roles.check_grant_role(second_member, "moderator", acting_user=None)
    new_reply(thread, second_member, body="As a moderator.")
    roles.check_revoke_role(second_member, "moderator", acting_user=None)
    page = page_text(client_for(app, member).get(f"/t/{thread.id}"))
    assert BADGE.findall(page) == [(re.search(r'id="p(\d+)"[^>]*>\s*<header[^>]*>\s*'
                                              r'(?:<img class="avatar"[^>]*>\s*)?'
                                              r'<span class="post-author"[^>]*>morning-cedar <',
                                              page).group(1), "morning-cedar", "Moderator")]


def test_search_results_show_the_badge(app, board, member, trained_moderator, screener):
    thread = new_thread(board, member).post.thread
    new_reply(thread, trained_moderator, body="Lighthouse keepers welcome you.")
    page = page_text(client_for(app, member).get("/search?q=lighthouse"))
    assert 'rowan-pine <span class="staff-badge">Moderator</span>' in page


def test_chat_messages_carry_the_badge_of_the_role_spoken_in(
        app, db, room, member, trained_moderator, admin, facilitator, screener):
    sent = {who.pseudonym: chat.check_send(room, "Hello", f"c-{who.id}", acting_user=who)
            for who in (member, trained_moderator, admin, facilitator)}
    assert {name: r.to_dict(room)["badge"] for name, r in sent.items()} == {
        "steady-heron": None, "rowan-pine": "moderator", "jo-meadow": "admin",
        "sam-lantern": "facilitator"}
    assert [m["badge"] for m in chat.history(room, member)] == [
        None, "moderator", "admin", "facilitator"]
    stored = db.session.get(ChatMessage, sent["rowan-pine"].message.id)
    assert stored.author_badge == "moderator"


def test_no_badge_in_an_anonymous_room(app, db, member, trained_moderator, admin, screener):
    anon = chat_support.make_room("anonymous-share", anonymous=True)
    for who in (trained_moderator, admin):
        result = chat.check_send(anon, "Hello", f"c-{who.id}", acting_user=who)
        assert result.to_dict(anon)["badge"] is None
        assert db.session.get(ChatMessage, result.message.id).author_badge is None
    assert [m["badge"] for m in chat.history(anon, member)] == [None, None]


def test_the_room_hears_the_moderators_badge(app, room, member, trained_moderator, screener):
    listener, speaker = connect(app, member), connect(app, trained_moderator)
    for sock in (listener, speaker):
        assert emit(sock, "join", {"room": room.slug})["ok"]
        sock.get_received("/chat")
    ack = emit(speaker, "send", {"room": room.slug, "client_id": "m-1", "text": "Welcome all"})
    assert ack["ok"] and ack["message"]["badge"] == "moderator"
    [message] = received(listener, "message")
    assert message["author"] == "rowan-pine" and message["badge"] == "moderator"
    page = page_text(client_for(app, member).get(f"/rooms/{room.slug}"))
    assert 'data-badge-moderator="Moderator"' in page
    listener.disconnect("/chat")
    speaker.disconnect("/chat")
