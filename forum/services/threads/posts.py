"""Writing threads and posts: every title, body and edit screened once, the verdict applied.

allow → published; flag → published and queued; hold → shown to its author and moderators only
until approved; block → ContentRejected, nothing saved. Held for pii or harassment, the author is
first nudged (HoldNudge) and may edit or post anyway into review.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ...errors import ContentRejected, ForumError, NotFound, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models import Board, Post, PostRevision, Thread, User
from ...models.base import utcnow
from ...models.threads import HELD, PUBLISHED, REMOVED
from ...moderation.render import RENDERER_VERSION, render_markdown
from ...moderation.verdict import ACTION_RANK, PRIORITY_RANK
from ...row_ids import is_row_id
from .. import audit, review_queue, screening, transaction
from ..accounts import step_up
from ..accounts.standing import can_write
from ..chat import badges as staff_badges
from . import notifications
from .reading import can_see_post, is_moderator

log = logging.getLogger("forum.posts")

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 20_000
NUDGE_CATEGORIES = frozenset({"pii", "harassment"})
CONTENT_NOTES = {
    "relapse": _l("Relapse details"),
    "self-harm": _l("Self-harm mention"),
    "suicidal-thoughts": _l("Suicidal thoughts"),
    "substance-use": _l("Substance use details"),
    "grief": _l("Grief and loss"),
    "abuse": _l("Abuse or trauma"),
}
# What other members read before a post the pipeline gave a note (Verdict.auto_note).
AUTO_NOTE_TEXT = {
    "suicidal-thoughts": _l("This post talks about suicidal thoughts or self-harm. Open when"
                            " you are ready."),
    "overdose": _l("This post talks about an overdose or a medical emergency. Open when you"
                   " are ready."),
}


def auto_note_for(post: Any, *, mine: bool) -> str | None:
    """The automatic note a viewer reads before this post: none for its writer, and none
    when the writer chose a note of their own (theirs is shown instead)."""
    if mine or post.content_note in CONTENT_NOTES or post.auto_note not in AUTO_NOTE_TEXT:
        return None
    return str(AUTO_NOTE_TEXT[post.auto_note])


class HoldNudge(ForumError):
    """The text would be held for pii or harassment: show why, let the author edit or go on."""

    code = "nudge"

    def __init__(self, verdict: Any):
        self.verdict = verdict
        super().__init__(getattr(verdict, "message", None) or "")


@dataclass(frozen=True)
class PostResult:
    """The saved post and the verdict that decided its state."""

    post: Post
    verdict: Any

    @property
    def held(self) -> bool:
        """True when the post waits for a moderator."""
        return self.post.status == HELD


def combine_verdicts(*verdicts: Any) -> Any:
    """One verdict for several texts: strictest action, union of categories, highest priority."""
    strictest = max(verdicts, key=lambda v: ACTION_RANK[v.action])
    priorities = [v.priority for v in verdicts if v.priority]
    return replace(
        strictest,
        categories=tuple(sorted({c for v in verdicts for c in v.categories})),
        priority=max(priorities, key=PRIORITY_RANK.__getitem__) if priorities else None,
        reasons=tuple(r for v in verdicts for r in v.reasons),
        resources=tuple(dict.fromkeys(r for v in verdicts for r in v.resources)),
        message=strictest.message or next((v.message for v in verdicts if v.message), None),
        classifier_unavailable=any(v.classifier_unavailable for v in verdicts),
        semantic_unavailable=any(v.semantic_unavailable for v in verdicts),
    )


def clean_text(text: str | None) -> str:
    """Member text as stored: NUL characters dropped (PostgreSQL refuses them in text)."""
    return (text or "").replace("\x00", "")


def _check_text(title: str | None, body: str, note: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if title is not None and not (TITLE_MIN <= len(title) <= TITLE_MAX):
        errors["title"] = [str(_l("Use %(a)d to %(b)d characters for the title.",
                                  a=TITLE_MIN, b=TITLE_MAX))]
    if not body.strip():
        errors["body"] = [str(_l("Please write something first."))]
    elif len(body) > BODY_MAX:
        errors["body"] = [str(_l("Please keep a post under %(n)d characters.", n=BODY_MAX))]
    if note and note not in CONTENT_NOTES:
        errors["content_warning"] = [str(_l("Choose a content note from the list."))]
    if errors:
        raise ValidationFailed(errors)


def _screen(title: str | None, body: str, author: User) -> tuple[Any, str]:
    """Screen each text once; returns the combined verdict and the field that decided it."""
    body_verdict = screening.screen_text(body, scope="post", author=author)
    if title is None:
        return body_verdict, "body"
    title_verdict = screening.screen_text(title, scope="title", author=author)
    field = "title" if ACTION_RANK[title_verdict.action] > ACTION_RANK[body_verdict.action] else (
        "body"
    )
    return combine_verdicts(title_verdict, body_verdict), field


def _refuse_or_nudge(verdict: Any, field: str, confirm_hold: bool) -> None:
    if verdict.action == "block":
        raise ContentRejected(verdict, field=field)
    if (
        verdict.action == "hold"
        and not confirm_hold
        and not verdict.is_risk_to_author
        and NUDGE_CATEGORIES.intersection(verdict.categories)
    ):
        raise HoldNudge(verdict)


def render_body(post: Post) -> None:
    """Render the Markdown to sanitized HTML and remember which renderer did it."""
    post.body_html = str(render_markdown(post.body_md))
    post.renderer_version = RENDERER_VERSION


def ensure_rendered(posts: list[Post]) -> None:
    """Re-render cached HTML made by an older renderer (after a renderer change)."""
    stale = [p for p in posts if p.renderer_version != RENDERER_VERSION]
    for post in stale:
        render_body(post)
    if stale:
        transaction.commit()


def _sync_visibility(post: Post) -> None:
    post.visible = post.status == PUBLISHED and post.deleted_at is None
    if post.is_opening:
        post.thread.visible = post.visible


def refresh_thread_stats(thread: Thread) -> None:
    """Recount the visible replies and the last visible post, after something was hidden."""
    db.session.flush()
    count, last_id, last_at = db.session.execute(
        select(
            func.count(Post.id).filter(Post.is_opening.is_(False)),
            func.max(Post.id),
            func.max(Post.published_at),
        ).where(Post.thread_id == thread.id, Post.visible.is_(True))
    ).one()
    thread.reply_count = count or 0
    thread.last_post_id = last_id or 0
    thread.last_activity_at = last_at or thread.created_at


def after_change(post: Post, verdict: Any | None, *, was_visible: bool) -> None:
    """Queue, remember for rescreening, publish side effects, keep thread counts right."""
    _sync_visibility(post)
    db.session.flush()
    if verdict is not None:
        if verdict.needs_review:
            review_queue.do_enqueue("post", post.id, verdict=verdict)
        screening.remember_if_needed(verdict, "post", post.id, scope="post")
    thread = post.thread
    if post.visible and post.published_at is None:
        post.published_at = utcnow()
        if thread.visible:
            if not post.is_opening:
                # Counted in SQL, not from the row as this request read it: replies written
                # at the same moment each count.
                thread.reply_count = Thread.reply_count + 1
                db.session.flush()
            thread.last_post_id = max(thread.last_post_id, post.id)
            thread.last_activity_at = post.published_at
            notifications.do_notify_for(post)
    elif was_visible != post.visible or post.is_opening:
        refresh_thread_stats(thread)


def _new_post(thread: Thread, author: User, body: str, *, anonymous: bool, note: str | None,
              verdict: Any, is_opening: bool, quote_of_id: int | None = None) -> Post:
    post = Post(
        thread=thread, author_id=author.id, is_opening=is_opening, anonymous=anonymous,
        body_md=body, content_note=note or None, auto_note=verdict.auto_note,
        quote_of_id=quote_of_id,
        status=HELD if verdict.action == "hold" else PUBLISHED,
        hold_message=verdict.message if verdict.action == "hold" else None,
        created_at=utcnow(), author_badge=staff_badges.post_badge(author, anonymous=anonymous),
    )
    render_body(post)
    db.session.add(post)
    return post


def check_create_thread(
    board: Board, title: str, body: str, *, anonymous: bool, content_note: str | None,
    acting_user: User, confirm_hold: bool = False,
) -> PostResult:
    """Start a thread: validate, screen title and body once each, apply the verdict."""
    if not can_write(acting_user):
        raise PermissionDenied()
    title = clean_text(title).strip()
    body = clean_text(body)
    _check_text(title, body, content_note)
    verdict, field = _screen(title, body, acting_user)
    _refuse_or_nudge(verdict, field, confirm_hold)
    now = utcnow()
    thread = Thread(
        board_id=board.id, author_id=acting_user.id, anonymous=anonymous, title=title,
        visible=False, created_at=now, last_activity_at=now,
    )
    db.session.add(thread)
    post = _new_post(thread, acting_user, body, anonymous=anonymous, note=content_note,
                     verdict=verdict, is_opening=True)
    after_change(post, verdict, was_visible=False)
    transaction.commit()
    log.info("thread created thread_id=%s post_id=%s action=%s", thread.id, post.id,
             verdict.action)
    return PostResult(post, verdict)


def check_reply(
    thread: Thread, body: str, *, anonymous: bool, content_note: str | None,
    acting_user: User, quote_of_id: int | None = None, confirm_hold: bool = False,
) -> PostResult:
    """Reply to a visible thread: validate, screen once, apply the verdict."""
    if not can_write(acting_user):
        raise PermissionDenied()
    if not thread.visible:
        raise NotFound()
    body = clean_text(body)
    _check_text(None, body, content_note)
    if quote_of_id is not None:
        # A hidden field a client can set to anything: out of range finds nothing.
        quoted = db.session.get(Post, quote_of_id) if is_row_id(quote_of_id) else None
        if quoted is None or quoted.thread_id != thread.id or not quoted.visible:
            quote_of_id = None
    verdict, field = _screen(None, body, acting_user)
    _refuse_or_nudge(verdict, field, confirm_hold)
    post = _new_post(thread, acting_user, body, anonymous=anonymous, note=content_note,
                     verdict=verdict, is_opening=False, quote_of_id=quote_of_id)
    after_change(post, verdict, was_visible=False)
    transaction.commit()
    log.info("reply created thread_id=%s post_id=%s action=%s", thread.id, post.id,
             verdict.action)
    return PostResult(post, verdict)


def access_own_post(post_id: int, user: User | None) -> Post:
    """A post its author may edit or delete; NotFound for missing and not-yours alike."""
    post = db.session.get(Post, post_id)
    if (
        post is None
        or user is None
        or not getattr(user, "is_authenticated", False)
        or post.author_id != user.id
        or post.deleted_at is not None
        or post.status == REMOVED
    ):
        raise NotFound()
    return post


def check_edit_post(
    post: Post, body: str, *, title: str | None, content_note: str | None, acting_user: User,
    confirm_hold: bool = False,
) -> PostResult:
    """Edit one's own post: screened again; a hold hides a published post until reviewed."""
    if not can_write(acting_user):
        raise PermissionDenied()
    post = access_own_post(post.id, acting_user)
    thread = post.thread
    new_title = clean_text(title).strip() if post.is_opening and title is not None else None
    body = clean_text(body)
    _check_text(new_title, body, content_note)
    title_changed = new_title is not None and new_title != thread.title
    verdict, field = _screen(new_title if title_changed else None, body, acting_user)
    _refuse_or_nudge(verdict, field, confirm_hold)
    db.session.add(PostRevision(
        post_id=post.id, title=thread.title if post.is_opening else None, body_md=post.body_md,
        content_note=post.content_note,
    ))
    was_visible = post.visible
    post.body_md = body
    post.content_note = content_note or None
    post.auto_note = verdict.auto_note
    post.edited_at = utcnow()
    render_body(post)
    if title_changed:
        thread.title = new_title
    if verdict.action == "hold":
        post.status = HELD
        post.hold_message = verdict.message
    after_change(post, verdict, was_visible=was_visible)
    transaction.commit()
    log.info("post edited post_id=%s action=%s", post.id, verdict.action)
    return PostResult(post, verdict)


