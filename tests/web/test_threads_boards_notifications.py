"""Boards, ordering, keyset pagination, unread markers, notifications and milestones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.models import AuditEvent, Board, Notification
from forum.services.accounts import milestones, standing
from forum.services.threads import reading as threads
from tests.conftest import csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread, post_reply

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def test_admin_creates_and_edits_boards(app, db, admin):
    client = client_for(app, admin)
    token = csrf_from(client, "/boards/new")
    response = client.post("/boards/new", data={
        "slug": "family-and-friends", "name": "Family and friends", "description": "For those",
        "position": "3", "content_note": "", "csrf_token": token})
    assert response.status_code == 302
    board = db.session.scalar(select(Board).where(Board.slug == "family-and-friends"))
    assert board is not None
    token = csrf_from(client, f"/c/{board.slug}/edit")
    response = client.post(f"/c/{board.slug}/edit", data={
        "slug": board.slug, "name": "Family & friends", "description": "For those",
        "position": "3", "content_note": "Talk of relapse", "csrf_token": token})
    assert response.status_code == 302
    page = page_text(client.get(f"/c/{board.slug}"))
    assert "Family & friends" in page and "Talk of relapse" in page
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"board.create", "board.update"} <= actions


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator"])
def test_only_admins_manage_boards(app, board, request, persona):
    client = client_for(app, request.getfixturevalue(persona))
    assert client.get("/boards/new").status_code == 403
    assert client.get(f"/c/{board.slug}/edit").status_code == 403


def test_board_lists_by_last_activity_with_keyset_pages(app, db, board, member, second_member):
    made = [new_thread(board, member, title=f"Thread number {i:02d}").post.thread
            for i in range(35)]
    # A reply bumps the oldest thread to the top.
    new_reply(made[0], second_member, "Bumping this one")
    page = page_text(app.test_client().get(f"/c/{board.slug}"))
    assert page.index("Thread number 00") < page.index("Thread number 34")
    assert "Thread number 04" not in page  # 30 per page: the oldest ones are on page two
    first, cursor = threads.board_threads(board)
    assert len(first) == 30 and cursor is not None
    second, last = threads.board_threads(board, cursor=cursor)
    assert len(second) == 5 and last is None
    assert not {t.id for t in first} & {t.id for t in second}
    response = app.test_client().get(f"/c/{board.slug}?cursor={cursor.encode()}")
    assert "Thread number 04" in page_text(response)
    assert app.test_client().get(f"/c/{board.slug}?cursor=garbage").status_code == 200


def test_thread_pages_of_twenty_posts(app, db, board, member, second_member):
    thread = new_thread(board, member).post.thread
    for i in range(45):
        new_reply(thread, second_member, f"Reply number {i:02d}")
    client = app.test_client()
    page = page_text(client.get(f"/t/{thread.id}"))
    assert page.count('<article class="post') == 20
    assert "Later posts" in page and "Reply number 18" in page and "Reply number 19" not in page
    view = threads.thread_posts(thread, None)
    last = page_text(client.get(f"/t/{thread.id}?after={view.posts[-1].id}"))
    assert "Reply number 19" in last and "Earlier posts" in last


def test_unread_markers_for_members(app, db, board, member, second_member):
    thread = new_thread(board, member, title="Check in here").post.thread
    reader = client_for(app, second_member)
    assert "unread-marker" in page_text(reader.get(f"/c/{board.slug}"))
    reader.get(f"/t/{thread.id}")
    assert "unread-marker" not in page_text(reader.get(f"/c/{board.slug}"))
    new_reply(thread, member, "Something new")
    assert "unread-marker" in page_text(reader.get(f"/c/{board.slug}"))
    assert "unread-marker" not in page_text(app.test_client().get(f"/c/{board.slug}"))


def test_reply_quote_and_mention_notifications(app, db, board, member, second_member,
                                               facilitator):
    thread = new_thread(board, member, title="Morning pages").post.thread
    quoted = new_reply(thread, second_member, "My own words first").post
    client = client_for(app, facilitator)
    response = client.get(f"/t/{thread.id}/reply?quote={quoted.id}")
    assert "&gt; My own words first" in response.get_data(as_text=True)
    post_reply(client, thread.id, f"> My own words first\n\nAgreed, @{member.pseudonym}!",
               quote_of=str(quoted.id))
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (second_member.id, "quote") in kinds
    assert (member.id, "reply") in kinds or (member.id, "mention") in kinds
    assert all(user_id != facilitator.id for user_id, _ in kinds)
    author = client_for(app, member)
    header = page_text(author.get("/"))
    assert "unread" in header and 'href="/notifications"' in header
    listing = page_text(author.get("/notifications"))
    assert "Morning pages" in listing and facilitator.pseudonym in listing
    author.post("/notifications/read", data={"csrf_token": csrf_from(author, "/notifications")})
    assert "unread</span>" not in page_text(author.get("/"))


def test_muted_members_do_not_notify(app, db, board, member, second_member):
    from forum.services.accounts import mutes

    thread = new_thread(board, member).post.thread
    mutes.check_mute(member, second_member.pseudonym)
    new_reply(thread, second_member, f"Hey @{member.pseudonym}")
    assert db.session.scalar(select(Notification)) is None


def test_milestone_days_reset_keeps_history(app, db, board, member, second_member):
    client = client_for(app, member)
    start = date.today() - timedelta(days=30)
    token = csrf_from(client, "/milestone")
    client.post("/milestone", data={"recovery_start": start.isoformat(), "show_days": "y",
                                     "csrf_token": token})
    thread = new_thread(board, member).post.thread
    assert "30 days" in page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    token = csrf_from(client, "/milestone")
    client.post("/milestone", data={"recovery_start": date.today().isoformat(),
                                     "show_days": "y", "came_back": "y", "csrf_token": token})
    view = milestones.view(member)
    assert view.days == 0 and view.came_back_count == 1
    page = page_text(client.get("/milestone"))
    assert "Times I came back" in page and "Days in the community" in page
    token = csrf_from(client, "/milestone")
    client.post("/milestone", data={"recovery_start": date.today().isoformat(),
                                     "csrf_token": token})  # hide the days
    assert " days<" not in page_text(client_for(app, second_member).get(f"/t/{thread.id}"))
    assert milestones.view(member).came_back_count == 1


def test_review_queue_adds_to_existing_item(app, db, board, member):
    from forum.models import ReviewItem
    from forum.moderation.verdict import Verdict
    from forum.services import review_queue

    post = new_thread(board, member).post
    review_queue.do_enqueue("post", post.id, verdict=Verdict(action="flag",
                                                             categories=("relapse",),
                                                             priority="normal"))
    review_queue.do_enqueue("post", post.id, verdict=Verdict(action="hold", categories=("pii",),
                                                             priority="high"))
    db.session.commit()
    items = db.session.scalars(select(ReviewItem)).all()
    assert len(items) == 1
    assert items[0].action == "hold" and items[0].priority == "high"
    assert items[0].categories == ["pii", "relapse"]
    assert standing.can_write(member)


def test_thread_pages_have_no_inline_script_or_style(app, db, board, member, second_member):
    thread = new_thread(board, member, body="Hello", content_note="grief").post.thread
    new_reply(thread, second_member, "Hi there")
    client = client_for(app, second_member)
    for path in (f"/c/{board.slug}", f"/t/{thread.id}", f"/c/{board.slug}/new",
                 f"/t/{thread.id}/reply", "/search?q=hello", "/notifications", "/milestone"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick=" not in page
        assert "<main" in page and "<nav" in page  # landmarks
        for field in ("body", "title", "content_warning", "q"):
            if f'id="{field}"' in page:
                assert f'for="{field}"' in page, (path, field)  # every field has a label


def test_visitors_get_no_session_cookie_on_thread_pages(app, db, board, member):
    thread = new_thread(board, member).post.thread
    client = app.test_client()
    client.get(f"/t/{thread.id}")
    client.get(f"/c/{board.slug}")
    assert client.get_cookie("session") is None
