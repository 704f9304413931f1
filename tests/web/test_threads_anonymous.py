"""Anonymous posting: the pseudonym appears nowhere a non-moderator can see; reveals audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from forum.models import AuditEvent, Post
from forum.services.accounts import mutes
from tests.conftest import csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import (
    client_for,
    new_reply,
    new_thread,
    post_reply,
    post_thread,
    thread_id_from,
)

SECRET_WORD = "lighthouse"

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


@pytest.fixture
def anonymous_thread(app, db, board, member, second_member):
    """member starts an anonymous thread, mentions second_member and gets an anonymous reply."""
    client = client_for(app, member)
    response = post_thread(
        client, board, f"Anonymous {SECRET_WORD} thread",
        f"Something I can only say without my name, @{second_member.pseudonym}.",
        anonymous="y",
    )
    assert response.status_code == 302
    thread_id = thread_id_from(response)
    return thread_id


def _visible_pages(client, board, thread_id):
    yield client.get(f"/c/{board.slug}")
    yield client.get(f"/t/{thread_id}")
    yield client.get(f"/search?q={SECRET_WORD}")
    yield client.get("/")
    post = Post.query.filter_by(thread_id=thread_id).first()
    yield client.get(f"/p/{post.id}/report")


@pytest.mark.parametrize("viewer", ["visitor", "second_member", "facilitator", "admin"])
def test_pseudonym_of_anonymous_author_is_on_no_page(app, db, board, member, anonymous_thread,
                                                     request, viewer):
    client = app.test_client() if viewer == "visitor" else client_for(
        app, request.getfixturevalue(viewer))
    for response in _visible_pages(client, board, anonymous_thread):
        if response.status_code in (302, 404):
            continue
        page = page_text(response)
        assert member.pseudonym not in page, response.request.path
    thread_page = page_text(client.get(f"/t/{anonymous_thread}"))
    assert "Anonymous member" in thread_page
    search = page_text(client.get(f"/search?q={SECRET_WORD}"))
    assert "Anonymous member" in search and member.pseudonym not in search
    assert client.get(f"/search?q={member.pseudonym}").status_code == 200
    assert "Anonymous" not in page_text(client.get(f"/search?q={member.pseudonym}"))


def test_notifications_do_not_reveal_anonymous_author(app, db, board, member, second_member,
                                                      anonymous_thread):
    client = client_for(app, second_member)
    page = page_text(client.get("/notifications"))
    assert "Anonymous member mentioned you" in page
    assert member.pseudonym not in page
    # And a reply by an anonymous member notifies the thread author without a name.
    thread_id = anonymous_thread
    third = client_for(app, second_member)
    post_reply(third, thread_id, "Sending strength.", anonymous="y")
    author_page = page_text(client_for(app, member).get("/notifications"))
    assert "Anonymous member replied to your thread" in author_page
    assert second_member.pseudonym not in author_page.replace(
        f"@{second_member.pseudonym}", "")


def test_export_of_another_member_does_not_contain_the_pseudonym(app, db, board, member,
                                                                 second_member,
                                                                 anonymous_thread):
    client = client_for(app, second_member)
    post_reply(client, anonymous_thread, "Thank you for trusting us with this.")
    data = client.get("/account/export").get_data(as_text=True)
    assert member.pseudonym not in data
    mine = json.loads(client_for(app, member).get("/account/export").get_data(as_text=True))
    own = [item for item in mine["posts"] if item["type"] == "post"]
    assert own and own[0]["anonymous"] is True  # their own export does include it


def test_moderator_reveal_is_audited(app, db, board, member, moderator, anonymous_thread):
    post = db.session.scalar(select(Post).where(Post.thread_id == anonymous_thread))
    mod = client_for(app, moderator)
    page = page_text(mod.get(f"/t/{anonymous_thread}"))
    assert "Anonymous member" in page and member.pseudonym not in page
    assert "Reveal author" in page
    response = mod.post(f"/p/{post.id}/reveal",
                        data={"csrf_token": csrf_from(mod, f"/t/{anonymous_thread}")})
    assert response.status_code == 200
    assert member.pseudonym in page_text(response)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "post.reveal_author"))
    assert event.actor_id == moderator.id and event.target_id == post.id


@pytest.mark.parametrize("viewer", ["second_member", "facilitator", "admin"])
def test_non_moderators_cannot_reveal(app, db, board, anonymous_thread, request, viewer):
    post = db.session.scalar(select(Post).where(Post.thread_id == anonymous_thread))
    client = client_for(app, request.getfixturevalue(viewer))
    response = client.post(f"/p/{post.id}/reveal",
                           data={"csrf_token": csrf_from(client, f"/t/{anonymous_thread}")})
    assert response.status_code == 403
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "post.reveal_author")) is None


def test_days_never_shown_on_anonymous_posts(app, db, board, member, second_member):
    from datetime import date, timedelta

    from forum.services.accounts import milestones

    milestones.check_set_start(member, date.today() - timedelta(days=42), came_back=False,
                               show_days=True)
    thread = new_thread(board, member).post.thread
    new_reply(thread, member, "Anonymous words here", anonymous=True)
    page = page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    assert page.count("42 days") == 1


def test_muted_members_posts_are_collapsed(app, db, board, member, second_member):
    thread = new_thread(board, member).post.thread
    new_reply(thread, second_member, "Words from the muted one")
    mutes.check_mute(member, second_member.pseudonym)
    page = page_text(client_for(app, member).get(f"/t/{thread.id}"))
    assert '<details class="collapsed-post">' in page
    assert "A post by a member you muted" in page


def test_content_note_renders_collapsed(app, db, board, member, second_member):
    thread = new_thread(board, member, body="The details of the night",
                        content_note="relapse").post.thread
    page = page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    assert '<details class="content-note"><summary>Content note: Relapse details' in page
