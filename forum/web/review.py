"""The review queue (/review): the ordered, filtered list, one item with its context, claims,
decisions, follow-ups, caring messages and sanctions from an item."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import moderation
from ..errors import ContentRejected, NotFound, ValidationFailed
from ..extensions import db
from ..models import ReviewItem, User
from ..models.review import OPEN, PRIORITIES, STATUSES
from ..row_ids import query_number
from ..services import clock, review_queue
from ..services.review import (
    claims as review_claims,
    content as review_content,
    decisions as review_decisions,
    duty,
    inbox as mod_inbox,
    sanctions,
    wellbeing,
)
from ..services.review.alerts import ESCALATE_AFTER
from .review_forms import (
    DecisionForm,
    DutyForm,
    FollowupForm,
    MessageForm,
    ResubmitForm,
    SanctionForm,
)

bp = Blueprint("review", __name__)


def _moderator_only() -> None:
    if not review_queue.can_review(current_user):
        raise NotFound()


def _flash_errors(exc: ValidationFailed) -> None:
    for messages in exc.reasons.values():
        for message in messages:
            flash(message, "error")


def _item(item_id: int) -> ReviewItem:
    return review_queue.access_item(item_id, acting_user=current_user)


def _semantic() -> dict:
    try:
        return moderation.status().get("semantic") or {}
    except Exception:  # the page must render even while the pipeline is being set up
        return {}


def _classifier() -> dict:
    try:
        return moderation.status().get("classifier") or {}
    except Exception:  # the page must render even while the pipeline is being set up
        return {}


@bp.get("/review")
@login_required
def queue():
    """The queue: urgent first, then oldest first; filters and counts per category."""
    _moderator_only()
    flt = review_queue.QueueFilter.parse(request.args)
    page = query_number(request.args.get("page")) or 1
    items, total = review_queue.list_queue(flt, page=page, acting_user=current_user)
    now = clock.now()
    trained = review_claims.can_handle_risk(current_user)
    boards, rooms = review_content.filter_choices()
    return render_template(
        "review/queue.html", items=items, total=total, flt=flt, page=page,
        previews=review_content.previews(items, acting_user=current_user),
        places=review_content.places(items), board_choices=boards, room_choices=rooms,
        per_page=review_queue.PAGE_SIZE, counts=review_queue.category_counts(flt.status),
        statuses=STATUSES, priorities=PRIORITIES, now=now, trained=trained,
        target_s=int(ESCALATE_AFTER.total_seconds()), classifier=_classifier(),
        semantic=_semantic(),
        on_duty=duty.is_on_duty(current_user), duty_form=DutyForm(formdata=None),
        claimant=lambda item: review_claims.active_claimant(item, now),
        claimable={i.id for i in items if review_claims.can_claim(i, current_user)},
    )


@bp.get("/review/pulse")
@login_required
def pulse():
    """Urgent items waiting, for the page's live panel (polled by static/js/review.js)."""
    _moderator_only()
    items, _total = review_queue.list_queue(
        review_queue.QueueFilter(status=OPEN), per_page=20, acting_user=current_user)
    now = clock.now()
    urgent = [
        {"id": i.id, "priority": i.priority, "categories": list(i.categories or []),
         "age_s": int((now - i.created_at).total_seconds())}
        for i in items if i.priority == "urgent"
    ]
    return jsonify({"urgent": urgent})


@bp.get("/review/<int:item_id>")
@login_required
def item(item_id: int):
    """One item: content with highlighted spans, reasons, reports, context and author summary;
    on items about risk to the author, reaching out comes first and the text stays folded."""
    _moderator_only()
    return _item_page(_item(item_id))


def _item_page(it: ReviewItem, decision: DecisionForm | None = None,
               errors: dict | None = None, status: int = 200):
    """The item page; after a refused decision, with the posted form and why it was refused."""
    readable = review_claims.can_read(it, current_user)
    now = clock.now()
    if readable and it.is_risk and decision is None:
        wellbeing.do_record_view(it, current_user, now)
    care = review_decisions.needs_care(it)
    followup = FollowupForm(formdata=None)
    followup.outcome.choices = [SelectChoice(k, str(v)) for k, v in
                                review_decisions.FOLLOWUP_OUTCOMES.items()]
    offered = review_decisions.decisions_for(it)
    posted = decision is not None
    if decision is None:
        decision = DecisionForm(formdata=None)
    # On a risk item nothing is chosen for the moderator, and editing is a separate, folded
    # form: its text box would show the whole disclosure unfolded.
    choices = [c for c in decision.decision.choices
               if c.value in offered and not (care and c.value == "edit")]
    placeholder = [SelectChoice("", _("Choose a decision"))] if care else []
    decision.decision.choices = placeholder + choices
    message_form = MessageForm(formdata=None)
    chosen = request.args.get("template")
    # Caring messages start in the language the member reads the forum in.
    templates = mod_inbox.caring_templates(mod_inbox.member_language(it.author_id))
    for template in templates:
        if template.slug == chosen:
            message_form.body.data = template.body
    content = review_content.content_of(it) if readable else None
    editable = "edit" in offered
    edit_loaded = editable and (
        not care or request.args.get("edit") == "1"
        or (posted and decision.decision.data == "edit"))
    if content is not None and edit_loaded and not posted:
        decision.new_text.data = content.text
    return render_template(
        "review/item.html", item=it, readable=readable, content=content, now=now, care=care,
        strikable=sanctions.can_strike_over(it), editable=editable, edit_loaded=edit_loaded,
        reports=review_content.reports_of(it, acting_user=current_user) if readable else [],
        summary=sanctions.author_summary(it, now) if readable else None,
        can_claim=review_claims.can_claim(it, current_user),
        claimant_id=review_claims.active_claimant(it, now),
        claimant=db.session.get(User, it.claimed_by_id) if it.claimed_by_id else None,
        decision_form=decision, followup_form=followup, message_form=message_form,
        sanction_form=SanctionForm(formdata=None), templates=templates,
        thread=review_content.thread_of(it) if readable else None,
        break_hint=wellbeing.break_suggestion(current_user, now),
        outcomes=review_decisions.FOLLOWUP_OUTCOMES, classifier=_classifier(), semantic=_semantic(),
        is_admin=current_user.has_role("admin"), decision_errors=errors or {},
        followup_required=review_decisions.followup_required(it, "approve"),
    ), status


