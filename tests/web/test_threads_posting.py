"""Posting threads and replies: every text screened once and the verdict applied."""

from __future__ import annotations

from sqlalchemy import select

from forum.models import Post, ReviewItem, Thread
from forum.services import review_queue
from forum.services.accounts import standing
from tests.conftest import csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_thread, post_reply, post_thread, thread_id_from

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def _only_thread(db) -> Thread:
    return db.session.scalars(select(Thread)).one()


def test_allow_publishes_and_screens_title_and_body_once_each(app, db, board, member,
                                                              second_member, screener):
    client = client_for(app, member)
    response = post_thread(client, board, "Day three", "Still here, still trying.")
    assert response.status_code == 302
    thread_id = thread_id_from(response)
    assert ("Day three", "title") in screener and ("Still here, still trying.", "post") in screener
    assert len(screener) == 2
    other = client_for(app, second_member)
    page = page_text(other.get(f"/t/{thread_id}"))
    assert "Still here, still trying." in page and "steady-heron" in page
    assert db.session.scalar(select(ReviewItem)) is None
    board_page = page_text(app.test_client().get(f"/c/{board.slug}"))
    assert "Day three" in board_page


def test_flag_publishes_and_queues(app, db, board, member, second_member, screener):
    client = client_for(app, member)
    response = post_thread(client, board, "Rough night", "It was hard [[flag:relapse]]")
    thread_id = thread_id_from(response)
    assert "It was hard" in page_text(client_for(app, second_member).get(f"/t/{thread_id}"))
    item = db.session.scalar(select(ReviewItem))
    assert item.content_kind == "post" and item.status == "open"
    assert item.action == "flag" and item.categories == ["relapse"] and item.sources == ["pipeline"]


def test_hold_is_shown_to_author_and_moderators_only(app, db, board, member, second_member,
                                                     moderator, screener):
    client = client_for(app, member)
    response = post_thread(client, board, "Something", "Held words [[hold:spam]]")
    assert response.status_code == 302
    thread_id = thread_id_from(response)
    mine = page_text(client.get(f"/t/{thread_id}"))
    assert "Held words" in mine
    assert "Waiting for a moderator" in mine
    assert "Scripted hold message for spam." in mine
    assert client_for(app, second_member).get(f"/t/{thread_id}").status_code == 404
    assert app.test_client().get(f"/t/{thread_id}").status_code == 404
    assert "Something" not in page_text(app.test_client().get(f"/c/{board.slug}"))
    assert "Something" in page_text(client.get(f"/c/{board.slug}"))  # "waiting" list
    mod_page = page_text(client_for(app, moderator).get(f"/t/{thread_id}"))
    assert "Held words" in mod_page
    assert "Scripted hold message" not in mod_page  # the supportive message is the author's
    # A moderator approves it: now everyone sees it.
    item = db.session.scalar(select(ReviewItem))
    assert item.action == "hold"
    review_queue.do_approve(item, acting_user=moderator)
    assert "Held words" in page_text(client_for(app, second_member).get(f"/t/{thread_id}"))
    assert "Something" in page_text(app.test_client().get(f"/c/{board.slug}"))


def test_held_reply_hidden_then_removed(app, db, board, member, second_member, moderator,
                                        screener):
    thread = new_thread(board, member).post.thread
    author = client_for(app, second_member)
    response = post_reply(author, thread.id, "A held reply [[hold:sourcing]]")
    assert response.status_code == 302
    assert "A held reply" in page_text(author.get(f"/t/{thread.id}"))
    assert "A held reply" not in page_text(client_for(app, member).get(f"/t/{thread.id}"))
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 0
    item = db.session.scalar(select(ReviewItem))
    review_queue.do_remove(item, "sourcing", acting_user=moderator)
    page = page_text(author.get(f"/t/{thread.id}"))
    assert "Removed by a moderator" in page
    assert "A held reply" not in page_text(client_for(app, member).get(f"/t/{thread.id}"))


def test_blocked_reply_rerenders_the_form_with_the_text(app, db, board, member, second_member,
                                                        screener):
    thread = new_thread(board, member).post.thread
    client = client_for(app, second_member)
    text = "My carefully written reply [[block:harassment]]"
    response = post_reply(client, thread.id, text)
    assert response.status_code == 400
    page = page_text(response)
    assert text in page  # the textarea keeps the text
    assert "Scripted block message for harassment." in page
    assert db.session.scalar(select(Post).where(Post.body_md == text)) is None


def test_blocked_title_rerenders_new_thread_form(app, db, board, member, screener):
    client = client_for(app, member)
    response = post_thread(client, board, "Bad title [[block:hate]]", "Body kept here")
    assert response.status_code == 400
    page = page_text(response)
    assert "Body kept here" in page and "Bad title [[block:hate]]" in page
    assert db.session.scalar(select(Thread)) is None


def test_strictest_of_title_and_body_wins(app, db, board, member, second_member, screener):
    client = client_for(app, member)
    response = post_thread(client, board, "Title [[hold:spam]]", "Body [[flag:relapse]]")
    thread_id = thread_id_from(response)
    assert client_for(app, second_member).get(f"/t/{thread_id}").status_code == 404
    item = db.session.scalar(select(ReviewItem))
    assert item.action == "hold" and item.categories == ["relapse", "spam"]


def test_crisis_post_shows_calm_resources_panel_once(app, db, board, member):
    """The real pipeline and rule files: a crisis disclosure is published with resources."""
    client = client_for(app, member)
    response = post_thread(client, board, "Tonight", "I want to die, I can't do this anymore.")
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert 'class="panel support"' in page
    assert "988" in page
    assert 'role="dialog"' not in page and "modal" not in page
    again = page_text(client.get(response.headers["Location"]))
    assert 'class="panel support"' not in again  # shown right after posting, not forever
    item = db.session.scalar(select(ReviewItem))
    assert item is not None and "crisis" in item.categories and item.priority == "urgent"


