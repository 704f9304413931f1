"""Threads and posts: the thread page, replies, edits, deletion, reactions, reports, reveal."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    after_this_request,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..errors import ContentRejected, PermissionDenied, ValidationFailed
from ..extensions import limiter
from ..row_ids import parse_row_id, query_number
from ..services.accounts import standing
from ..services.support import crisis as crisis_support
from ..services.threads import (
    notifications,
    page as thread_page,
    posts,
    reactions,
    reading as threads,
    reports,
)
from ..services.threads.posts import HoldNudge
from .forms import EmptyForm
from .posting import (
    account_bucket,
    after_posting,
    pop_support,
    posting_limit,
    reaction_limit,
    report_limit,
    row_views,
    viewer_is_moderator,
)
from .thread_forms import EditPostForm, ReactForm, ReplyForm, ReportForm
from .util import verdict_errors

bp = Blueprint("threads", __name__)


def _viewer():
    return current_user if current_user.is_authenticated else None


def _icon_urls() -> dict[str, str]:
    sprite = url_for("static", filename=reactions.ICON_FILE)
    return {kind: f"{sprite}#{kind}" for kind in reactions.KINDS}


def _thread_context(thread, *, after=None, before=None, reply_form=None, errors=None,
                    nudge=None):
    viewer = _viewer()
    page = thread_page.post_rows(thread, viewer, after=after, before=before)
    ids = [p.id for p in page.posts]
    if viewer is not None and ids:
        unread_from = threads.last_read(viewer, thread)

        # After the page is rendered: committing earlier would expire the loaded posts.
        @after_this_request
        def _mark(response):
            threads.do_mark_read(viewer, thread, max(ids))
            notifications.do_mark_read_for_posts(viewer, ids)
            return response
    else:
        unread_from = None
    ctx = {
        "authenticated": viewer is not None,
        "unread_from": unread_from,
        "kinds": reactions.KINDS,
        "icons": _icon_urls(),
        "can_post": standing.can_write(viewer) and thread.visible,
        "is_moderator": viewer_is_moderator(),
        # The author's own posts that have a crisis panel: only they get its link.
        "support_posts": crisis_support.posts_with_support(
            [p.id for p in page.posts if viewer is not None and p.author_id == viewer.id],
            viewer),
    }
    return {
        "ctx": ctx,
        "thread": thread,
        "board": thread.board,
        "page": page,
        "views": row_views(page.posts, unread_from),
        "support": pop_support(set(ids)),
        # Visitors get no form: building one would mint a CSRF token and a session cookie.
        "reply_form": (reply_form or ReplyForm(formdata=None)) if ctx["can_post"] else None,
        "errors": errors or {},
        "nudge": nudge,
        "can_post": ctx["can_post"],
        "thread_author": thread_page.row_author_label(thread, viewer),
    }


@bp.get("/t/<int:thread_id>")
def thread(thread_id: int):
    """A thread, twenty posts at a time; held posts only for their author and moderators."""
    the_thread = thread_page.access_thread_head(thread_id, _viewer())
    after = query_number(request.args.get("after"))
    before = query_number(request.args.get("before"))
    return render_template("threads/thread.html", **_thread_context(
        the_thread, after=after, before=before))


def place_of(thread_id: int, post_id: int) -> str:
    """The thread page that holds this post for this viewer, scrolled to the post."""
    after = thread_page.page_after(thread_id, post_id, _viewer())
    return url_for("threads.thread", thread_id=thread_id, after=after, _anchor=f"p{post_id}")


@bp.get("/p/<int:post_id>")
def post_link(post_id: int):
    """A link to one post: the thread page that holds it, with the posts around it."""
    post = threads.access_post(post_id, _viewer())
    return redirect(place_of(post.thread_id, post.id))


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@limiter.limit(posting_limit, key_func=account_bucket, methods=["POST"])
@login_required
def reply(thread_id: int):
    """Reply to a thread (optionally quoting a post); screened before saving."""
    the_thread = threads.access_thread(thread_id, current_user)
    if not standing.can_write(current_user):
        raise PermissionDenied()
    form = ReplyForm()
    errors: dict = {}
    nudge = None
    status = 200
    if request.method == "GET":
        quote = query_number(request.args.get("quote"))
        if quote:
            quoted = threads.access_post(quote, current_user)
            if quoted.thread_id == the_thread.id and quoted.visible:
                form.quote_of.data = str(quoted.id)
                form.body.data = "\n".join("> " + line for line in quoted.body_md.splitlines())
                form.body.data += "\n\n"
        return render_template("threads/reply.html", thread=the_thread, form=form, errors={},
                               nudge=None)
    if form.validate_on_submit():
        quote_of = form.quote_of.data
        try:
            result = posts.check_reply(
                the_thread, form.body.data or "",
                anonymous=bool(form.anonymous.data),
                content_note=form.content_warning.data or None,
                acting_user=current_user,
                quote_of_id=parse_row_id(quote_of),
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
            return redirect(place_of(the_thread.id, result.post.id))
    else:
        errors, status = dict(form.errors), 400
    form.confirm_hold.data = ""
    return render_template("threads/reply.html", thread=the_thread, form=form, errors=errors,
                           nudge=nudge), status


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@limiter.limit(posting_limit, key_func=account_bucket, methods=["POST"])
@login_required
def edit(post_id: int):
    """Edit one's own post; the new text is screened again."""
    post = posts.access_own_post(post_id, current_user)
    form = EditPostForm()
    errors: dict = {}
    nudge = None
    status = 200
    if request.method == "GET":
        form.body.data = post.body_md
        form.title.data = post.thread.title
        form.content_warning.data = post.content_note or ""
    elif form.validate_on_submit():
        try:
            result = posts.check_edit_post(
                post, form.body.data or "",
                title=form.title.data if post.is_opening else None,
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
            if not result.held:
                flash(_("Your changes are saved."), "success")
            return redirect(place_of(post.thread_id, post.id))
    else:
        errors, status = dict(form.errors), 400
    form.confirm_hold.data = ""
    return render_template("threads/edit.html", post=post, form=form, errors=errors,
                           nudge=nudge), status


@bp.post("/p/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    """Delete one's own post (hidden; kept for moderators until retention erases it)."""
    post = posts.access_own_post(post_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    thread_id, opening = post.thread_id, post.is_opening
    posts.check_delete_post(post, acting_user=current_user)
    flash(_("Your post is deleted."), "success")
    if opening:
        return redirect(url_for("boards.board", slug=post.thread.board.slug))
    # Back where the post was: the post just before it, on its page.
    previous = thread_page.previous_post_id(thread_id, post_id, current_user)
    if previous is None:
        return redirect(url_for("threads.thread", thread_id=thread_id))
    return redirect(place_of(thread_id, previous))


def _wants_json() -> bool:
    """A script's fetch asks for JSON; a plain form submission asks for a page."""
    best = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return best == "application/json"


@bp.post("/p/<int:post_id>/react")
@limiter.limit(reaction_limit, key_func=account_bucket)
@login_required
def react(post_id: int):
    """Give (or take back) one supportive reaction: a page for a form, JSON for a script."""
    as_json = _wants_json()
    if as_json:
        # A script must prove itself with the header: a token in the body alone could come
        # from a form on another site that merely asks for JSON.
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    form = ReactForm()
    if not form.validate_on_submit():
        abort(400)
    kind = form.kind.data or ""
    try:
        given = reactions.check_toggle(post_id, kind, acting_user=current_user)
    except ValidationFailed as exc:
        if as_json:
            return jsonify(ok=False, message=str(exc)), 400
        flash(str(exc), "error")
        return redirect(url_for("threads.post_link", post_id=post_id), 303)
    if as_json:
        label = reactions.KINDS[kind]
        return jsonify(
            ok=True, post=post_id, kind=kind, given=given,
            count=reactions.count_of(post_id, kind),
            message=_("Reaction sent: %(label)s.", label=label) if given
            else _("Reaction taken back: %(label)s.", label=label),
        )
    thread_id = threads.access_post(post_id, current_user).thread_id
    return redirect(place_of(thread_id, post_id), 303)


@bp.route("/p/<int:post_id>/report", methods=["GET", "POST"])
@limiter.limit(report_limit, key_func=account_bucket, methods=["POST"])
@login_required
def report(post_id: int):
    """Report a post to the moderators, with a reason."""
    post = threads.access_post(post_id, current_user)
    form = ReportForm()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            reports.check_report(post.id, form.reason.data or "", acting_user=current_user)
        except ValidationFailed as exc:
            errors = exc.reasons
        except ContentRejected as exc:
            errors = verdict_errors(exc)
        else:
            flash(_("Thank you. A moderator will look at this post. The member will not be"
                    " told who reported it."), "success")
            return redirect(place_of(post.thread_id, post.id))
    elif form.is_submitted():
        errors = dict(form.errors)
    return render_template(
        "threads/report.html", post=post, form=form, errors=errors,
        author=threads.author_label(post, current_user),
        already=reports.has_reported(post.id, current_user),
    ), (400 if errors else 200)


@bp.post("/p/<int:post_id>/reveal")
@login_required
def reveal(post_id: int):
    """Moderators see the real author of an anonymous post; every look is audited."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    author = posts.check_reveal_author(post_id, acting_user=current_user)
    post = threads.access_post(post_id, current_user)
    return render_template("threads/reveal.html", post=post, author=author)


@bp.get("/p/<int:post_id>/history")
@login_required
def history(post_id: int):
    """Moderators see a post's earlier versions."""
    post, revisions = posts.access_history(post_id, acting_user=current_user)
    return render_template("threads/history.html", post=post, revisions=revisions)
