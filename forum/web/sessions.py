"""The "keep me logged in" cookie: read before a request that has no session, written after.

The cookie holds a device token (services/accounts/remember_tokens.py) that is replaced each time it
restores a session and revoked at log-out, so a copied cookie does not outlive the owner's next
visit. Flask-Login's own remember cookie is never written or read (auth_loader.py).
"""

from __future__ import annotations

from flask import Response, current_app, g, request, session
from flask_login import current_user, login_user

from ..models import User
from ..services.accounts import account as accounts, remember_tokens, sign_ins, staff_gate

COOKIE = "remember_token"


def begin(user: User, *, second_factor: str | None = None, remember: bool = False,
          device_name: str | None = None) -> None:
    """Sign this browser in: a new sign-in row, named in the session cookie.

    Staff accounts are never remembered: their sessions end when idle (sign_ins)."""
    row = sign_ins.do_start(user, second_factor=second_factor, device_name=device_name)
    login_user(user)
    session["sign_in"] = row.id
    user.sign_in = row
    user.locked_roles = staff_gate.lock_for(user, second_factor)
    if remember and not staff_gate.is_staff(user):
        g.remember_cookie = remember_tokens.do_issue(user, row.id)


def forget_device() -> None:
    """Take the cookie off this browser (its token is revoked by the service)."""
    g.remember_cookie = ""


def restore_session() -> None:
    """Log a browser back in from its device token when its session has ended."""
    if request.endpoint == "static" or COOKIE not in request.cookies:
        return
    if current_user.is_authenticated:
        return
    redeemed = remember_tokens.redeem(request.cookies[COOKIE])
    row = None
    if redeemed is not None and redeemed.sign_in_id is not None:
        row = sign_ins.find(redeemed.user.id, redeemed.sign_in_id)
    if (row is None or accounts.is_suspended(redeemed.user)
            or staff_gate.is_staff(redeemed.user)):
        forget_device()
        return
    login_user(redeemed.user, fresh=False)
    session["sign_in"] = row.id
    redeemed.user.sign_in = row
    redeemed.user.locked_roles = staff_gate.lock_for(redeemed.user, row.second_factor)
    if redeemed.new_token is not None:
        g.remember_cookie = redeemed.new_token


def write_cookie(response: Response) -> Response:
    """Set or clear the cookie when this request changed the device token."""
    value = g.pop("remember_cookie", None)
    if value is None:
        return response
    if not value:
        response.delete_cookie(COOKIE, httponly=True)
        return response
    config = current_app.config
    response.set_cookie(
        COOKIE, value,
        max_age=int(remember_tokens.lifetime().total_seconds()),
        secure=bool(config.get("REMEMBER_COOKIE_SECURE")),
        httponly=True,
        samesite=config.get("REMEMBER_COOKIE_SAMESITE") or "Lax",
    )
    return response
