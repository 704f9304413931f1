"""Support (reactions) reaches a post's author as one notification per post, and the page that
holds a post is found the way the thread page cuts its pages."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.models import Notification
from forum.services.accounts import mutes
from forum.services.threads import (
    notifications,
    page as thread_page,
    posts,
    reactions,
    reading as threads,
)
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import new_reply, new_thread

board = threads_support.board
screener = threads_support.screener


def _support_rows(db, user):
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == "support"))


def _shown(user):
    """The member's support notifications as listed, with how many people each counts."""
    items = [n for n in notifications.list_for(user) if n.kind == "support"]
    counts = notifications.support_counts(user, items)
    return [(n.post_id, counts.get(n.post_id, 0), n.read_at is None) for n in items]


def test_reactions_to_a_post_are_one_notification_that_grows_while_unread(
        app, db, board, member, second_member, facilitator, moderator):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    reactions.check_toggle(post.id, "heart", acting_user=second_member)  # still one person
    reactions.check_toggle(post.id, "hug", acting_user=facilitator)
    assert _shown(member) == [(post.id, 2, True)]
    assert notifications.unread_count(member) == 1
    reactions.check_toggle(post.id, "strength", acting_user=moderator)
    assert _shown(member) == [(post.id, 3, True)]
    assert _support_rows(db, member) == 1
    # Nobody else hears of it: not the givers, not the thread's other readers.
    for other in (second_member, facilitator, moderator):
        assert notifications.unread_count(other) == 0


def test_support_after_reading_comes_back_as_new_still_one_per_post(
        app, db, board, member, second_member, facilitator):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    notifications.do_mark_read(member)
    assert notifications.unread_count(member) == 0
    reactions.check_toggle(post.id, "heart", acting_user=second_member)  # same person again
    assert notifications.unread_count(member) == 0
    reactions.check_toggle(post.id, "heart", acting_user=facilitator)
    assert _shown(member) == [(post.id, 2, True)]
    assert _support_rows(db, member) == 1


def test_own_reactions_and_muted_members_never_notify(app, db, board, member, second_member,
                                                      facilitator):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "heart", acting_user=member)
    assert notifications.unread_count(member) == 0
    mutes.check_mute(member, second_member.pseudonym)
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    assert notifications.unread_count(member) == 0 and _support_rows(db, member) == 0
    reactions.check_toggle(post.id, "hug", acting_user=facilitator)
    # The muted member's reaction is not counted among the people either.
    assert _shown(member) == [(post.id, 1, True)]


def test_taking_support_back_removes_an_unread_notice_left_empty(app, db, board, member,
                                                                 second_member):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    reactions.check_toggle(post.id, "heart", acting_user=second_member)
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    assert _shown(member) == [(post.id, 1, True)]
    reactions.check_toggle(post.id, "heart", acting_user=second_member)
    assert _shown(member) == [] and notifications.unread_count(member) == 0


def test_turned_off_support_notifications_stop_and_clear(app, db, board, member, second_member,
                                                         facilitator, make_user):
    post = new_thread(board, member).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    notifications.set_support_notifications(member, False)
    assert notifications.unread_count(member) == 0
    reactions.check_toggle(post.id, "hug", acting_user=facilitator)
    assert _support_rows(db, member) == 0
    # Replies still arrive: only support was turned off.
    new_reply(post.thread, facilitator)
    assert notifications.unread_count(member) == 1
    notifications.set_support_notifications(member, True)
    reactions.check_toggle(post.id, "heart", acting_user=make_user("quiet-willow"))
    # Everyone's support counts again, given while they were off too.
    assert _shown(member) == [(post.id, 3, True)]


def test_an_anonymous_author_still_hears_of_support(app, db, board, member, second_member):
    post = new_thread(board, member, anonymous=True).post
    reactions.check_toggle(post.id, "hug", acting_user=second_member)
    assert _shown(member) == [(post.id, 1, True)]
    assert notifications.unread_count(second_member) == 0


def test_the_page_holding_a_post_is_cut_like_the_later_posts_links(
        app, db, board, member, second_member, screener):
    opening = new_thread(board, member).post
    thread = opening.thread
    ids = [opening.id] + [new_reply(thread, second_member, body=f"Reply {n}").post.id
                          for n in range(39)]
    assert thread_page.page_after(thread.id, ids[0], member) is None
    assert thread_page.page_after(thread.id, ids[19], member) is None
    assert thread_page.page_after(thread.id, ids[20], member) == ids[19]
    assert thread_page.page_after(thread.id, ids[39], member) == ids[19]
    # Walking the "Later posts" link reaches the same page.
    second = thread_page.post_rows(thread, member, after=ids[19])
    assert [p.id for p in second.posts] == ids[20:40]
    # The author's held post is on their pages only, and a deleted one on nobody's.
    posts.check_delete_post(threads.access_post(ids[3], second_member),
                            acting_user=second_member)
    held = new_reply(thread, member, body="Call me [[hold:pii]]", confirm_hold=True).post
    assert not held.visible
    later = new_reply(thread, second_member, body="One more").post
    # The member sees 40 posts before it (39 visible and their held one): a third page.
    assert thread_page.page_after(thread.id, later.id, member) == held.id
    # Others see 39 before it: it ends the second page.
    assert thread_page.page_after(thread.id, later.id, None) == ids[20]
    assert thread_page.previous_post_id(thread.id, later.id, None) == ids[39]
    assert thread_page.previous_post_id(thread.id, later.id, member) == held.id
