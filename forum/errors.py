"""Domain exceptions raised by services and translated by the web and realtime layers, and
the answer every layer gives while the database cannot be reached."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from typing import Any

from flask import (
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    request,
    session,
)
from flask.globals import _cv_request
from flask_babel import force_locale, gettext as _
from flask_wtf.csrf import validate_csrf
from sqlalchemy import event, exc as sa_exc, inspect as sa_inspect
from sqlalchemy.orm import Session

from .extensions import db
from .moderation.resources import INTERNATIONAL, load_resources


class ForumError(Exception):
    """Base class for errors a member may be shown."""

    code = "error"


class NotFound(ForumError):
    """Missing, or not yours to see: one error for both so nothing leaks."""

    code = "not_found"


class PermissionDenied(ForumError):
    """The acting user may not do this."""

    code = "forbidden"


class ValidationFailed(ForumError):
    """Input was refused; reasons maps a field name (or "") to human-readable messages."""

    code = "invalid"

    def __init__(self, reasons: dict[str, Sequence[str]] | str):
        if isinstance(reasons, str):
            reasons = {"": [reasons]}
        self.reasons = {k: list(v) for k, v in reasons.items()}
        super().__init__("; ".join(m for msgs in self.reasons.values() for m in msgs))


class ContentRejected(ForumError):
    """The moderation pipeline blocked the text; the verdict says why."""

    code = "rejected"

    def __init__(self, verdict: Any, field: str = ""):
        self.verdict = verdict
        self.field = field
        super().__init__(getattr(verdict, "message", None) or "This text can't be posted.")


# --- The database cannot be reached -----------------------------------------------------------
# PostgreSQL restarting (an upgrade, a failover) cuts every connection for a few seconds. A
# request caught in that gap gets a 503 page, not a 500: it says the forum is briefly
# unavailable, keeps the member's text, and is drawn without the database (no account, no
# header counts). A chat send gets an `unavailable` ack its client sends again.

RETRY_AFTER_S = 10
# One log line per this many seconds while the database is away, not one per request.
LOG_EVERY_S = 10.0
_COMMITTED = "forum_committed"
# A signed-in member's chosen language, kept in the session cookie: the account cannot be read
# while the database is away, and the page should still be in their language.
_SESSION_LANGUAGE = "lang"
# Form fields never shown back, and whose forms are never offered to be sent again.
_SECRET_FIELD = re.compile(r"pass|code|token|secret|otp|credential|recovery|assertion", re.I)
_TEXT_FIELDS = ("title", "body", "text", "message", "reason", "description", "note")
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")

log = logging.getLogger("forum.errors")
_log_lock = threading.Lock()
_log_state = {"at": -LOG_EVERY_S, "unlogged": 0}


def database_unreachable(exc: BaseException | None) -> bool:
    """True when exc, or what caused it, says the database cannot be reached right now: a
    connection refused, cut or timed out, a server shutting down or starting up, a pool with
    no connection to give, a SQLite file locked by another writer. False for an error of the
    statement itself (a constraint, a missing table), which is a bug and stays a 500."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
                return True
            if isinstance(exc, sa_exc.OperationalError):
                if isinstance(exc.orig, sqlite3.Error):
                    reason = str(exc.orig).lower()
                    return any(word in reason for word in _SQLITE_TRANSIENT)
                return True
            return False
        if isinstance(exc, sa_exc.TimeoutError):  # the pool waited for a connection in vain
            return True
        if isinstance(exc, sa_exc.PendingRollbackError) and exc.code == "8s2b":
            return True  # its connection was lost mid-transaction
        exc = exc.__cause__ or exc.__context__
    return False


def note_unavailable(where: str) -> None:
    """Log that the database could not be reached, at most once every LOG_EVERY_S seconds per
    process (the count says how many more were not logged)."""
    now = time.monotonic()
    with _log_lock:
        if now - _log_state["at"] < LOG_EVERY_S:
            _log_state["unlogged"] += 1
            return
        unlogged, _log_state["unlogged"], _log_state["at"] = _log_state["unlogged"], 0, now
    log.warning("database unreachable where=%s (%s more since the last line)", where, unlogged)


def _loaded_locale() -> str | None:
    """The signed-in account's language when the account is loaded already (reading it from an
    account not loaded, or expired by a rollback, would ask the database)."""
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    return state.dict.get("locale") if state is not None else None


def locale_without_database() -> str:
    """The language to answer in without asking the database: the one already chosen for this
    request, else the signed-in account's (loaded before the failure, or kept in the session),
    else the browser's best match."""
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
    if chosen is not None and str(chosen) in languages:
        return str(chosen)
    for candidate in (_loaded_locale(),
                      session.get(_SESSION_LANGUAGE) if has_request_context() else None):
        if candidate in languages:
            return candidate
    if has_request_context():
        return request.accept_languages.best_match(languages) or languages[0]
    return languages[0]


