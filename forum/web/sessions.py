"""The "keep me logged in" cookie: read before a request that has no session, written after.

The cookie holds a device token (services/remember_tokens.py) that is replaced each time it
restores a session and revoked at log-out, so a copied cookie does not outlive the owner's next
visit. Flask-Login's own remember cookie is never written or read (auth_loader.py).
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from flask_login import current_user, login_user

from ..services import accounts, remember_tokens

COOKIE = "remember_token"


def remember_device(user) -> None:
    """Keep this browser logged in to the account (a new device token, set on the response)."""
    g.remember_cookie = remember_tokens.do_issue(user)


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
    if redeemed is None or accounts.is_suspended(redeemed.user):
        forget_device()
        return
    login_user(redeemed.user, fresh=False)
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
