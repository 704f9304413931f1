"""Notifications on a member's devices (Web Push): the settings page, and the JSON request
static/js/push.js makes once the browser subscribed.

Push is never required: without JavaScript, or in a browser without push, the page says so and
every other feature works as before. The forms (switches, names, removal, the test) work
without JavaScript. A subscription id that is not the account's is simply not found.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from ..errors import NotFound, ValidationFailed
from ..extensions import limiter
from ..services import review_queue
from ..services.push import (
    keys as push_keys,
    outbox as push_outbox,
    subscriptions as push_subscriptions,
)
from ..services.support.requests import can_support
from .forms import EmptyForm
from .posting import account_bucket

bp = Blueprint("push", __name__, url_prefix="/account/push")

DEFAULT_TEST_LIMIT = "5 per hour"


def _test_limit() -> str:
    return current_app.config.get("PUSH_TEST_RATE_LIMIT", DEFAULT_TEST_LIMIT)


class SwitchesForm(FlaskForm):
    """The kinds of push the account wants."""

    support_requests = BooleanField(_l("Someone asks to talk now (while you are on duty)"))
    # The push follows the in-forum alert: on duty first, widened after five minutes.
    urgent_items = BooleanField(_l("An urgent item waits in the review queue (while you are "
                                   "on duty; after 5 minutes unclaimed, also off duty if you "
                                   "are crisis-trained or an admin)"))
    meeting_reminders = BooleanField(_l("A circle you asked reminders for starts in 15 "
                                        "minutes"))
    thread_replies = BooleanField(_l("Someone replies to your thread"))


class DeviceNameForm(FlaskForm):
    """The name the member gives a device; empty takes the name away."""

    name = StringField(_l("Device name"),
                       validators=[Length(max=push_subscriptions.NAME_MAX)])


def _me():
    return current_user._get_current_object()


def _sign_in_id() -> int | None:
    row = getattr(current_user, "sign_in", None)
    return row.id if row is not None else None


def _switches_shown() -> list[str]:
    """The staff kinds only to those who can be on duty for them."""
    shown = []
    if can_support(current_user):
        shown.append("support_requests")
    if review_queue.can_review(current_user):
        shown.append("urgent_items")
    return shown + ["meeting_reminders", "thread_replies"]


def _render(errors: dict[int, list[str]] | None = None, status: int = 200):
    me = _me()
    prefs = push_subscriptions.preferences(me)
    form = SwitchesForm(formdata=None, obj=prefs)
    return render_template(
        "account/push.html",
        devices=push_subscriptions.list_for(me, _sign_in_id()),
        switches=form,
        shown=_switches_shown(),
        vapid_key=push_keys.public_key_b64(),
        name_max=push_subscriptions.NAME_MAX,
        default_name=getattr(getattr(current_user, "sign_in", None), "device_name", None) or "",
        errors=errors or {},
    ), status


@bp.get("")
@login_required
def index():
    """This device's and the account's other devices, the switches, and the test button."""
    return _render()


def _json_error(exc: ValidationFailed):
    return jsonify({"error": " ".join(m for msgs in exc.reasons.values() for m in msgs)}), 400


@bp.post("/subscribe")
@login_required
def subscribe():
    """JSON from push.js: `{endpoint, keys: {p256dh, auth}, device_name}` once the browser
    subscribed; with `"relink": true` only an already known subscription is updated (the page
    checking this browser's state), never a new one made."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": _("That request could not be read.")}), 400
    try:
        if data.get("relink") is True:
            row, changed = push_subscriptions.do_relink(
                _me(), endpoint=data.get("endpoint"), keys=data.get("keys"),
                sign_in_id=_sign_in_id())
            return jsonify({"known": row is not None, "changed": changed,
                            "id": row.id if row is not None else None})
        row = push_subscriptions.do_subscribe(
            _me(), endpoint=data.get("endpoint"), keys=data.get("keys"),
            device_name=data.get("device_name"), sign_in_id=_sign_in_id())
    except ValidationFailed as exc:
        return _json_error(exc)
    return jsonify({"known": True, "changed": True, "id": row.id})


@bp.post("/forget-device")
@login_required
def forget_device():
    """JSON from app.js as the member logs out: `{endpoint}` of this browser's subscription,
    which the account's row then loses (its sign-in may have ended elsewhere since it
    subscribed, so logging out cannot find it by sign-in). Another account's is untouched."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": _("That request could not be read.")}), 400
    return jsonify({"removed": push_subscriptions.remove_endpoint(_me(), data.get("endpoint"))})


@bp.post("/preferences")
@login_required
def preferences():
    """Turn kinds of push on or off (those the page did not show keep their value)."""
    form = SwitchesForm()
    if form.validate_on_submit():
        push_subscriptions.set_preferences(
            _me(), {name: getattr(form, name).data for name in _switches_shown()})
        flash(_("Notification choices saved."), "success")
    return redirect(url_for("push.index"))


@bp.post("/<int:subscription_id>/rename")
@login_required
def rename(subscription_id: int):
    """Name a device."""
    if push_subscriptions.find(_me(), subscription_id) is None:
        raise NotFound()
    form = DeviceNameForm()
    if not form.validate_on_submit():
        return _render({subscription_id: [str(m) for m in form.errors.get("name", [])]}, 400)
    push_subscriptions.rename(_me(), subscription_id, form.name.data)
    flash(_("Device name saved."), "success")
    return redirect(url_for("push.index"))


@bp.post("/<int:subscription_id>/remove")
@login_required
def remove(subscription_id: int):
    """Stop notifications to one device."""
    if push_subscriptions.find(_me(), subscription_id) is None:
        raise NotFound()
    form = EmptyForm()
    if form.validate_on_submit():
        push_subscriptions.remove(_me(), subscription_id)
        flash(_("That device gets no more notifications."), "success")
    return redirect(url_for("push.index"))


@bp.post("/test")
@login_required
@limiter.limit(_test_limit, key_func=account_bucket, methods=["POST"])
def test():
    """Send a test notification to each of the account's devices."""
    form = EmptyForm()
    if form.validate_on_submit():
        queued = push_outbox.send_test(_me())
        if queued:
            flash(ngettext("A test notification is on its way to %(num)d device.",
                           "A test notification is on its way to %(num)d devices.", queued),
                  "success")
        else:
            flash(_("No device of yours has notifications on yet."), "info")
    return redirect(url_for("push.index"))