def check_delete_post(post: Post, *, acting_user: User) -> None:
    """Delete one's own post: hidden from members, kept for moderators until retention."""
    post = access_own_post(post.id, acting_user)
    was_visible = post.visible
    post.deleted_at = utcnow()
    after_change(post, None, was_visible=was_visible)
    transaction.commit()
    log.info("post deleted by author post_id=%s", post.id)


def access_history(post_id: int, *, acting_user: User | None) -> tuple[Post, list[PostRevision]]:
    """A post's earlier versions, for moderators only."""
    post = db.session.get(Post, post_id)
    if post is None or not is_moderator(acting_user):
        raise NotFound()
    revisions = list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id)
    ))
    return post, revisions


def check_reveal_author(post_id: int, *, acting_user: User | None) -> User | None:
    """The real author of a post, for moderators who confirmed it is them within
    step_up.WINDOW; always writes an audit row, with how they confirmed."""
    post = db.session.get(Post, post_id)
    if post is None or not can_see_post(post, acting_user):
        raise NotFound()
    if not is_moderator(acting_user):
        raise PermissionDenied()
    method = step_up.require(acting_user)
    audit.record("post.reveal_author", acting_user=acting_user, target_type="post",
                 target_id=post.id, details=step_up.with_method({}, method) or None)
    transaction.commit()
    return db.session.get(User, post.author_id) if post.author_id else None


