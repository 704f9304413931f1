"""The moderation team's other pages: the member's inbox and strikes (with appeals), the team
inbox, appeals to decide, shifts, the audit log and the team view."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import User
from ..row_ids import query_number
from ..services import clock, review_queue
from ..services.accounts.account import find_by_pseudonym
from ..services.review import (
    audit_log,
    content as review_content,
    duty,
    inbox as mod_inbox,
    sanctions,
    stats as team_stats,
)
from .review_forms import AppealDecisionForm, AppealForm, MessageForm, ShiftForm

bp = Blueprint("team", __name__)


def init_app(app: Flask) -> None:
    """Header context: is a moderator on duty, the next shift, unread team messages."""

    @app.context_processor
    def _duty_context():
        def duty_status():
            return duty.header_status()

        def team_unread() -> int:
            if not current_user.is_authenticated:
                return 0
            return mod_inbox.unread_for_member(current_user)

        def is_reviewer() -> bool:
            return review_queue.can_review(current_user)

        return {"duty_status": duty_status, "team_unread": team_unread, "is_reviewer": is_reviewer}


def _errors(exc: ValidationFailed) -> None:
    for messages in exc.reasons.values():
        for m in messages:
            flash(m, "error")


@bp.route("/inbox", methods=["GET", "POST"])
@login_required
def inbox():
    """The member's private conversation with the moderation team."""
    form = MessageForm()
    if form.validate_on_submit():
        try:
            mod_inbox.check_member_message(form.body.data, acting_user=current_user)
            flash(_("Sent to the moderation team. Someone will reply here."), "success")
            return redirect(url_for("team.inbox"))
        except ValidationFailed as exc:
            _errors(exc)
        except ContentRejected as exc:
            flash(getattr(exc.verdict, "message", None) or _("This can't be sent."), "error")
    messages = mod_inbox.conversation(current_user)
    mod_inbox.do_mark_read_by_member(current_user)
    return render_template("team/inbox.html", messages=messages, form=form,
                           removed=review_content.removed_posts_of(current_user))


@bp.get("/review/inbox")
@login_required
def team_inbox():
    """Conversations with members, for moderators."""
    rows = mod_inbox.team_inbox(acting_user=current_user)
    return render_template("team/team_inbox.html", rows=rows)


@bp.route("/review/inbox/<int:member_id>", methods=["GET", "POST"])
@login_required
def conversation(member_id: int):
    """One member's conversation with the team; moderators reply as the team."""
    if not review_queue.can_review(current_user):
        raise NotFound()
    member = db.session.get(User, member_id)
    if member is None:
        raise NotFound()
    form = MessageForm()
    if form.validate_on_submit():
        try:
            mod_inbox.check_team_message(member.id, form.body.data, acting_user=current_user)
            flash(_("Sent privately."), "success")
            return redirect(url_for("team.conversation", member_id=member.id))
        except ValidationFailed as exc:
            _errors(exc)
    return render_template("team/conversation.html", member=member, form=form,
                           messages=mod_inbox.conversation(member))


@bp.get("/strikes")
@login_required
def strikes():
    """The member's strikes with their reasons, and the appeal form where allowed."""
    items = sanctions.strikes_of(current_user)
    now = clock.now()
    return render_template("team/strikes.html", strikes=items, form=AppealForm(formdata=None),
                           can_appeal=lambda s: sanctions.can_appeal(s, now), now=now,
                           kinds=sanctions.KINDS)


@bp.post("/strikes/<int:sanction_id>/appeal")
@login_required
def appeal(sanction_id: int):
    """Appeal a strike once within 20 days."""
    form = AppealForm()
    if not form.validate_on_submit():
        flash(_("Please say why the strike should go."), "error")
        return redirect(url_for("team.strikes"))
    try:
        sanctions.check_appeal(sanction_id, form.text.data, acting_user=current_user)
        flash(_("Your appeal was sent. A different moderator will decide it."), "success")
    except ValidationFailed as exc:
        _errors(exc)
    return redirect(url_for("team.strikes"))


@bp.get("/review/appeals")
@login_required
def appeals():
    """Appeals waiting for a moderator who did not give the strike."""
    pending = sanctions.pending_appeals(acting_user=current_user)
    return render_template("team/appeals.html", appeals=pending,
                           form=AppealDecisionForm(formdata=None), kinds=sanctions.KINDS)


@bp.post("/review/appeals/<int:appeal_id>")
@login_required
def decide_appeal(appeal_id: int):
    """Uphold or overturn an appeal."""
    if not review_queue.can_review(current_user):
        raise NotFound()
    form = AppealDecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose a decision and give a reason."), "error")
        return redirect(url_for("team.appeals"))
    try:
        sanctions.check_decide_appeal(appeal_id, form.outcome.data == "overturn",
                                      form.reason.data, acting_user=current_user)
        flash(_("Appeal decided."), "success")
    except ValidationFailed as exc:
        _errors(exc)
    except PermissionDenied:
        flash(_("A different moderator must decide an appeal against your own strike."),
              "error")
    return redirect(url_for("team.appeals"))


@bp.route("/review/shifts", methods=["GET", "POST"])
@login_required
def shifts():
    """Shifts: everyone on the team sees them; admins add them."""
    if not review_queue.can_review(current_user):
        raise NotFound()
    form = ShiftForm()
    if request.method == "POST":
        if not current_user.has_role("admin"):
            raise PermissionDenied()
        if form.validate_on_submit():
            moderator = find_by_pseudonym(form.moderator.data) if form.moderator.data else None
            try:
                duty.check_add_shift(form.starts_at.data.replace(tzinfo=UTC),
                                     form.ends_at.data.replace(tzinfo=UTC),
                                     moderator=moderator, acting_user=current_user)
                flash(_("Shift added."), "success")
                return redirect(url_for("team.shifts"))
            except ValidationFailed as exc:
                _errors(exc)
        else:
            flash(_("Give a start and an end."), "error")
    names = {u.id: u.pseudonym for u in db.session.query(User).filter(
        User.id.in_([s.user_id for s in duty.upcoming_shifts() if s.user_id]))}
    return render_template("team/shifts.html", form=form, shifts=duty.upcoming_shifts(),
                           names=names, on_duty=duty.on_duty_users(),
                           is_admin=current_user.has_role("admin"))


@bp.post("/review/shifts/<int:shift_id>/delete")
@login_required
def delete_shift(shift_id: int):
    """Admins remove a shift."""
    duty.check_delete_shift(shift_id, acting_user=current_user)
    flash(_("Shift removed."), "success")
    return redirect(url_for("team.shifts"))


@bp.get("/review/audit")
@login_required
def audit_page():
    """The audit log, filtered: admins and supervisors."""
    flt = audit_log.AuditFilter.parse(request.args)
    page = query_number(request.args.get("page")) or 1
    rows, total = audit_log.browse(flt, page=page, acting_user=current_user)
    return render_template("team/audit.html", rows=rows, total=total, flt=flt, page=page,
                           per_page=audit_log.PAGE_SIZE)


@bp.get("/review/team")
@login_required
def team_view():
    """Queue size over time, time to first action, decisions by category (admins)."""
    data = team_stats.team_view(acting_user=current_user)
    return render_template("team/team.html", **data)
