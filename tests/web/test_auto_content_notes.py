"""Crisis and overdose disclosures reach other members behind an automatic content note; the
writer reads their words plainly. A recent relapse is answered with a small, kind note, not
the crisis panel; a relapse shared to support someone is not answered or queued at all.

The real pipeline and rule files decide here (no scripted screener).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.models import Post, ReviewItem
from forum.services.accounts import account as accounts
from tests.conftest import page_text
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.threads import (
    client_for,
    new_reply,
    new_thread,
    post_reply,
    post_thread,
    thread_id_from,
)

board = threads_support.board
room = chat_support.room

CRISIS = "I want to die, I can't do this anymore."
NOTE = "This post talks about suicidal thoughts or self-harm. Open when you are ready."
FOLDED = re.compile(r'<details class="content-note auto-note"><summary>([^<]*)</summary>'
                    r'<div class="post-body">(.*?)</div></details>', re.S)


def _folded(page: str) -> list[tuple[str, str]]:
    return [(summary, body) for summary, body in FOLDED.findall(page)]


def test_a_reader_sees_the_crisis_post_behind_a_note(app, board, member, second_member):
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member, body=CRISIS)
    page = page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    ((summary, body),) = _folded(page)
    assert summary == NOTE and "I want to die" in body
    assert page.count("I want to die") == 1  # only inside the folded note


def test_the_writer_sees_their_own_post_plainly(app, board, member, second_member):
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member, body=CRISIS)
    page = page_text(client_for(app, member).get(f"/t/{thread.id}"))
    assert _folded(page) == [] and NOTE not in page
    assert re.search(r'<div class="post-body"><p>I want to die', page)


def test_a_note_the_writer_chose_wins(app, board, member, second_member):
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member, body=CRISIS, content_note="grief")
    page = page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    assert NOTE not in page and _folded(page) == []
    assert "Content note: Grief and loss. Show the post" in page


def test_moderators_read_it_folded_too(app, board, member, second_member, moderator):
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member, body=CRISIS)
    page = page_text(client_for(app, moderator).get(f"/t/{thread.id}"))
    assert [summary for summary, _ in _folded(page)] == [NOTE]


def test_the_note_is_in_the_readers_language(app, board, member, second_member):
    accounts.set_preferences(second_member, locale="es", timezone="UTC")
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member, body="my friend is not breathing, what do I do")
    page = page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    assert [summary for summary, _ in _folded(page)] == [
        "Esta publicación habla de una sobredosis o de una emergencia médica. Ábrela cuando te"
        " sientas con fuerzas."]


def test_the_note_is_stored_at_screening_and_follows_an_edit(app, db, board, member):
    client = client_for(app, member)
    response = post_thread(client, board, "Tonight", CRISIS)
    post = db.session.scalar(select(Post))
    assert post.auto_note == "suicidal-thoughts"
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      page_text(client.get(f"/p/{post.id}/edit"))).group(1)
    client.post(f"/p/{post.id}/edit", data={"title": "Tonight", "body": "Better now, thanks.",
                                            "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Post, post.id).auto_note is None
    assert thread_id_from(response)


def test_a_recent_relapse_gets_a_small_kind_note_not_the_crisis_panel(app, db, board, member):
    client = client_for(app, member)
    response = post_thread(client, board, "Rough one", "I used again last night.")
    page = page_text(client.get(response.headers["Location"]))
    assert 'class="notice support-note"' in page and "Thank you for being honest." in page
    assert "SAMHSA National Helpline" in page and "crisis-panel" not in page
    assert "If you are thinking about harming yourself" not in page
    item = db.session.scalar(select(ReviewItem))
    assert item.categories == ["relapse"] and item.priority == "low" and item.action == "flag"


def test_a_relapse_shared_to_support_someone_is_not_answered_or_queued(app, db, board, member,
                                                                       second_member):
    thread = new_thread(board, second_member, body="I drank again. Day one.").post.thread
    db.session.query(ReviewItem).delete()
    db.session.commit()
    client = client_for(app, member)
    response = post_reply(client, thread.id, "I slipped too, last month. You're not alone.")
    page = page_text(client.get(response.headers["Location"]))
    assert "support-note" not in page and "crisis-panel" not in page
    assert db.session.scalar(select(ReviewItem)) is None


def _room_people(app, room, member, second_member):
    socks = {"writer": connect(app, member), "reader": connect(app, second_member)}
    for sock in socks.values():
        assert emit(sock, "join", {"room": room.slug})["ok"]
        sock.get_received("/chat")
    return socks


def test_a_crisis_chat_message_carries_its_note(app, room, member, second_member):
    socks = _room_people(app, room, member, second_member)
    ack = emit(socks["writer"], "send", {"room": room.slug, "client_id": "c-1",
                                         "text": "honestly I just want to die"})
    assert ack["ok"] and ack["message"]["note"] == "suicidal-thoughts"
    (seen,) = received(socks["reader"], "message")
    assert seen["note"] == "suicidal-thoughts"
    (support,) = received(socks["writer"], "support")
    assert support["kind"] == "crisis"
    assert received(socks["reader"], "support") == []
    history = {name: emit(sock, "join", {"room": room.slug})["history"]
               for name, sock in socks.items()}
    assert history["reader"][-1]["note"] == "suicidal-thoughts"
    assert history["writer"][-1]["note"] is None  # the writer's own words, plainly


def test_a_relapse_in_chat_gets_a_gentle_note_and_no_content_note(app, room, member,
                                                                  second_member):
    socks = _room_people(app, room, member, second_member)
    ack = emit(socks["writer"], "send", {"room": room.slug, "client_id": "r-1",
                                         "text": "relapsed this morning"})
    assert ack["ok"] and ack["message"]["note"] is None
    (support,) = received(socks["writer"], "support")
    assert support["kind"] == "gentle" and support["message"].startswith("Thank you for being")
    assert "samhsa-helpline" in [r["id"] for r in support["resources"]]
    emit(socks["writer"], "send", {"room": room.slug, "client_id": "r-2",
                                   "text": "I slipped too, last month. You're not alone."})
    assert received(socks["writer"], "support") == []
