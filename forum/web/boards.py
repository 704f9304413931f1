"""Boards: the board page, starting a thread, admins' board editing, and search."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ContentRejected, PermissionDenied, ValidationFailed
from ..extensions import limiter
from ..row_ids import query_number
from ..services.accounts import standing
from ..services.threads import boards, page as thread_page, posts, reading as threads, search
from ..services.threads.posts import HoldNudge
from .posting import (
    account_bucket,
    after_posting,
    post_views,
    posting_limit,
    search_limit,
    thread_views,
)
from .thread_forms import BoardForm, NewThreadForm
from .util import verdict_errors

bp = Blueprint("boards", __name__)


@bp.get("/c/<slug>")
def board(slug: str):
    """A board: its threads by last activity, with unread markers for members."""
    the_board = thread_page.access_board_row(slug)
    cursor = threads.Cursor.decode(request.args.get("cursor"))
    page, next_cursor = thread_page.board_rows(the_board, cursor=cursor)
    viewer = current_user if current_user.is_authenticated else None
    return render_template(
        "boards/board.html",
        board=the_board,
        threads=thread_views(page, viewer),
        next_cursor=next_cursor.encode() if next_cursor else None,
        first_page=cursor is None,
        unread=threads.unread_thread_ids(viewer, page),
        waiting=threads.my_hidden_threads(the_board, viewer) if cursor is None else [],
        can_post=standing.can_write(viewer),
        can_manage=boards.can_manage_boards(viewer),
    )


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@limiter.limit(posting_limit, key_func=account_bucket, methods=["POST"])
@login_required
def new_thread(slug: str):
    """Start a thread: title, body, anonymous and a content note; screened before saving."""
    the_board = threads.access_board(slug)
    if not standing.can_write(current_user):
        raise PermissionDenied()
    form = NewThreadForm()
    errors: dict = {}
    nudge = None
    status = 200
    if form.validate_on_submit():
        try:
            result = posts.check_create_thread(
                the_board, form.title.data or "", form.body.data or "",
                anonymous=bool(form.anonymous.data),
                content_note=form.content_warning.data or None,
                acting_user=current_user,
                confirm_hold=form.confirm_hold.data == "yes",
            )
        except ValidationFailed as exc:
            errors, status = exc.reasons, 400
        except ContentRejected as exc:
            errors, status = verdict_errors(exc), 400
        except HoldNudge as exc:
            nudge = exc.verdict
        else:
            after_posting(result)
            return redirect(url_for("threads.thread", thread_id=result.post.thread_id))
    elif form.is_submitted():
        errors, status = dict(form.errors), 400
    form.confirm_hold.data = ""
    return render_template("threads/new.html", board=the_board, form=form, errors=errors,
                           nudge=nudge), status


@bp.route("/boards/new", methods=["GET", "POST"], defaults={"slug": None})
@bp.route("/c/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_board(slug: str | None):
    """Admins create a board or change its name, description, order and content note."""
    if not boards.can_manage_boards(current_user):
        raise PermissionDenied()
    the_board = threads.access_board(slug) if slug else None
    form = BoardForm(obj=the_board) if the_board and not request.form else BoardForm()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            saved = boards.check_save_board(
                the_board, slug=form.slug.data or "", name=form.name.data or "",
                description=form.description.data or "", position=form.position.data or 0,
                content_note=form.content_note.data, acting_user=current_user,
            )
        except ValidationFailed as exc:
            errors = exc.reasons
        except ContentRejected as exc:
            errors = verdict_errors(exc)
        else:
            flash(_("Board saved."), "success")
            return redirect(url_for("boards.board", slug=saved.slug))
    elif form.is_submitted():
        errors = dict(form.errors)
    return render_template("boards/edit.html", form=form, board=the_board, errors=errors), (
        400 if errors else 200
    )


@bp.get("/search")
@limiter.limit(search_limit, key_func=account_bucket)
def search_page():
    """Search the posts, meetings and boards everyone may see."""
    query = (request.args.get("q") or "").strip()[:200]
    page = min(query_number(request.args.get("page")) or 1, search.MAX_PAGES)
    found = search.search(query, page=page)
    views = post_views([hit.post for hit in found.posts], with_reactions=False)
    return render_template(
        "threads/search.html", q=query, found=found, page=page,
        results=list(zip(found.posts, views, strict=True)),
    )
