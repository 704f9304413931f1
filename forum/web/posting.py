"""Helpers shared by the board, thread and notification views: limits, post views, support."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, flash, session
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from ..models import Post
from ..services import milestones, mutes, reactions
from ..services.posts import CONTENT_NOTES
from ..services.threads import author_label, is_moderator, is_own
from .ratelimit import client_bucket

DEFAULTS = {
    "POSTING_RATE_LIMIT": "10 per minute; 100 per hour",
    "REPORT_RATE_LIMIT": "20 per hour",
    "REACTION_RATE_LIMIT": "60 per minute",
    "SEARCH_RATE_LIMIT": "30 per minute",
}


def init_app(app: Flask) -> None:
    """Default settings for the threads feature (overridable by FORUM_* variables)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.jinja_env.filters["when"] = short_datetime


def short_datetime(moment) -> str:
    """A compact, unambiguous local time ("2026-03-01 18:05") in the viewer's time zone.

    Babel's full formatter costs more than everything else in a post; twenty of them per page
    showed up in the page benchmark, and the numeric form reads the same in every language.
    """
    return moment.astimezone(get_timezone()).strftime("%Y-%m-%d %H:%M")


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
            muted=bool(post.author_id in muted and not mine),
            days=None if post.anonymous else days.get(post.author_id),
            note=str(CONTENT_NOTES[post.content_note]) if post.content_note in CONTENT_NOTES
            else None,
            reactions=counts.get(post.id, {}),
        ))
    return views


def after_posting(result: Any) -> None:
    """Tell the author what happened; keep resources to show calmly on the next page."""
    verdict = result.verdict
    if result.held:
        flash(_("Your post is waiting for a moderator. Only you and the moderators can see it"
                " for now."), "info")
    if verdict.is_risk_to_author or verdict.resources:
        session["support"] = {
            "post_id": result.post.id,
            "resources": list(verdict.resources),
            "message": verdict.message or "",
        }


def pop_support(post_ids: set[int]) -> dict | None:
    """The support panel saved after posting, when its post is on this page."""
    support = session.get("support")
    if support and support.get("post_id") in post_ids:
        session.pop("support", None)
        from ..moderation.resources import resources_for

        support = dict(support)
        language = get_locale().language if get_locale() else None
        support["items"] = [r.localized(language)
                            for r in resources_for(support.get("resources") or [])]
        return support
    return None


def viewer_is_moderator() -> bool:
    """Is the current user a moderator?"""
    return is_moderator(current_user if current_user.is_authenticated else None)
