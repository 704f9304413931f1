"""Flask-Login wiring: how a session id becomes an account."""

from __future__ import annotations

from flask import Flask, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .extensions import db, login_manager
from .models import Sanction, SignIn, User
from .services import clock
from .services.accounts import sign_ins, staff_gate
from .services.accounts.account import is_suspended


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the account for a session id "<id>:<generation>" and the sign-in the session cookie
    names; stale generations, ended sign-ins and idle staff sessions are signed out."""
    try:
        user_id, generation = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    sign_in_id = session.get("sign_in")
    if not isinstance(sign_in_id, int):
        return None
    # Every request and every Socket.IO event loads the account with its sign-in: its roles
    # and mutes come in the same query (joins) rather than one query each (sanctions.is_muted
    # reads the mutes). Only mutes not yet ended, so the join stays one row for nearly everyone.
    row = db.session.execute(
        select(User, SignIn).join(SignIn, SignIn.user_id == User.id)
        .where(User.id == user_id, SignIn.id == sign_in_id)
        .options(joinedload(User.roles),
                 joinedload(User.unrevoked_mutes.and_(Sanction.ends_at > clock.now()))
                 .lazyload(Sanction.appeal))).unique().first()
    if row is None:
        return None
    user, sign_in = row
    if user.session_generation != generation or is_suspended(user):
        return None
    now = clock.now()
    if sign_ins.is_idle(sign_in, now):
        sign_ins.do_end_idle(sign_in)
        return None
    user.sign_in = sign_in
    user.locked_roles = staff_gate.lock_for(user, sign_in.second_factor)
    sign_ins.touch(sign_in, user, now)
    return user


def _no_client_identifier() -> str:
    return ""


def init_app(app: Flask) -> None:
    """Configure the login view and its message."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    # Flask-Login's protection hashes the client address into the cookie; we keep none.
    login_manager.session_protection = None
    # login_user still writes that hash (an unsalted SHA-512 of address and browser, easily
    # reversed for an IPv4 address) into the session unless asked not to.
    login_manager._session_identifier_generator = _no_client_identifier
    # "Keep me logged in" is a rotating device token (web/sessions.py). Flask-Login's own
    # cookie, the signed session id valid for a year, is never set; under a name of its own it
    # is never read either, so one left from an earlier release does not log anyone in.
    app.config["REMEMBER_COOKIE_NAME"] = "forum_legacy_remember"
