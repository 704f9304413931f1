"""Helpers for the measures tests: a community with known activity on known dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forum.extensions import db
from forum.services.threads import boards
from tests.threads_support import new_reply, new_thread

# Two whole weeks: Monday 2 November to Sunday 15 November 2026.
W1 = datetime(2026, 11, 2, tzinfo=UTC)
W2 = W1 + timedelta(weeks=1)
FROM, TO = "2026-11-02", "2026-11-15"


def at(day: datetime, hours: float = 0) -> datetime:
    """A moment `hours` after midnight UTC of a day."""
    return day + timedelta(hours=hours)


def backdate(result_or_post, when: datetime) -> None:
    """Move a post (and its thread when it opens one) to `when`."""
    post = getattr(result_or_post, "post", result_or_post)
    post.created_at = when
    if post.published_at:
        post.published_at = when
    if post.is_opening:
        post.thread.created_at = when
    db.session.commit()


def joined(user, when: datetime) -> None:
    """Set when an account was created."""
    user.created_at = when
    db.session.commit()


def second_board(keeper_name: str = "board-keeper"):
    """Another board, made through the service by the existing admin."""
    from forum.services.accounts.account import find_by_pseudonym

    return boards.check_save_board(None, slug="other-things", name="Other things",
                                   description="", position=2, content_note=None,
                                   acting_user=find_by_pseudonym(keeper_name))


def community(make_user, board, size: int, *, week: datetime = W1, prefix: str = "peer"):
    """`size` members who joined long ago and each started one thread in `week`."""
    members = []
    for i in range(size):
        user = make_user(f"{prefix}-{i:02d}")
        joined(user, datetime(2026, 1, 5, tzinfo=UTC))
        backdate(new_thread(board, user, title=f"Thread number {i}", body="Another day."),
                 at(week, 30 + i))
        members.append(user)
    return members


__all__ = ["new_reply", "new_thread"]