def _remember_language(response):
    # Only an account already loaded by this request: never a query of its own.
    if g.get("_login_user") is None:
        return response
    chosen = _loaded_locale()
    if chosen in current_app.config["LANGUAGES"]:
        if session.get(_SESSION_LANGUAGE) != chosen:
            session[_SESSION_LANGUAGE] = chosen
    elif _SESSION_LANGUAGE in session:
        session.pop(_SESSION_LANGUAGE)
    return response


def _forget_commits() -> None:
    # Only this request's own commits count (an app context may outlive one request).
    g.pop(_COMMITTED, None)


def _note_commit(db_session) -> None:
    # A savepoint released fires after_commit too; only the real commit counts.
    if not db_session.in_nested_transaction() and has_app_context():
        g.setdefault(_COMMITTED, True)


def _kept_fields() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]], bool]:
    """What a refused form sent: (visible texts as (name, label, value), hidden fields, can
    it be sent again as it was). Nothing when it held a password or code, or when its CSRF
    token is not this session's (a page elsewhere must not get its text shown here)."""
    if request.method != "POST" or not request.form:
        return [], [], False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except Exception:  # noqa: BLE001 - no token, or not this session's: show nothing back
        return [], [], False
    names = [name for name in request.form if name != "csrf_token"]
    if any(_SECRET_FIELD.search(name) for name in names):
        return [], [], False
    labels = {"title": _("Title")}
    shown: list[tuple[str, str, str]] = []
    hidden: list[tuple[str, str]] = []
    for name, value in request.form.items(multi=True):
        if name == "csrf_token":
            continue
        if name in _TEXT_FIELDS or len(value) > 80 or "\n" in value:
            shown.append((name, str(labels.get(name, _("Your text"))), value))
        else:
            hidden.append((name, value))
    return shown, hidden, not request.files


def _crisis_lines() -> list:
    """The emergency and crisis lines of the reader's country and everywhere, from the rules
    already in memory: a member in crisis must not meet a dead end while the database is away."""
    pipeline = current_app.extensions.get("moderation")
    try:
        resources = pipeline.ruleset.resources if pipeline is not None else load_resources()
    except Exception:  # noqa: BLE001 - the page still says where to get help
        return []
    country = "US"
    for language, _quality in request.accept_languages:
        parts = language.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[1]) == 2:
            country = parts[1].upper()
            break
    language = locale_without_database()
    lines = [r.localized(language) for r in resources.values()
             if r.kind in ("emergency", "crisis") and r.country in (country, INTERNATIONAL)]
    return sorted(lines, key=lambda r: (r.country == INTERNATIONAL, r.kind != "emergency"))


def unavailable_response():
    """The 503 answer to a request the database could not serve (see init_app)."""
    locale = locale_without_database()  # before the rollback forgets the account's values
    note_unavailable(request.endpoint or "request")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
        pass
    # The page that failed is not shown: what was to follow it (marking it read) must not run.
    ctx = _cv_request.get(None)
    if ctx is not None:
        ctx._after_request_functions.clear()
    committed = bool(g.pop(_COMMITTED, False))
    with force_locale(locale):
        wants_json = (request.accept_mimetypes.best_match(["text/html", "application/json"])
                      == "application/json")
        if wants_json or request.is_json:
            response = jsonify({"ok": False, "error": "unavailable", "retry": True, "message": _(
                "The forum is briefly unavailable. Please try again in a minute.")})
        else:
            shown, hidden, resend = _kept_fields()
            # Drawn without the context processors: each would ask the database (the
            # account, the header's counts) and fail again.
            template = current_app.jinja_env.get_template("errors/unavailable.html")
            response = current_app.response_class(template.render(
                lang=locale, shown=shown, hidden=hidden,
                resend=resend and not committed, maybe_saved=committed,
                action=request.path, retry_after=RETRY_AFTER_S,
                crisis_lines=_crisis_lines(), request=request,
            ), mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_error(exc: Exception):
    if not database_unreachable(exc):
        raise exc  # a bug, not an outage: the usual 500 page, logged
    return unavailable_response()


def init_app(app: Flask) -> None:
    """Answer a request the database could not serve with the 503 page, note each commit of a
    request (a page cut after one says its text may have been saved already), and keep a
    member's language in their session for that page."""
    app.register_error_handler(sa_exc.DBAPIError, _database_error)
    app.register_error_handler(sa_exc.TimeoutError, _database_error)
    app.register_error_handler(sa_exc.PendingRollbackError, _database_error)
    app.before_request(_forget_commits)
    app.after_request(_remember_language)
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
