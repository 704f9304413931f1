"""Admins manage people: find a member, grant and revoke roles, record and renew training.
The views are thin: services/accounts/people.py authorizes, confirms the password and audits."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..errors import NotFound, ValidationFailed
from ..extensions import db, limiter
from ..models import ROLES, User
from ..services import clock
from ..services.accounts import people, sign_ins, staff_gate, two_factor
from ..services.accounts.roles import TRAINING_MODULES
from .posting import account_bucket

bp = Blueprint("people", __name__, url_prefix="/review/team/people")

# Like log-in: each change is a password check, so a stolen admin session cannot guess
# the password quickly through this form.
DEFAULT_RATE_LIMIT = "30 per 15 minutes"
NAME_MAX = 64
# The service's field names, to the form's.
_FIELDS = {"role": "role", "password": "password", "module": "module",
           "completed": "completed_on", "expires": "expires_on"}


class _PeopleForm(FlaskForm):
    """Both forms share one page, so their fields are prefixed (role-..., training-...). The
    app-wide CSRFProtect checks the plain csrf_token field of every POST; a prefixed copy
    inside the form would only duplicate it."""

    class Meta:
        csrf = False


class RoleForm(_PeopleForm):
    """Grant or revoke one role; the pressed button (role-change) says which."""

    role = SelectField(_l("Role"), validators=[InputRequired()])
    password = PasswordField(_l("Your password, to confirm"),
                             validators=[InputRequired(), Length(max=256)])


class TrainingForm(_PeopleForm):
    """Record a completed training module, or renew one with a new completion."""

    module = SelectField(_l("Training"), validators=[InputRequired()])
    completed_on = DateField(_l("Completed on"), validators=[InputRequired()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    password = PasswordField(_l("Your password, to confirm"),
                             validators=[InputRequired(), Length(max=256)])


class EndSessionsForm(_PeopleForm):
    """End every session of an account: an optional reason for the audit log."""

    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Optional(),
                                                                         Length(max=200)])


def init_app(app: Flask) -> None:
    """The form's rate limit (FORUM_PEOPLE_RATE_LIMIT overrides it)."""
    app.config.setdefault("PEOPLE_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def people_limit() -> str:
    """The limit in force on changes."""
    return current_app.config["PEOPLE_RATE_LIMIT"]


def _role_form(*, blank: bool = False) -> RoleForm:
    """The role form, bound to the request's data unless blank."""
    form = RoleForm(prefix="role", **({"formdata": None} if blank else {}))
    form.role.choices = [SelectChoice(r, people.role_label(r)) for r in ROLES if r != "member"]
    return form


def _training_form(*, blank: bool = False, **data) -> TrainingForm:
    """The training form, bound to the request's data unless blank (then filled from data)."""
    form = TrainingForm(prefix="training", **({"formdata": None, "data": data} if blank else {}))
    form.module.choices = [SelectChoice(m, str(people.MODULE_LABELS.get(m, m)))
                           for m in TRAINING_MODULES]
    return form


def _blank_training_form(member: User | None) -> TrainingForm:
    """Today's completion; with ?module= (the Renew link), that module and its last period."""
    today = clock.now().date()
    module = request.args.get("module", "")
    expires = None
    if member is not None and module in TRAINING_MODULES:
        held = {t.module: t for t in people.training_status(member, acting_user=current_user)}
        period = held[module].renew_period if module in held else None
        expires = today + period if period else None
    else:
        module = TRAINING_MODULES[0]
    return _training_form(blank=True, module=module, completed_on=today, expires_on=expires)


def _errors(form: FlaskForm, reasons: dict) -> dict[str, list[str]]:
    """Errors keyed by the form's (prefixed) field names, as the template's macros expect."""
    out: dict[str, list[str]] = {}
    for key, messages in reasons.items():
        name = _FIELDS.get(key, key)
        target = form[name].name if name in form else ""
        out.setdefault(target, []).extend(str(m) for m in messages)
    return out


def _member(user_id: int) -> User:
    member = db.session.get(User, user_id)
    if member is None:
        raise NotFound()
    return member


def _render(member: User | None, *, name: str = "", status: int = 200, role_form=None,
            training_form=None, role_errors=None, training_errors=None):
    holders = people.holders(acting_user=current_user)
    return render_template(
        "team/people.html",
        name=name,
        member=member,
        member_roles=sorted(g.role for g in member.roles) if member else [],
        member_training=(people.training_status(member, acting_user=current_user)
                         if member else []),
        role_form=role_form or _role_form(blank=True),
        training_form=training_form or _blank_training_form(member),
        role_errors=role_errors or {},
        training_errors=training_errors or {},
        holders=holders,
        expired=sum(t.state == "expired" for h in holders for t in h.training),
        expiring=sum(t.state == "expiring" for h in holders for t in h.training),
        role_label=people.role_label,
        expiring_days=people.EXPIRING_DAYS,
    ), status


@bp.get("")
@login_required
def index():
    """Find a member, change their roles and training; everyone holding either, listed."""
    people.access_people(acting_user=current_user)
    name = request.args.get("name", "").strip()[:NAME_MAX]
    member = people.find_member(name, acting_user=current_user) if name else None
    return _render(member, name=member.pseudonym if member else name)


def _waits_for_second_factor(member: User, role: str) -> bool:
    """Whether a staff role just granted stays locked until the account adds a second factor."""
    return (role in staff_gate.staff_roles() and staff_gate.second_factor_required(member)
            and not two_factor.has_second_factor(member))


@bp.post("/<int:user_id>/role")
@limiter.limit(people_limit, key_func=account_bucket, methods=["POST"])
@login_required
def change_role(user_id: int):
    """Grant or revoke a role, confirmed with the admin's password."""
    people.access_people(acting_user=current_user)
    member = _member(user_id)
    form = _role_form()
    change = request.form.get("role-change")
    if not form.validate_on_submit() or change not in ("grant", "revoke"):
        errors = _errors(form, form.errors)
        if change not in ("grant", "revoke"):
            errors.setdefault("", []).append(_("Choose Grant or Revoke."))
        return _render(member, name=member.pseudonym, status=400, role_form=form,
                       role_errors=errors)
    try:
        changed = people.check_change_role(member, form.role.data, grant=change == "grant",
                                           password=form.password.data, acting_user=current_user)
    except ValidationFailed as exc:
        return _render(member, name=member.pseudonym, status=400, role_form=form,
                       role_errors=_errors(form, exc.reasons))
    label, who = people.role_label(form.role.data), member.pseudonym
    if change == "grant":
        message = (_("%(name)s is now %(role)s.", name=who, role=label) if changed
                   else _("%(name)s already holds %(role)s.", name=who, role=label))
        if changed and _waits_for_second_factor(member, form.role.data):
            message += " " + _("They can't use it until they set up two-step sign-in.")
    else:
        message = (_("%(role)s removed from %(name)s.", name=who, role=label) if changed
                   else _("%(name)s did not hold %(role)s.", name=who, role=label))
    flash(message, "success")
    return redirect(url_for("people.index", name=member.pseudonym))


@bp.post("/<int:user_id>/training")
@limiter.limit(people_limit, key_func=account_bucket, methods=["POST"])
@login_required
def record_training(user_id: int):
    """Record or renew training, confirmed with the admin's password."""
    people.access_people(acting_user=current_user)
    member = _member(user_id)
    form = _training_form()
    if not form.validate_on_submit():
        return _render(member, name=member.pseudonym, status=400, training_form=form,
                       training_errors=_errors(form, form.errors))
    try:
        record = people.check_record_training(
            member, form.module.data, completed_on=form.completed_on.data,
            expires_on=form.expires_on.data, password=form.password.data,
            acting_user=current_user)
    except ValidationFailed as exc:
        return _render(member, name=member.pseudonym, status=400, training_form=form,
                       training_errors=_errors(form, exc.reasons))
    module = str(people.MODULE_LABELS.get(record.module, record.module))
    if record.expires_on:
        flash(_("Training recorded for %(name)s: %(module)s, until %(date)s.",
                name=member.pseudonym, module=module, date=record.expires_on.isoformat()),
              "success")
    else:
        flash(_("Training recorded for %(name)s: %(module)s, with no expiry.",
                name=member.pseudonym, module=module), "success")
    return redirect(url_for("people.index", name=member.pseudonym))


@bp.post("/<int:user_id>/sessions/end")
@limiter.limit(people_limit, key_func=account_bucket, methods=["POST"])
@login_required
def end_sessions(user_id: int):
    """Log an account out everywhere, remembered devices included (a fresh step-up first)."""
    people.access_people(acting_user=current_user)
    member = _member(user_id)
    form = EndSessionsForm(prefix="sessions")
    if not form.validate_on_submit():
        flash(_("The reason can be 200 characters at most. Nothing was changed."), "error")
        return redirect(url_for("people.index", name=member.pseudonym))
    ended = sign_ins.do_end_all_by_admin(current_user._get_current_object(), member,
                                         reason=(form.reason.data or "").strip() or None)
    flash(ngettext("%(name)s is logged out of %(num)d session.",
                   "%(name)s is logged out of %(num)d sessions.", ended, name=member.pseudonym),
          "success")
    return redirect(url_for("people.index", name=member.pseudonym))
