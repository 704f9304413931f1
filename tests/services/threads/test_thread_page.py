"""The thread and board pages' row queries agree with the entity-based reads, for every viewer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from forum.errors import NotFound
from forum.extensions import db as _db
from forum.models import Post
from forum.moderation.render import RENDERER_VERSION
from forum.services.accounts import milestones, mutes
from forum.services.threads import page as thread_page, posts, reactions, reading as threads
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import new_reply, new_thread

board = threads_support.board
screener = threads_support.screener

VIEWERS = ("visitor", "member", "second_member", "facilitator", "moderator",
           "trained_moderator", "admin", "suspended")


@pytest.fixture
def busy_thread(db, board, screener, member, second_member, facilitator, moderator):
    """A thread with everything a page can show: days, anonymity, held, deleted, reactions."""
    milestones.check_set_start(member, date.today() - timedelta(days=40), came_back=False,
                               show_days=True)
    milestones.check_set_start(second_member, date.today() - timedelta(days=9),
                               came_back=False, show_days=True)
    opening = new_thread(board, member, body="Forty days today.").post
    thread = opening.thread
    anonymous = new_reply(thread, second_member, body="Proud of you.", anonymous=True).post
    held = new_reply(thread, second_member, body="Call me at [[hold:pii]]",
                     confirm_hold=True).post
    gone = new_reply(thread, member, body="Never mind.").post
    posts.check_delete_post(gone, acting_user=member)
    noted = new_reply(thread, facilitator, body="Some hard words.", content_note="relapse").post
    for _ in range(22):
        new_reply(thread, facilitator, body="Here for you.")
    reactions.check_toggle(opening.id, "hug", acting_user=second_member)
    reactions.check_toggle(opening.id, "hug", acting_user=facilitator)
    reactions.check_toggle(opening.id, "strength", acting_user=second_member)
    reactions.check_toggle(anonymous.id, "heart", acting_user=member)
    reactions.check_toggle(noted.id, "me-too", acting_user=moderator)
    mutes.check_mute(member, second_member.pseudonym)
    return {"thread": thread, "opening": opening, "anonymous": anonymous, "held": held,
            "gone": gone}


def _viewer(request, name):
    return None if name == "visitor" else request.getfixturevalue(name)


@pytest.mark.parametrize("name", VIEWERS)
@pytest.mark.parametrize("where", [{}, {"after": "first"}, {"before": "last"}])
def test_post_rows_match_the_entity_page_for_every_viewer(request, app, busy_thread, name,
                                                          where):
    viewer = _viewer(request, name)
    thread = busy_thread["thread"]
    every = threads.thread_posts(thread, viewer, per_page=1000).posts
    kwargs = {}
    if where.get("after"):
        kwargs["after"] = every[1].id
    if where.get("before"):
        kwargs["before"] = every[-1].id
    expected = threads.thread_posts(thread, viewer, **kwargs)
    got = thread_page.post_rows(thread, viewer, **kwargs)
    assert [r.id for r in got.posts] == [p.id for p in expected.posts]
    assert (got.more_before, got.more_after) == (expected.more_before, expected.more_after)
    counts = reactions.summary(expected.posts, viewer)
    days = milestones.days_shown({p.author_id for p in expected.posts
                                  if p.author_id and not p.anonymous})
    for row, post in zip(got.posts, expected.posts, strict=True):
        assert thread_page.row_author_label(row, viewer) == threads.author_label(post, viewer)
        assert thread_page.row_reactions(row) == counts.get(post.id, {})
        assert thread_page.row_days(row) == (None if post.anonymous else days.get(post.author_id))
        for field in ("status", "visible", "deleted_at", "hold_message", "content_note",
                      "body_html", "created_at", "edited_at", "anonymous", "author_id"):
            assert getattr(row, field) == getattr(post, field), field


def test_visitors_see_only_visible_posts_and_no_anonymous_name_or_days(app, busy_thread,
                                                                        second_member):
    rows = thread_page.post_rows(busy_thread["thread"], None, per_page=100).posts
    ids = {r.id for r in rows}
    assert busy_thread["held"].id not in ids and busy_thread["gone"].id not in ids
    anonymous = next(r for r in rows if r.id == busy_thread["anonymous"].id)
    assert thread_page.row_author_label(anonymous, None) == "Anonymous member"
    assert thread_page.row_days(anonymous) is None
    assert second_member.pseudonym not in {thread_page.row_author_label(r, None) for r in rows}


def test_reactions_given_are_the_viewers_own(app, busy_thread, second_member, facilitator):
    opening = busy_thread["opening"].id
    mine = {r.id: r for r in thread_page.post_rows(busy_thread["thread"], second_member).posts}
    assert thread_page.row_reactions(mine[opening]) == {"hug": (2, True), "strength": (1, True)}
    theirs = {r.id: r for r in thread_page.post_rows(busy_thread["thread"], facilitator).posts}
    assert thread_page.row_reactions(theirs[opening]) == {"hug": (2, True),
                                                          "strength": (1, False)}
    anon = {r.id: r for r in thread_page.post_rows(busy_thread["thread"], None).posts}
    assert thread_page.row_reactions(anon[opening]) == {"hug": (2, False), "strength": (1, False)}


def test_stale_html_is_rendered_again_before_it_is_shown(app, db, busy_thread):
    opening = busy_thread["opening"]
    _db.session.execute(update(Post).where(Post.id == opening.id).values(
        body_html="<p>old markup</p>", renderer_version=RENDERER_VERSION - 1))
    _db.session.commit()
    row = thread_page.post_rows(busy_thread["thread"], None).posts[0]
    assert row.renderer_version == RENDERER_VERSION
    assert "old markup" not in row.body_html and "Forty days today." in row.body_html
    _db.session.expire_all()
    assert _db.session.get(Post, opening.id).renderer_version == RENDERER_VERSION


@pytest.mark.parametrize("name", VIEWERS)
def test_thread_head_follows_the_access_rule(request, app, db, board, screener, member, name):
    viewer = _viewer(request, name)
    shown = new_thread(board, member).post.thread
    hidden = new_thread(board, member, body="Held [[hold:spam]]", confirm_hold=True).post.thread
    head = thread_page.access_thread_head(shown.id, viewer)
    assert (head.id, head.title, head.reply_count, head.visible) == (
        shown.id, shown.title, shown.reply_count, shown.visible)
    assert (head.board.slug, head.board.name) == (board.slug, board.name)
    assert thread_page.row_author_label(head, viewer) == threads.author_label(shown, viewer)
    try:
        threads.access_thread(hidden.id, viewer)
    except NotFound:
        with pytest.raises(NotFound):
            thread_page.access_thread_head(hidden.id, viewer)
    else:
        assert thread_page.access_thread_head(hidden.id, viewer).id == hidden.id
    with pytest.raises(NotFound):
        thread_page.access_thread_head(hidden.id + 1000, viewer)


def test_board_rows_match_the_entity_listing(app, db, board, screener, member, second_member):
    for i in range(7):
        new_thread(board, member if i % 2 else second_member, title=f"Day {i}",
                   anonymous=i == 3)
    cursor = None
    while True:
        expected, expected_next = threads.board_threads(board, cursor=cursor, per_page=3)
        rows, next_cursor = thread_page.board_rows(board, cursor=cursor, per_page=3)
        assert [r.id for r in rows] == [t.id for t in expected]
        assert [thread_page.row_author_label(r, member) for r in rows] == [
            threads.author_label(t, member) for t in expected]
        assert next_cursor == expected_next
        if next_cursor is None:
            break
        cursor = next_cursor


def test_board_row_is_the_board_by_slug(app, db, board):
    row = thread_page.access_board_row(board.slug)
    assert (row.id, row.name, row.description, row.content_note) == (
        board.id, board.name, board.description, board.content_note)
    with pytest.raises(NotFound):
        thread_page.access_board_row("no-such-board")
