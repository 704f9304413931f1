"""Threads in a member's export and account deletion (registered with services.privacy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import lazyload

from ...extensions import db
from ...models import (
    Notification,
    Post,
    PostRevision,
    Reaction,
    Report,
    ReviewItem,
    Thread,
    ThreadRead,
    User,
)
from ..accounts import milestones
from .posts import refresh_thread_stats, render_body


def member_export(user: User) -> list[dict[str, Any]]:
    """The member's own posts, reactions and reports; nothing that names anyone else."""
    posts = db.session.scalars(
        select(Post).options(lazyload(Post.thread)).where(Post.author_id == user.id)
        .order_by(Post.id)
    )
    items: list[dict[str, Any]] = []
    for post in posts:
        thread = db.session.get(Thread, post.thread_id)
        items.append({
            "type": "post", "id": post.id, "thread_id": post.thread_id,
            "thread_title": thread.title if post.is_opening else None,
            "opening_post": post.is_opening, "anonymous": post.anonymous,
            "body_markdown": post.body_md, "content_note": post.content_note,
            "status": post.status, "created_at": post.created_at.isoformat(),
            "edited_at": post.edited_at.isoformat() if post.edited_at else None,
            "deleted_at": post.deleted_at.isoformat() if post.deleted_at else None,
        })
    for reaction in db.session.scalars(select(Reaction).where(Reaction.user_id == user.id)):
        items.append({"type": "reaction", "post_id": reaction.post_id, "kind": reaction.kind,
                      "created_at": reaction.created_at.isoformat()})
    for report in db.session.scalars(select(Report).where(Report.reporter_id == user.id)):
        items.append({"type": "report", "post_id": report.post_id, "reason": report.reason,
                      "created_at": report.created_at.isoformat()})
    view = milestones.view(user)
    if view.recovery_start is not None or view.came_back_count:
        items.append({
            "type": "milestone",
            "recovery_start": view.recovery_start.isoformat() if view.recovery_start else None,
            "show_days": view.show_days, "times_came_back": view.came_back_count,
        })
    return items


def member_erase(user: User, keep: bool) -> None:
    """keep: posts stay, shown as "deleted member"; otherwise the member's writing is erased."""
    user_id = user.id
    db.session.execute(delete(Reaction).where(Reaction.user_id == user_id))
    db.session.execute(delete(ThreadRead).where(ThreadRead.user_id == user_id))
    db.session.execute(delete(Notification).where(Notification.user_id == user_id))
    db.session.execute(update(Report).where(Report.reporter_id == user_id).values(
        reporter_id=None))
    milestones.erase(user)
    if keep:
        db.session.execute(update(Post).where(Post.author_id == user_id).values(author_id=None))
        db.session.execute(update(Thread).where(Thread.author_id == user_id).values(
            author_id=None))
        return
    reply_threads = set(db.session.scalars(select(Post.thread_id).where(
        Post.author_id == user_id, Post.is_opening.is_(False))))
    opening = db.session.execute(select(Post.id, Post.thread_id).where(
        Post.author_id == user_id, Post.is_opening.is_(True))).all()
    others = set(db.session.scalars(select(Post.thread_id).where(
        Post.thread_id.in_([tid for _pid, tid in opening]),
        Post.author_id.is_distinct_from(user_id),
    ))) if opening else set()
    # Threads where others replied keep the others' words; the opening text and title go.
    shared = [(pid, tid) for pid, tid in opening if tid in others]
    alone = [tid for _pid, tid in opening if tid not in others]
    my_ids = list(db.session.scalars(select(Post.id).where(Post.author_id == user_id)))
    if my_ids:
        db.session.execute(delete(ReviewItem).where(
            ReviewItem.content_kind == "post", ReviewItem.content_id.in_(my_ids)))
    if shared:
        shared_ids = [pid for pid, _tid in shared]
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(shared_ids)))
        for post in db.session.scalars(select(Post).where(Post.id.in_(shared_ids))):
            post.body_md = ""
            post.content_note = None
            post.author_id = None
            render_body(post)
        db.session.execute(update(Thread).where(Thread.id.in_([t for _p, t in shared])).values(
            title="", author_id=None))
    if alone:
        db.session.execute(delete(Thread).where(Thread.id.in_(alone)))
    db.session.execute(delete(Post).where(Post.author_id == user_id))
    db.session.flush()
    for thread in db.session.scalars(select(Thread).where(
            Thread.id.in_(reply_threads - set(alone)))):
        refresh_thread_stats(thread)
