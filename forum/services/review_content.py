"""What the queue needs to know about posts and reports: where they live, who wrote them, their
text with matched spans, the surrounding thread, and how a moderator edits or an author
resubmits a removed post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..errors import ContentRejected, NotFound, ValidationFailed
from ..extensions import db
from ..models import Post, PostRevision, Report, ReviewItem, Thread, User
from ..models.threads import HELD, PUBLISHED, REMOVED
from . import clock, review_queue, screening

CONTEXT_POSTS = 5


@dataclass(frozen=True)
class Segment:
    """A piece of the content's text; matched pieces are highlighted."""

    text: str
    matched: bool


@dataclass(frozen=True)
class Content:
    """The reviewed text, split around matched spans, and the posts before it."""

    kind_label: str
    title: str | None
    segments: list[Segment]
    context: list[str]
    text: str


def highlight(text: str, reasons: list[dict[str, Any]]) -> list[Segment]:
    """Split text into plain and matched segments from the reasons' spans (overlaps merged)."""
    spans = sorted(
        (max(0, int(r["span"][0])), min(len(text), int(r["span"][1])))
        for r in reasons or ()
        if isinstance(r, dict) and r.get("span") and len(r["span"]) == 2
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    pos = 0
    for start, end in merged:
        if start > pos:
            out.append(Segment(text[pos:start], False))
        out.append(Segment(text[start:end], True))
        pos = end
    if pos < len(text) or not out:
        out.append(Segment(text[pos:], False))
    return out


def _locate_post(post_id: int) -> tuple[int | None, int | None, int | None]:
    post = db.session.get(Post, post_id)
    if post is None:
        return None, None, None
    return post.author_id, post.thread.board_id, None


def _locate_report(report_id: int) -> tuple[int | None, int | None, int | None]:
    report = db.session.get(Report, report_id)
    return (report.reporter_id if report else None), None, None


def content_of(item: ReviewItem) -> Content:
    """The item's text with highlights and the thread's earlier posts (never author names)."""
    if item.content_kind == "post":
        post = db.session.get(Post, item.content_id)
        if post is None:
            return Content(str(_l("Post")), None, [], [], "")
        earlier = list(db.session.scalars(
            select(Post.body_md).where(
                Post.thread_id == post.thread_id, Post.id < post.id, Post.visible.is_(True)
            ).order_by(Post.id.desc()).limit(CONTEXT_POSTS)
        ))
        title = post.thread.title if post.is_opening else None
        return Content(str(_l("Post")), title, highlight(post.body_md, item.reasons),
                       list(reversed(earlier)), post.body_md)
    if item.content_kind == "report":
        report = db.session.get(Report, item.content_id)
        text = report.reason if report else ""
        return Content(str(_l("Report reason")), None, highlight(text, item.reasons), [], text)
    if item.content_kind == "chat":
        from .chat import load_text

        text = load_text(item.content_id) or ""
        return Content(str(_l("Chat message")), None, highlight(text, item.reasons), [], text)
    if item.content_kind == "meeting":
        from .meetings import load_text as load_meeting

        # Title and description were screened apart: their spans don't fit the joined text.
        text = load_meeting(item.content_id) or ""
        return Content(str(_l("Meeting")), None, highlight(text, []), [], text)
    if item.content_kind == "support_note":
        from ..models import SupportRequest

        request = db.session.get(SupportRequest, item.content_id)
        text = (request.note if request else None) or ""
        return Content(str(_l("Note to a peer supporter")), None, highlight(text, item.reasons),
                       [], text)
    return Content(item.content_kind, None, [], [], "")


def _edit_post(post_id: int, new_text: str, acting_user: User) -> None:
    from .posts import _after_change, render_body

    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound()
    db.session.add(PostRevision(post_id=post.id, title=None, body_md=post.body_md,
                                content_note=post.content_note))
    was_visible = post.visible
    post.body_md = new_text
    post.edited_at = clock.now()
    render_body(post)
    post.status = PUBLISHED
    post.hold_message = None
    _after_change(post, None, was_visible=was_visible)


_EDITORS = {"post": _edit_post}


def can_edit(kind: str) -> bool:
    """Can a moderator edit this kind of content (edit-and-approve)?"""
    return kind in _EDITORS


def do_edit_content(item: ReviewItem, new_text: str, acting_user: User) -> None:
    """Replace the content's text (a moderator's redaction); the old text stays in history."""
    _EDITORS[item.content_kind](item.content_id, new_text, acting_user)


def access_removed_own_post(post_id: int, user: User | None) -> Post:
    """A post a moderator removed, for its author to edit and resubmit."""
    post = db.session.get(Post, post_id, options=[lazyload(Post.author)])
    if (post is None or user is None or not getattr(user, "is_authenticated", False)
            or post.author_id != user.id or post.status != REMOVED or post.deleted_at):
        raise NotFound()
    return post


def removed_posts_of(user: User) -> list[Post]:
    """The member's posts a moderator removed, which they may edit and send again."""
    return list(db.session.scalars(
        select(Post).options(lazyload(Post.author)).where(
            Post.author_id == user.id, Post.status == REMOVED, Post.deleted_at.is_(None)
        ).order_by(Post.id.desc()).limit(20)
    ))


def check_resubmit(post_id: int, body: str, *, acting_user: User) -> Post:
    """The author edits a removed post and sends it back to the moderators (held until then)."""
    from .posts import BODY_MAX, can_post, clean_text, render_body

    post = access_removed_own_post(post_id, acting_user)
    if not can_post(acting_user):
        raise NotFound()
    body = clean_text(body)
    if not body.strip() or len(body) > BODY_MAX:
        raise ValidationFailed({"body": [str(_l("Please write something first."))]})
    verdict = screening.screen_text(body, scope="post", author=acting_user)
    if verdict.action == "block":
        raise ContentRejected(verdict, field="body")
    db.session.add(PostRevision(post_id=post.id, title=None, body_md=post.body_md,
                                content_note=post.content_note))
    post.body_md = body
    post.edited_at = clock.now()
    render_body(post)
    post.status = HELD
    post.hold_message = str(_l("Thank you for editing. A moderator will look at it soon."))
    review_queue.do_enqueue("post", post.id, verdict=verdict if verdict.needs_review else None)
    db.session.commit()
    return post


def thread_of(item: ReviewItem) -> Thread | None:
    """The thread a post item belongs to, for a link."""
    if item.content_kind != "post":
        return None
    post = db.session.get(Post, item.content_id)
    return post.thread if post else None


def register() -> None:
    """Tell the queue where posts and reports live and who wrote them."""
    review_queue.register_locator("post", _locate_post)
    review_queue.register_locator("report", _locate_report)
