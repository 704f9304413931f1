"""Helpers shared by the board, thread and notification views: limits, post views, support."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask, current_app, flash, session, url_for
from flask_babel import get_timezone, gettext as _, ngettext
from flask_login import current_user

from ..models import Post
from ..services.accounts import milestones, mutes
from ..services.chat import badges as staff_badges
from ..services.threads import page as thread_page, reactions
from ..services.threads.posts import CONTENT_NOTES, auto_note_for
from ..services.threads.reading import author_label, is_moderator, is_own
from . import times
from .crisis import panel_context
from .ratelimit import client_bucket

DEFAULTS = {
    "POSTING_RATE_LIMIT": "10 per minute; 100 per hour",
    "REPORT_RATE_LIMIT": "20 per hour",
    "REACTION_RATE_LIMIT": "60 per minute",
    "SEARCH_RATE_LIMIT": "30 per minute",
}


def init_app(app: Flask) -> None:
    """Default settings for the threads feature (overridable by FORUM_* variables), and the
    filters every page shows times with."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    times.init_app(app)


def account_bucket() -> str:
    """Rate-limit key: the account when logged in, else the rotating client token."""
    if current_user.is_authenticated:
        return f"a:{current_user.id}"
    return client_bucket()


def posting_limit() -> str:
    """The posting limit in force."""
    return current_app.config["POSTING_RATE_LIMIT"]


def report_limit() -> str:
    """The reporting limit in force."""
    return current_app.config["REPORT_RATE_LIMIT"]


def reaction_limit() -> str:
    """The reaction limit in force."""
    return current_app.config["REACTION_RATE_LIMIT"]


def search_limit() -> str:
    """The search limit in force."""
    return current_app.config["SEARCH_RATE_LIMIT"]


@dataclass
class PostView:
    """What a template needs to show one post to one viewer."""

    post: Post
    author: str
    mine: bool
    muted: bool
    days: int | None
    note: str | None
    reactions: dict[str, tuple[int, bool]]
    badge: str | None = None
    auto_note: str | None = None  # the pipeline's note, shown folded to other members


def post_views(posts: list[Post], *, with_reactions: bool = True) -> list[PostView]:
    """Prepare posts for display: labels, mutes, days, notes and reaction counts."""
    viewer = current_user if current_user.is_authenticated else None
    muted = mutes.muted_ids(viewer)
    # Days are never shown on anonymous posts: they could tell who wrote them.
    days = milestones.days_shown({p.author_id for p in posts if p.author_id and not p.anonymous})
    counts = reactions.summary(posts, viewer) if with_reactions else {}
    views = []
    for post in posts:
        mine = is_own(post, viewer)
        views.append(PostView(
            post=post,
            author=author_label(post, viewer),
            mine=mine,
            muted=mutes.collapses(post.author_id, post.anonymous, muted, mine=mine),
            days=None if post.anonymous else days.get(post.author_id),
            note=str(CONTENT_NOTES[post.content_note]) if post.content_note in CONTENT_NOTES
            else None,
            auto_note=auto_note_for(post, mine=mine),
            reactions=counts.get(post.id, {}),
            badge=staff_badges.badge_label(post.author_badge, anonymous=post.anonymous,
                                           author_id=post.author_id),
        ))
    return views


@dataclass(slots=True)
class RowView:
    """What the thread page shows of one post row (services.thread_page) to one viewer."""

    post: Any
    author: str
    mine: bool
    muted: bool
    days: int | None
    note: str | None
    reactions: dict[str, tuple[int, bool]]
    unread: bool
    url: str
    iso: str
    when: str
    badge: str | None
    auto_note: str | None = None  # the pipeline's note, shown folded to other members


def row_views(rows: list[Any], unread_from: int | None) -> list[RowView]:
    """Prepare a thread page's rows: labels, mutes, days, notes, reactions, link and time.

    Everything shared by the posts (time zone, link prefix, labels) is looked up once.
    """
    viewer = current_user if current_user.is_authenticated else None
    muted = mutes.muted_ids(viewer)
    tz = get_timezone()
    today = date.today()
    # The post links differ only by the id at their end.
    link = url_for("threads.post_link", post_id=0)[:-1]
    views = []
    for row in rows:
        mine = is_own(row, viewer)
        created = row.created_at
        views.append(RowView(
            post=row,
            author=thread_page.row_author_label(row, viewer),
            mine=mine,
            muted=mutes.collapses(row.author_id, row.anonymous, muted, mine=mine),
            days=thread_page.row_days(row, today),
            note=str(CONTENT_NOTES[row.content_note]) if row.content_note in CONTENT_NOTES
            else None,
            auto_note=auto_note_for(row, mine=mine),
            reactions=thread_page.row_reactions(row),
            unread=unread_from is not None and row.id > unread_from and not mine,
            url=f"{link}{row.id}",
            iso=created.isoformat(),
            when=times.local_text(created, tz),
            badge=staff_badges.badge_label(row.author_badge, anonymous=row.anonymous,
                                           author_id=row.author_id),
        ))
    return views


@dataclass(slots=True)
class ThreadRowView:
    """What the board page shows of one thread row (services.thread_page.board_rows)."""

    id: int
    title: str
    author: str
    replies: str
    url: str
    iso: str
    when: str


def thread_views(rows: list[Any], viewer: Any) -> list[ThreadRowView]:
    """Prepare a board page's rows: author label, reply count text, link and time."""
    tz = get_timezone()
    link = url_for("threads.thread", thread_id=0)[:-1]
    replies: dict[int, str] = {}  # the same counts come back often: translate each once
    views = []
    for row in rows:
        count = row.reply_count
        if count not in replies:
            replies[count] = ngettext("%(num)d reply", "%(num)d replies", count)
        moment = row.last_activity_at
        views.append(ThreadRowView(
            id=row.id,
            title=row.title,
            author=thread_page.row_author_label(row, viewer),
            replies=replies[count],
            url=f"{link}{row.id}",
            iso=moment.isoformat(),
            when=times.local_text(moment, tz),
        ))
    return views


def after_posting(result: Any) -> None:
    """Tell the author what happened; keep resources to show calmly on the next page."""
    verdict = result.verdict
    if result.held:
        flash(_("Your post is waiting for a moderator. Only you and the moderators can see it"
                " for now."), "info")
    if verdict.is_risk_to_author or verdict.resources:
        # The rule's own message is not kept: it may promise a moderator who is not on duty.
        session["support"] = {
            "post_id": result.post.id,
            "resources": list(verdict.resources),
            "risk": verdict.is_risk_to_author,
            "relapse": "relapse" in verdict.categories,
        }


def pop_support(post_ids: set[int]) -> dict | None:
    """The support panel saved after posting, when its post is on this page."""
    support = session.get("support")
    if support and support.get("post_id") in post_ids:
        session.pop("support", None)
        return dict(panel_context(support.get("resources"), risk=bool(support.get("risk"))),
                    post_id=support["post_id"], relapse=bool(support.get("relapse")))
    return None


def viewer_is_moderator() -> bool:
    """Is the current user a moderator?"""
    return is_moderator(current_user if current_user.is_authenticated else None)
