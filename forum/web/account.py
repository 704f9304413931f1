"""The member's own account: password, pseudonym, preferences, codes, mutes, export, delete."""

from __future__ import annotations

import json
from zoneinfo import available_timezones

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from .. import moderation
from ..errors import ContentRejected, NotFound, ValidationFailed
from ..services.accounts import account as accounts, mutes, privacy, roles, two_factor
from ..services.threads import notifications
from .forms import (
    ChangePasswordForm,
    ChangePseudonymForm,
    DeleteAccountForm,
    MuteForm,
    PasswordConfirmForm,
    PreferencesForm,
    UnmuteForm,
)
from .util import verdict_errors

bp = Blueprint("account", __name__, url_prefix="/account")

LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def _preferences_form() -> PreferencesForm:
    form = PreferencesForm()
    form.locale.choices = [SelectChoice("", _("Use my browser's language"))] + [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]
    return form


def _render(errors: dict | None = None, status: int = 200, **forms):
    prefs = forms.pop("preferences", None) or _preferences_form()
    if not prefs.is_submitted():
        prefs.locale.data = current_user.locale or ""
        prefs.timezone.data = current_user.timezone
        prefs.support_notifications.data = current_user.support_notifications
    context = {
        "password_form": forms.pop("password_form", None) or ChangePasswordForm(formdata=None),
        "pseudonym_form": forms.pop("pseudonym_form", None) or ChangePseudonymForm(formdata=None),
        "codes_form": forms.pop("codes_form", None) or PasswordConfirmForm(formdata=None),
        "delete_form": forms.pop("delete_form", None) or DeleteAccountForm(formdata=None),
        "mute_form": forms.pop("mute_form", None) or MuteForm(formdata=None),
        "preferences": prefs,
        "unmute_form": UnmuteForm(),
        "muted": mutes.muted_members(current_user),
        "codes_left": accounts.remaining_recovery_codes(current_user),
        "training": roles.training_of(current_user),
        "factors": two_factor.factors_of(current_user),
        # Moderators need to know which classifier is judging members' words right now.
        "moderation_status": (
            moderation.status() if current_user.has_role("moderator") else None
        ),
        "errors": errors or {},
    }
    return render_template("account/index.html", **context), status


@bp.get("")
@login_required
def index():
    """The account page."""
    return _render()


@bp.post("/password")
@login_required
def change_password():
    """Change the password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.check_change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                form.password_confirm.data,
            )
        except ValidationFailed as exc:
            return _render(exc.reasons, 400, password_form=form)
        # The new session generation keeps this device signed in.
        login_user(current_user._get_current_object())
        flash(_("Your password is changed. Other devices are signed out."), "success")
        return redirect(url_for("account.index"))
    return _render(dict(form.errors), 400, password_form=form)


@bp.post("/pseudonym")
@login_required
def change_pseudonym():
    """Change the pseudonym."""
    form = ChangePseudonymForm()
    if form.validate_on_submit():
        try:
            accounts.check_change_pseudonym(current_user, form.pseudonym.data, form.password.data)
        except ValidationFailed as exc:
            return _render(exc.reasons, 400, pseudonym_form=form)
        except ContentRejected as exc:
            return _render(verdict_errors(exc), 400, pseudonym_form=form)
        flash(_("Your pseudonym is now %(name)s.", name=current_user.pseudonym), "success")
        return redirect(url_for("account.index"))
    return _render(dict(form.errors), 400, pseudonym_form=form)


@bp.post("/preferences")
@login_required
def preferences():
    """Save language, time zone and whether support notifications arrive."""
    form = _preferences_form()
    if form.validate_on_submit():
        if form.timezone.data not in available_timezones():
            return _render(
                {"timezone": [_("Unknown time zone. Use a name like Europe/London.")]},
                400,
                preferences=form,
            )
        accounts.set_preferences(current_user, locale=form.locale.data, timezone=form.timezone.data)
        notifications.set_support_notifications(
            current_user, bool(form.support_notifications.data))
        flash(_("Preferences saved."), "success")
        return redirect(url_for("account.index"))
    return _render(dict(form.errors), 400, preferences=form)


@bp.post("/recovery-codes")
@login_required
def regenerate_codes():
    """Replace the recovery codes and show the new ones once."""
    form = PasswordConfirmForm()
    if form.validate_on_submit():
        try:
            codes = accounts.check_regenerate_recovery_codes(current_user, form.password.data)
        except ValidationFailed as exc:
            return _render(exc.reasons, 400, codes_form=form)
        return render_template("auth/recovery_codes.html", codes=codes)
    return _render(dict(form.errors), 400, codes_form=form)


@bp.post("/mutes")
@login_required
def mute():
    """Mute a member."""
    form = MuteForm()
    if form.validate_on_submit():
        try:
            target = mutes.check_mute(current_user, form.pseudonym.data.strip())
        except NotFound:
            return _render({"mute": [_("No member has that pseudonym.")]}, 400, mute_form=form)
        except ValidationFailed as exc:
            return _render({"mute": exc.reasons["pseudonym"]}, 400, mute_form=form)
        flash(
            _(
                "%(name)s is muted: their posts are collapsed for you.",
                name=target.pseudonym,
            ),
            "success",
        )
        return redirect(url_for("account.index"))
    return _render(dict(form.errors), 400, mute_form=form)


@bp.post("/mutes/delete")
@login_required
def unmute():
    """Stop muting a member, named by pseudonym."""
    form = UnmuteForm()
    if form.validate_on_submit():
        mutes.check_unmute(current_user, form.pseudonym.data)
        flash(_("Unmuted."), "success")
    return redirect(url_for("account.index"))


@bp.get("/export")
@login_required
def export():
    """Download everything the forum keeps about me, as JSON."""
    data = privacy.check_export_account(current_user)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-forum-data.json"'},
    )


@bp.post("/delete")
@login_required
def delete():
    """Delete the account, keeping or erasing posts as the member chooses."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not form.confirm.data:
            return _render(
                {"confirm": [_("Tick the box to confirm you want to delete your account.")]},
                400,
                delete_form=form,
            )
        try:
            privacy.check_delete_account(
                current_user._get_current_object(),
                form.password.data,
                keep_posts=form.posts.data == "keep",
            )
        except ValidationFailed as exc:
            return _render(exc.reasons, 400, delete_form=form)
        logout_user()
        return render_template("account/deleted.html")
    return _render(dict(form.errors), 400, delete_form=form)