def test_pii_hold_nudges_first_then_posts_into_review(app, db, board, member, second_member):
    """The real pipeline: a phone number is held for pii; the author is asked first."""
    client = client_for(app, member)
    body = "Call me any time on 415-555-0132 if you need to talk."
    response = post_thread(client, board, "Reach out", body)
    assert response.status_code == 200
    page = page_text(response)
    assert "Before you post" in page and body in page
    assert "Post anyway" in page
    assert db.session.scalar(select(Thread)) is None
    response = post_thread(client, board, "Reach out", body, confirm_hold="yes")
    assert response.status_code == 302
    thread_id = thread_id_from(response)
    assert "Waiting for a moderator" in page_text(client.get(f"/t/{thread_id}"))
    assert client_for(app, second_member).get(f"/t/{thread_id}").status_code == 404
    assert db.session.scalar(select(ReviewItem)).categories == ["pii"]


def test_edit_is_screened_again_and_a_hold_hides_the_post(app, db, board, member,
                                                         second_member, moderator, screener):
    thread = new_thread(board, member, body="First version").post.thread
    post = db.session.scalar(select(Post))
    client = client_for(app, member)
    token = csrf_from(client, f"/p/{post.id}/edit")
    screener.clear()
    response = client.post(f"/p/{post.id}/edit", data={
        "title": thread.title, "body": "Second version [[hold:spam]]", "csrf_token": token})
    assert response.status_code == 302
    assert screener == [("Second version [[hold:spam]]", "post")]  # title unchanged: not again
    other = client_for(app, second_member)
    assert other.get(f"/t/{thread.id}").status_code == 404
    assert "Second version" in page_text(client.get(f"/t/{thread.id}"))
    # Moderators see the edit history.
    mod = client_for(app, moderator)
    history = page_text(mod.get(f"/p/{post.id}/history"))
    assert "First version" in history and "Second version" in history
    assert other.get(f"/p/{post.id}/history").status_code == 404


def test_blocked_edit_changes_nothing(app, db, board, member, second_member, screener):
    thread = new_thread(board, member, body="Kind words").post.thread
    post = db.session.scalar(select(Post))
    client = client_for(app, member)
    token = csrf_from(client, f"/p/{post.id}/edit")
    response = client.post(f"/p/{post.id}/edit", data={
        "title": thread.title, "body": "Nasty [[block:harassment]]", "csrf_token": token})
    assert response.status_code == 400
    assert "Nasty [[block:harassment]]" in page_text(response)
    assert "Kind words" in page_text(client_for(app, second_member).get(f"/t/{thread.id}"))


def test_edit_title_is_screened_with_the_title_scope(app, db, board, member, screener):
    new_thread(board, member)
    post = db.session.scalar(select(Post))
    client = client_for(app, member)
    token = csrf_from(client, f"/p/{post.id}/edit")
    screener.clear()
    client.post(f"/p/{post.id}/edit", data={"title": "A new title", "body": post.body_md,
                                             "csrf_token": token})
    assert sorted(scope for _text, scope in screener) == ["post", "title"]
    db.session.expire_all()
    assert db.session.scalar(select(Thread)).title == "A new title"


def test_only_the_author_can_edit_or_delete(app, db, board, member, second_member, moderator):
    new_thread(board, member)
    post = db.session.scalar(select(Post))
    for user in (second_member, moderator):
        client = client_for(app, user)
        assert client.get(f"/p/{post.id}/edit").status_code == 404
        token = csrf_from(client, "/")
        assert client.post(f"/p/{post.id}/delete", data={"csrf_token": token}).status_code == 404


def test_delete_hides_but_moderators_still_see(app, db, board, member, second_member,
                                               moderator):
    thread = new_thread(board, member).post.thread
    client = client_for(app, second_member)
    post_reply(client, thread.id, "I regret saying this")
    reply = db.session.scalar(select(Post).where(Post.is_opening.is_(False)))
    token = csrf_from(client, f"/t/{thread.id}")
    assert client.post(f"/p/{reply.id}/delete", data={"csrf_token": token}).status_code == 302
    assert "I regret saying this" not in page_text(client.get(f"/t/{thread.id}"))
    mod_page = page_text(client_for(app, moderator).get(f"/t/{thread.id}"))
    assert "I regret saying this" in mod_page and "Deleted by its author" in mod_page
    db.session.expire_all()
    assert db.session.get(Post, reply.id).body_md == "I regret saying this"
    assert db.session.get(Thread, thread.id).reply_count == 0


def test_suspended_member_cannot_post(app, db, board, member, suspended):
    from forum.errors import PermissionDenied

    assert standing.can_write(member) and not standing.can_write(suspended)
    try:
        new_thread(board, suspended)
    except PermissionDenied:
        pass
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a suspended member posted")


def test_posting_needs_login(app, board):
    client = app.test_client()
    assert client.get(f"/c/{board.slug}/new").status_code == 302


def test_posting_is_rate_limited_per_account(app_config, make_user):
    from forum import create_app

    app_config["POSTING_RATE_LIMIT"] = "2 per minute"
    application = create_app(app_config)
    with application.app_context():
        from forum.services.threads import boards

        admin = make_user("limit-jo", roles_=("admin",))
        the_board = boards.check_save_board(None, slug="limits", name="Limits", description="",
                                            position=0, content_note=None, acting_user=admin)
        client = client_for(application, admin)
        codes = [post_thread(client, the_board, f"Title {i}", "Body text").status_code
                 for i in range(3)]
        assert codes == [302, 302, 429]
