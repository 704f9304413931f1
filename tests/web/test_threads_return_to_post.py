"""After replying, reacting, reporting, editing or deleting, a member is back on the thread page
that holds the post, scrolled to it; a script reacts without leaving the page; support
notifications are grouped per post and can be turned off."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from forum.models import Notification, Post, Reaction
from forum.services.threads import reactions
from tests.conftest import csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread, post_reply

board = threads_support.board
screener = threads_support.screener

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _long_thread(board, member, second_member, replies=24):
    """A thread of 1 + `replies` posts: with 24 replies, the second page holds posts 21-25."""
    opening = new_thread(board, member).post
    ids = [opening.id] + [new_reply(opening.thread, second_member, body=f"Reply number {n}")
                          .post.id for n in range(1, replies + 1)]
    return opening.thread, ids


def _path(response) -> str:
    return response.headers["Location"].removeprefix("http://localhost")


def test_a_reply_returns_to_its_page_with_the_conversation_around_it(
        app, db, board, member, second_member):
    thread, ids = _long_thread(board, member, second_member)
    client = client_for(app, member)
    response = post_reply(client, thread.id, "Thank you all, this helped.")
    assert response.status_code == 302
    new_id = db.session.scalar(select(func.max(Post.id)))
    # The second page (posts 21 on), not a page that starts with the new post.
    assert _path(response) == f"/t/{thread.id}?after={ids[19]}#p{new_id}"
    page = page_text(client.get(_path(response)))
    assert f'id="p{new_id}"' in page and "Thank you all, this helped." in page
    assert "Reply number 20" in page and "Reply number 24" in page
    assert "Reply number 19" not in page and "Earlier posts" in page
    # In a short thread the first page holds it.
    short = new_thread(board, second_member, title="Short one").post
    response = post_reply(client, short.thread_id, "Short and sweet.")
    newest = db.session.scalar(select(func.max(Post.id)))
    assert _path(response) == f"/t/{short.thread_id}#p{newest}"


def test_a_link_to_a_post_opens_the_page_that_holds_it(app, db, board, member, second_member):
    thread, ids = _long_thread(board, member, second_member)
    client = app.test_client()
    assert _path(client.get(f"/p/{ids[5]}")) == f"/t/{thread.id}#p{ids[5]}"
    assert _path(client.get(f"/p/{ids[22]}")) == f"/t/{thread.id}?after={ids[19]}#p{ids[22]}"


def test_reaction_report_edit_and_delete_return_to_the_post(app, db, board, member,
                                                             second_member):
    thread, ids = _long_thread(board, member, second_member)
    place = f"/t/{thread.id}?after={ids[19]}#p"
    reader = client_for(app, member)
    token = csrf_from(reader, f"/t/{thread.id}")
    reacted = reader.post(f"/p/{ids[21]}/react", data={"kind": "hug", "csrf_token": token})
    assert reacted.status_code == 303 and _path(reacted) == f"{place}{ids[21]}"
    token = csrf_from(reader, f"/p/{ids[22]}/report")
    reported = reader.post(f"/p/{ids[22]}/report",
                           data={"reason": "This looks like an advert.", "csrf_token": token})
    assert _path(reported) == f"{place}{ids[22]}"
    assert "A moderator will look at this post" in page_text(reader.get(_path(reported)))

    writer = client_for(app, second_member)
    token = csrf_from(writer, f"/p/{ids[23]}/edit")
    edited = writer.post(f"/p/{ids[23]}/edit",
                         data={"body": "Reply number 23, said better.", "csrf_token": token})
    assert _path(edited) == f"{place}{ids[23]}"
    deleted = writer.post(f"/p/{ids[24]}/delete", data={"csrf_token": token})
    # The post is gone: back to the one before it, on the same page.
    assert _path(deleted) == f"{place}{ids[23]}"


def test_every_post_on_the_page_has_its_anchor(app, db, board, member, second_member):
    thread, ids = _long_thread(board, member, second_member, replies=3)
    page = page_text(app.test_client().get(f"/t/{thread.id}"))
    for post_id in ids:
        assert re.search(rf'<article class="post[^"]*" id="p{post_id}"', page)


def _json_react(client, post_id, kind, token=None, headers=None, **data):
    sent = {"Accept": "application/json", **(headers or {})}
    if token:
        sent["X-CSRFToken"] = token
    return client.post(f"/p/{post_id}/react", data={"kind": kind, **data}, headers=sent)


def test_a_script_reacts_and_gets_the_count_and_pressed_state(app, db, board, member,
                                                              second_member, facilitator):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=facilitator)
    client = client_for(app, second_member)
    token = csrf_from(client, f"/t/{post.thread_id}")
    given = _json_react(client, post.id, "hug", token)
    assert given.status_code == 200 and given.is_json
    assert given.get_json() == {"ok": True, "post": post.id, "kind": "hug", "given": True,
                                "count": 2, "message": "Reaction sent: Hug."}
    back = _json_react(client, post.id, "hug", token, SPANISH)
    assert back.get_json()["given"] is False and back.get_json()["count"] == 1
    assert back.get_json()["message"] == "Reacción retirada: Abrazo."
    unknown = _json_react(client, post.id, "downvote", token)
    assert unknown.status_code == 400 and unknown.get_json()["ok"] is False
    assert db.session.scalar(select(func.count(Reaction.id))) == 1


def test_a_script_must_send_the_token_in_its_header(app, db, board, member, second_member):
    post = new_thread(board, member).post
    client = client_for(app, second_member)
    token = csrf_from(client, f"/t/{post.thread_id}")
    # The token in the body only (what a form on another site could send), or none at all.
    assert _json_react(client, post.id, "hug", csrf_token=token).status_code == 400
    assert _json_react(client, post.id, "hug").status_code == 400
    assert _json_react(client, post.id, "hug", "not-the-token").status_code == 400
    assert db.session.scalar(select(Reaction)) is None
    # A visitor's script gets nothing done, like the form.
    visitor = app.test_client()
    assert _json_react(visitor, post.id, "hug", token).status_code in (302, 400)
    assert db.session.scalar(select(Reaction)) is None


def test_the_script_is_loaded_on_the_thread_page_for_members_only(app, db, board, member,
                                                                   second_member):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "heart", acting_user=second_member)
    member_page = page_text(client_for(app, second_member).get(f"/t/{post.thread_id}"))
    assert "/static/js/thread.js" in member_page and 'id="reaction-status"' in member_page
    assert re.search(r'value="heart" class="reaction" aria-pressed="true"><img'
                     r' src="/static/icons/reactions.svg#heart" alt="Heart">', member_page)
    visitor_page = page_text(app.test_client().get(f"/t/{post.thread_id}"))
    assert "thread.js" not in visitor_page
    assert 'src="/static/icons/reactions.svg#heart" alt="Heart"' in visitor_page
    spanish = page_text(app.test_client().get(f"/t/{post.thread_id}", headers=SPANISH))
    assert 'alt="Corazón"' in spanish
    with app.test_client().get("/static/icons/reactions.svg") as icons:
        assert icons.status_code == 200 and icons.data.startswith(b"<svg")
        assert len(icons.data) < 2000
        for kind in reactions.KINDS:  # every kind has its view in the one file
            assert f'<view id="{kind}"'.encode() in icons.data


def _support_notices(db, user):
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "support")).all()


def test_support_is_one_notification_per_post_in_english_and_spanish(
        app, db, board, member, second_member, facilitator, make_user):
    post = new_thread(board, member, title="Ninety days").post
    for giver, kind in ((second_member, "hug"), (second_member, "heart"), (facilitator, "hug")):
        client = client_for(app, giver)
        token = csrf_from(client, f"/t/{post.thread_id}")
        client.post(f"/p/{post.id}/react", data={"kind": kind, "csrf_token": token})
    assert len(_support_notices(db, member)) == 1
    author = client_for(app, member)
    page = page_text(author.get("/notifications"))
    assert '2 people sent support to your post in "Ninety days"' in page
    assert second_member.pseudonym not in page and facilitator.pseudonym not in page
    assert "1 unread" in page
    spanish = page_text(author.get("/notifications", headers=SPANISH))
    assert "2 personas enviaron apoyo a tu mensaje en «Ninety days»" in spanish
    # Opening the thread reads it; one more person makes it new again, still one notice.
    author.get(f"/t/{post.thread_id}")
    reactions.check_toggle(post.id, "strength", acting_user=make_user("quiet-willow"))
    page = page_text(author.get("/notifications"))
    assert '3 people sent support to your post in "Ninety days"' in page and "1 unread" in page
    assert len(_support_notices(db, member)) == 1
    single = new_thread(board, member, title="Day one").post
    reactions.check_toggle(single.id, "heart", acting_user=second_member)
    assert '1 person sent support to your post in "Day one"' in page_text(
        author.get("/notifications"))


def test_own_reaction_sends_no_notification(app, db, board, member):
    post = new_thread(board, member).post
    client = client_for(app, member)
    token = csrf_from(client, f"/t/{post.thread_id}")
    assert _json_react(client, post.id, "heart", token).get_json()["given"] is True
    assert _support_notices(db, member) == []
    assert "unread" not in page_text(client.get("/notifications"))


def test_support_notifications_can_be_turned_off_in_the_account(app, db, board, member,
                                                                 second_member):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    client = client_for(app, member)
    account = page_text(client.get("/account"))
    assert re.search(r'<input [^>]*\bchecked id="support_notifications"', account)
    assert "Tell me when members send support to my posts" in account
    token = csrf_from(client, "/account")
    saved = client.post("/account/preferences",
                        data={"locale": "", "timezone": "UTC", "csrf_token": token})
    assert saved.status_code == 302
    db.session.refresh(member)
    assert member.support_notifications is False
    assert _support_notices(db, member) == []  # the unread one is cleared
    reactions.check_toggle(post.id, "heart", acting_user=second_member)
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    assert _support_notices(db, member) == []
    account = page_text(client.get("/account"))
    assert 'id="support_notifications"' in account
    assert not re.search(r'<input [^>]*\bchecked id="support_notifications"', account)
    client.post("/account/preferences", data={"locale": "", "timezone": "UTC",
                                              "support_notifications": "y", "csrf_token": token})
    db.session.refresh(member)
    assert member.support_notifications is True
