"""The browsers signed in to an account, listed, named and ended by their owner (an admin ends
them all from the people page).

The views are thin: services/accounts/sign_ins.py finds, names and ends the account's own sign-ins
(one that is not theirs is simply not found). Ending this browser's own sign-in logs it out here.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from ..errors import NotFound
from ..services.accounts import sign_ins, staff_gate
from ..services.push import subscriptions as push_subscriptions
from . import sessions
from .forms import EmptyForm

bp = Blueprint("account_sessions", __name__, url_prefix="/account/sessions")

NAME_MAX = 64
# How each sign-in was opened, in the reader's language.
OPENED_WITH = {
    None: _l("Password only"),
    "totp": _l("Password and authenticator app"),
    "passkey": _l("Password and passkey"),
    "backup": _l("Password and a backup code"),
}
OPENED_ANOTHER = _l("Password and a second factor")


class RenameForm(FlaskForm):
    """The name the member gives a device; empty takes the name away."""

    name = StringField(_l("Device name"), validators=[Length(max=NAME_MAX)])


def _current_id() -> int | None:
    row = getattr(current_user, "sign_in", None)
    return row.id if row is not None else None


def _render(errors: dict[int, list[str]] | None = None, status: int = 200):
    rows = sign_ins.list_for(current_user)
    return render_template(
        "account/sessions.html",
        rows=rows,
        current_id=_current_id(),
        others=sum(row.id != _current_id() for row in rows),
        opened_with=lambda row: str(OPENED_WITH.get(row.second_factor, OPENED_ANOTHER)),
        staff=staff_gate.is_staff(current_user),
        idle_minutes=int(sign_ins.idle_limit().total_seconds() // 60),
        errors=errors or {},
        name_max=NAME_MAX,
    ), status


@bp.get("")
@login_required
def index():
    """Where I am signed in: when each began, the hour last seen, its name, its second factor."""
    return _render()


@bp.post("/<int:sign_in_id>/rename")
@login_required
def rename(sign_in_id: int):
    """Name a device, so its owner can tell their sessions apart."""
    if sign_ins.find(current_user.id, sign_in_id) is None:
        raise NotFound()
    form = RenameForm()
    if not form.validate_on_submit():
        return _render({sign_in_id: [str(m) for m in form.errors.get("name", [])]}, 400)
    if not sign_ins.rename(current_user, sign_in_id, form.name.data):
        raise NotFound()
    flash(_("Device name saved."), "success")
    return redirect(url_for("account_sessions.index"))


@bp.post("/<int:sign_in_id>/end")
@login_required
def end(sign_in_id: int):
    """End one sign-in; ending this browser's own logs it out."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("account_sessions.index"))
    this_device = sign_in_id == _current_id()
    if this_device:
        # Logging out here ends this device's notifications too (committed with the end).
        push_subscriptions.remove_for_sign_in(sign_in_id)
    if not sign_ins.do_end(current_user, sign_in_id):
        raise NotFound()
    if this_device:
        logout_user()
        session.pop("sign_in", None)
        sessions.forget_device()
        flash(_("This device is logged out. Take care."), "info")
        response = redirect(url_for("main.index"))
        # As at /logout: the browser drops what it kept of the forum (the HTTP cache, the
        # service worker with its caches and push subscription, unsent drafts).
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    flash(_("That device is logged out."), "success")
    return redirect(url_for("account_sessions.index"))


@bp.post("/end-others")
@login_required
def end_others():
    """End every sign-in of the account but this browser's."""
    form = EmptyForm()
    if form.validate_on_submit():
        ended = sign_ins.do_end_others(current_user, _current_id())
        flash(ngettext("%(num)d other device is logged out.",
                       "%(num)d other devices are logged out.", ended), "success")
    return redirect(url_for("account_sessions.index"))
