"""Notifications inside the forum, and the member's milestone settings."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..row_ids import query_number
from ..services.accounts import milestones
from ..services.threads import notifications
from ..services.threads.reading import author_label
from .forms import EmptyForm
from .thread_forms import MilestoneForm

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """Give every template the header's unread count (one indexed query, members only)."""

    @app.context_processor
    def _notification_count():
        def unread_notifications() -> int:
            if not current_user.is_authenticated:
                return 0
            return notifications.unread_count(current_user)

        return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def index():
    """Replies to my threads, quotes of my posts, @mentions and support, newest first."""
    items = notifications.list_for(current_user, before=query_number(request.args.get("before")))
    return render_template(
        "notifications/index.html",
        items=items,
        supporters=notifications.support_counts(current_user, items),
        label=lambda post: author_label(post, current_user),
        form=EmptyForm(formdata=None),
    )


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    """Mark every notification as read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    notifications.do_mark_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one notification as read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    notifications.do_mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index"))


@bp.route("/milestone", methods=["GET", "POST"])
@login_required
def milestone():
    """Set, reset or hide a recovery start date; coming back after a relapse is counted kindly."""
    form = MilestoneForm()
    errors: dict = {}
    current = milestones.view(current_user)
    if request.method == "GET":
        form.recovery_start.data = current.recovery_start
        form.show_days.data = current.show_days
    elif form.validate_on_submit():
        try:
            milestones.check_set_start(
                current_user, form.recovery_start.data, came_back=bool(form.came_back.data),
                show_days=bool(form.show_days.data),
            )
        except ValidationFailed as exc:
            errors = exc.reasons
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.milestone"))
    else:
        errors = dict(form.errors)
    return render_template("notifications/milestone.html", form=form, view=current,
                           errors=errors), (400 if errors else 200)