def review_approve(post_id: int, acting_user: User) -> None:
    post = db.session.get(Post, post_id)
    if post is None:
        return
    was_visible = post.visible
    if post.status in (HELD, REMOVED):
        post.status = PUBLISHED
        post.hold_message = None
    after_change(post, None, was_visible=was_visible)


def review_remove(post_id: int, reason: str, acting_user: User) -> None:
    post = db.session.get(Post, post_id)
    if post is None:
        return
    was_visible = post.visible
    post.status = REMOVED
    post.removed_at = utcnow()
    post.removed_by_id = acting_user.id
    post.removed_reason = reason
    after_change(post, None, was_visible=was_visible)


def rescreen_text(post_id: int) -> str | None:
    post = db.session.get(Post, post_id, options=[lazyload(Post.thread)])
    return post.body_md if post is not None else None


def rescreen_verdict(post_id: int, verdict: Any) -> None:
    """A late verdict (classifier back): queue or hold what the rules alone let through."""
    post = db.session.get(Post, post_id)
    if post is None or verdict.action == "allow":
        return
    was_visible = post.visible
    post.auto_note = verdict.auto_note or post.auto_note
    if verdict.action in ("hold", "block") and post.status == PUBLISHED:
        post.status = HELD
        post.hold_message = verdict.message
    review_queue.do_enqueue("post", post.id, verdict=verdict)
    _sync_visibility(post)
    if was_visible != post.visible:
        refresh_thread_stats(post.thread)