def _back(item_id: int):
    return redirect(url_for("review.item", item_id=item_id))


@bp.post("/review/<int:item_id>/claim")
@login_required
def claim(item_id: int):
    """Claim the item so nobody else acts on it at the same time."""
    _moderator_only()
    it = _item(item_id)  # the CSRF token is checked for every POST by CSRFProtect
    try:
        review_claims.check_claim(it, acting_user=current_user)
        flash(_("You are working on this item."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return _back(item_id)


@bp.post("/review/<int:item_id>/release")
@login_required
def release(item_id: int):
    """Let go of a claim (an admin may release anyone's)."""
    _moderator_only()
    review_claims.check_release(_item(item_id), acting_user=current_user)
    flash(_("The claim is released."), "success")
    return _back(item_id)


@bp.post("/review/<int:item_id>/decide")
@login_required
def decide(item_id: int):
    """Approve, remove, edit-and-approve, escalate or dismiss, with a kept reason."""
    _moderator_only()
    it = _item(item_id)
    form = DecisionForm()
    # A refused decision shows the page again with what was typed, never an emptied form.
    if not form.validate_on_submit():
        errors = {"": [_("Choose a decision and give a reason.")]}
        if form.followup_needed.errors:
            errors["followup_needed"] = list(form.followup_needed.errors)
        return _item_page(it, form, errors, 400)
    try:
        review_decisions.check_decide(
            it, form.decision.data, form.reason.data, acting_user=current_user,
            new_text=form.new_text.data, whole_disclosure=form.whole_disclosure.data,
            followup_needed=form.followup_answer())
    except ValidationFailed as exc:
        db.session.rollback()  # a claim taken on the way was not saved: the page says so
        return _item_page(it, form, exc.reasons, 400)
    flash(_("Decision saved."), "success")
    return redirect(url_for("review.queue"))


@bp.post("/review/<int:item_id>/followup")
@login_required
def followup(item_id: int):
    """Record the follow-up outcome of a risk item."""
    _moderator_only()
    it = _item(item_id)
    form = FollowupForm()
    form.outcome.choices = [SelectChoice(k, str(v)) for k, v in
                            review_decisions.FOLLOWUP_OUTCOMES.items()]
    if not form.validate_on_submit():
        flash(_("Choose an outcome."), "error")
        return _back(item_id)
    try:
        review_decisions.check_followup(it, form.outcome.data, form.note.data or "",
                                        acting_user=current_user)
        flash(_("Follow-up recorded."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return _back(item_id)


@bp.post("/review/<int:item_id>/message")
@login_required
def message(item_id: int):
    """Send the author a private supportive message from the team."""
    _moderator_only()
    it = _item(item_id)
    form = MessageForm()
    if not form.validate_on_submit():
        flash(_("Please write something first."), "error")
        return _back(item_id)
    try:
        review_decisions.check_caring_message(it, form.body.data, acting_user=current_user)
        flash(_("Your message was sent privately."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return _back(item_id)


@bp.post("/review/<int:item_id>/sanction")
@login_required
def sanction(item_id: int):
    """Give the item's author a strike (warn, mute or suspend) with a reason."""
    _moderator_only()
    it = _item(item_id)
    form = SanctionForm()
    member = db.session.get(User, it.author_id) if it.author_id else None
    if member is None or not form.validate_on_submit():
        flash(_("Choose a sanction and give a reason."), "error")
        return _back(item_id)
    try:
        sanctions.check_sanction(member, form.kind.data, form.reason.data, days=form.days.data or 0,
                                 item=it, acting_user=current_user)
        flash(_("The strike is recorded; the member can see it and appeal."), "success")
    except ValidationFailed as exc:
        _flash_errors(exc)
    return _back(item_id)


@bp.post("/review/duty")
@login_required
def set_duty():
    """Go on or off duty."""
    _moderator_only()
    form = DutyForm()
    if not form.validate_on_submit():
        abort(400)
    duty.check_set_duty(form.on.data == "1", acting_user=current_user)
    flash(_("You are on duty.") if form.on.data == "1" else _("You are off duty. Thank you."),
          "success")
    return redirect(url_for("review.queue"))


@bp.route("/p/<int:post_id>/resubmit", methods=["GET", "POST"])
@login_required
def resubmit(post_id: int):
    """The author edits a removed post and sends it back to the moderators."""
    post = review_content.access_removed_own_post(post_id, current_user)
    form = ResubmitForm()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            review_content.check_resubmit(post.id, form.body.data, acting_user=current_user)
        except ValidationFailed as exc:
            errors = exc.reasons
        except ContentRejected as exc:
            errors = {"body": [getattr(exc.verdict, "message", None) or _("This can't be used.")]}
        else:
            flash(_("Thank you. A moderator will look at your edited post."), "success")
            return redirect(url_for("team.inbox"))
    elif request.method == "GET":
        form.body.data = post.body_md
    return render_template("review/resubmit.html", form=form, post=post, errors=errors,
                           reason=post.removed_reason)
