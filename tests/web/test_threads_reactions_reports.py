"""Supportive reactions (one of each kind per member per post) and reports."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.models import Reaction, Report, ReviewItem
from tests.conftest import csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_thread

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def _react(client, post_id, kind, thread_id):
    token = csrf_from(client, f"/t/{thread_id}")
    return client.post(f"/p/{post_id}/react", data={"kind": kind, "csrf_token": token})


def test_reactions_toggle_one_per_kind_and_counts_are_shown(app, db, board, member,
                                                            second_member, facilitator):
    post = new_thread(board, member).post
    thread_id = post.thread_id
    client = client_for(app, second_member)
    assert _react(client, post.id, "hug", thread_id).status_code == 303
    assert _react(client, post.id, "strength", thread_id).status_code == 303
    _react(client_for(app, facilitator), post.id, "hug", thread_id)
    count = db.session.scalar(select(func.count(Reaction.id)).where(Reaction.kind == "hug"))
    assert count == 2
    page = page_text(app.test_client().get(f"/t/{thread_id}"))
    assert 'alt="Hug"><span aria-hidden="true">Hug</span> <span class="count">2</span>' in page
    assert 'alt="Strength"><span aria-hidden="true">Strength</span> ' \
        '<span class="count">1</span>' in page
    # The same kind again takes it back: never two of a kind.
    _react(client, post.id, "hug", thread_id)
    assert db.session.scalar(select(func.count(Reaction.id)).where(
        Reaction.kind == "hug")) == 1
    mine = page_text(client.get(f"/t/{thread_id}"))
    assert 'aria-pressed="true"' in mine  # strength is still given


def test_no_down_votes_or_unknown_reactions(app, db, board, member, second_member):
    post = new_thread(board, member).post
    client = client_for(app, second_member)
    response = _react(client, post.id, "downvote", post.thread_id)
    assert response.status_code in (302, 303)
    assert db.session.scalar(select(Reaction)) is None
    page = page_text(client.get(f"/t/{post.thread_id}"))
    assert "downvote" not in page.lower() and "dislike" not in page.lower()


def test_cannot_react_to_held_posts(app, db, board, member, second_member, screener):
    post = new_thread(board, member, body="held [[hold:spam]]").post
    client = client_for(app, second_member)
    token = csrf_from(client, "/")
    response = client.post(f"/p/{post.id}/react", data={"kind": "heart", "csrf_token": token})
    assert response.status_code == 404
    assert db.session.scalar(select(Reaction)) is None


def _report(client, post_id, reason):
    token = csrf_from(client, f"/p/{post_id}/report")
    return client.post(f"/p/{post_id}/report", data={"reason": reason, "csrf_token": token})


def test_report_goes_to_the_queue_and_is_not_shown_to_the_reported_member(
        app, db, board, member, second_member, facilitator):
    post = new_thread(board, member).post
    reporter = client_for(app, second_member)
    response = _report(reporter, post.id, "This reads like a sales pitch.")
    assert response.status_code == 302
    item = db.session.scalar(select(ReviewItem))
    assert item.content_id == post.id and item.sources == ["report"] and item.report_count == 1
    _report(client_for(app, facilitator), post.id, "Same worry here.")
    db.session.expire_all()
    items = db.session.scalars(select(ReviewItem).where(ReviewItem.content_kind == "post")).all()
    assert len(items) == 1 and items[0].report_count == 2  # one item, not a duplicate
    reported = client_for(app, member)
    for path in (f"/t/{post.thread_id}", "/notifications", "/account/export"):
        text = page_text(reported.get(path))
        assert second_member.pseudonym not in text and "sales pitch" not in text


def test_a_member_cannot_report_the_same_post_twice(app, db, board, member, second_member):
    post = new_thread(board, member).post
    client = client_for(app, second_member)
    assert _report(client, post.id, "Spam link").status_code == 302
    response = _report(client, post.id, "Spam link again")
    assert response.status_code in (200, 400)
    assert "already reported" in page_text(response)
    assert db.session.scalar(select(func.count(Report.id))) == 1


def test_cannot_report_own_post_or_without_reason(app, db, board, member):
    post = new_thread(board, member).post
    client = client_for(app, member)
    assert _report(client, post.id, "mine").status_code == 400
    assert db.session.scalar(select(Report)) is None


@pytest.mark.parametrize("viewer", ["visitor", "second_member"])
def test_cannot_report_what_you_cannot_see(app, db, board, member, screener, request, viewer):
    post = new_thread(board, member, body="held [[hold:spam]]").post
    if viewer == "visitor":
        assert app.test_client().get(f"/p/{post.id}/report").status_code == 302
    else:
        client = client_for(app, request.getfixturevalue(viewer))
        assert client.get(f"/p/{post.id}/report").status_code == 404


def test_report_reason_is_screened(app, db, board, member, second_member, screener):
    post = new_thread(board, member).post
    screener.clear()
    client = client_for(app, second_member)
    response = _report(client, post.id, "You are awful [[block:harassment]]")
    assert response.status_code == 400
    assert screener == [("You are awful [[block:harassment]]", "report")]
    assert db.session.scalar(select(Report)) is None
