"""A mute never unmasks an anonymous author: nothing a muting viewer sees of an anonymous post
(thread page, search, notifications, chat in anonymous rooms) depends on who wrote it, and the
mute list maps no pseudonym to an account id."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.models import Mute, Notification
from forum.services.accounts import mutes
from tests.conftest import csrf_from, page_text
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.threads import client_for, new_reply, new_thread

board = threads_support.board
screener = threads_support.screener

COLLAPSED = "A post by a member you muted"


def _thread_pages(app, thread_id, viewer, other):
    return (page_text(client_for(app, viewer).get(f"/t/{thread_id}")),
            page_text(client_for(app, other).get(f"/t/{thread_id}")))


def test_an_anonymous_reply_of_a_muted_member_is_not_collapsed(app, db, board, member,
                                                               second_member, make_user):
    bystander = make_user("bystander-wren")
    thread = new_thread(board, bystander).post.thread
    new_reply(thread, second_member, "Only under no name: the quiet kestrel", anonymous=True)
    mutes.check_mute(member, second_member.pseudonym)
    muter_page, other_page = _thread_pages(app, thread.id, member, bystander)
    assert COLLAPSED not in muter_page
    assert '<details class="collapsed-post">' not in muter_page
    assert "the quiet kestrel" in muter_page
    # The muting viewer's page shows the post exactly as anyone else's does.
    assert muter_page.count("Anonymous member") == other_page.count("Anonymous member")


def test_an_anonymous_thread_of_a_muted_member_is_not_collapsed(app, db, board, member,
                                                                second_member):
    thread = new_thread(board, second_member, title="Under no name",
                        body="The opening words of a marten", anonymous=True).post.thread
    mutes.check_mute(member, second_member.pseudonym)
    page = page_text(client_for(app, member).get(f"/t/{thread.id}"))
    assert COLLAPSED not in page and "opening words of a marten" in page


def test_named_posts_of_the_same_member_still_collapse(app, db, board, member, second_member):
    thread = new_thread(board, member).post.thread
    new_reply(thread, second_member, "Signed words", anonymous=False)
    new_reply(thread, second_member, "Unsigned words", anonymous=True)
    mutes.check_mute(member, second_member.pseudonym)
    page = page_text(client_for(app, member).get(f"/t/{thread.id}"))
    assert page.count(COLLAPSED) == 1


def test_search_does_not_collapse_anonymous_results(app, db, board, member, second_member):
    thread = new_thread(board, member).post.thread
    new_reply(thread, second_member, "Unsigned heron feathers", anonymous=True)
    new_reply(thread, second_member, "Signed heron feathers", anonymous=False)
    mutes.check_mute(member, second_member.pseudonym)
    page = page_text(client_for(app, member).get("/search?q=heron"))
    assert page.count("A post by a member you muted.") == 1
    assert "Unsigned <mark>heron</mark> feathers" in page


def _notified(db, user, post_id) -> bool:
    return db.session.scalar(select(Notification.id).where(
        Notification.user_id == user.id, Notification.post_id == post_id)) is not None


def test_a_muter_is_notified_of_an_anonymous_reply_as_anyone_would_be(app, db, board, member,
                                                                      second_member):
    thread = new_thread(board, member).post.thread
    mutes.check_mute(member, second_member.pseudonym)
    anonymous = new_reply(thread, second_member, "An unsigned reply", anonymous=True).post
    signed = new_reply(thread, second_member, "A signed reply").post
    assert _notified(db, member, anonymous.id)  # as it would be without the mute
    assert not _notified(db, member, signed.id)  # a named post follows the mute


def test_a_muter_is_notified_of_an_anonymous_mention(app, db, board, member, second_member,
                                                     make_user):
    thread = new_thread(board, make_user("third-voice")).post.thread
    mutes.check_mute(member, second_member.pseudonym)
    post = new_reply(thread, second_member, f"Thinking of you @{member.pseudonym}",
                     anonymous=True).post
    assert _notified(db, member, post.id)


def test_the_mute_list_names_pseudonyms_never_account_ids(app, db, member, second_member):
    mutes.check_mute(member, second_member.pseudonym)
    client = client_for(app, member)
    page = page_text(client.get("/account"))
    forms = re.findall(r'<form[^>]*action="[^"]*mutes[^"]*"[^>]*>.*?</form>', page, re.S)
    assert forms
    for form in forms:
        assert str(second_member.id) not in re.findall(r'action="([^"]*)"', form)[0]
    assert f'value="{second_member.pseudonym}"' in page
    response = client.post("/account/mutes/delete", data={
        "csrf_token": csrf_from(client, "/account"), "pseudonym": second_member.pseudonym})
    assert response.status_code == 302
    assert db.session.scalar(select(Mute.id).where(Mute.muter_id == member.id)) is None


def test_unmuting_an_unknown_or_unmuted_name_changes_nothing(app, db, member, second_member,
                                                             make_user):
    third = make_user("third-voice")
    mutes.check_mute(member, second_member.pseudonym)
    client = client_for(app, member)
    for name in ("nobody-by-this-name", third.pseudonym):
        response = client.post("/account/mutes/delete", data={
            "csrf_token": csrf_from(client, "/account"), "pseudonym": name})
        assert response.status_code == 302
    assert mutes.muted_ids(member) == frozenset({second_member.id})


def test_a_mute_changes_nothing_in_an_anonymous_room(app, member, second_member, make_user,
                                                     screener):
    """The muter and a member who muted nobody receive the same payloads, keyed alike."""
    third = make_user("third-voice")
    chat_support.make_room("anonymous-share", anonymous=True)
    mutes.check_mute(member, second_member.pseudonym)
    writer, muter, other = connect(app, second_member), connect(app, member), connect(app, third)
    joins = {}
    for name, sock in (("writer", writer), ("muter", muter), ("other", other)):
        joins[name] = emit(sock, "join", {"room": "anonymous-share"})
        sock.get_received("/chat")
    emit(writer, "send", {"room": "anonymous-share", "client_id": "m1", "text": "hello all"})
    seen_by_muter, seen_by_other = received(muter, "message"), received(other, "message")
    assert seen_by_muter == seen_by_other
    assert seen_by_muter and seen_by_muter[0]["author"] == "Anonymous member"
    assert "muted" not in seen_by_muter[0]
    # History on a later join is the same for both too.
    again_muter = emit(muter, "join", {"room": "anonymous-share"})
    again_other = emit(other, "join", {"room": "anonymous-share"})
    assert again_muter["history"] == again_other["history"]
