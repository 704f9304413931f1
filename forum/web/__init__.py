"""Blueprints, security headers and error pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .. import errors as forum_errors
from ..errors import NotFound, PermissionDenied
from ..moderation import render as render_module
from ..row_ids import RowIdConverter
from ..services.accounts import guidelines
from . import (
    account,
    account_sessions,
    app_shell,
    auth,
    boards,
    crisis,
    layout,
    main,
    measures,
    meetings,
    members,
    notifications,
    passkeys,
    people,
    posting,
    push,
    review,
    rooms,
    security,
    step_up,
    support,
    team,
    threads,
)
from .form_request import FormRequest

# connect-src 'self' covers the page's own ws:/wss: origin in CSP Level 3 browsers; the site's
# WebSocket origin is also named when FORUM_BASE_URL is set, for browsers that read 'self'
# as http(s) only. Never bare ws: wss:, which would let a script talk to any host.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src {connect}; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# One year; no includeSubDomains: the forum's operator may not own every sibling host.
HSTS = "max-age=31536000"


def content_security_policy(base_url: str | None) -> str:
    """The CSP header: connect-src is the site itself and, with a base URL, its WebSocket
    origin (wss:// for https://, ws:// for http://)."""
    connect = "'self'"
    if base_url:
        parts = urlsplit(base_url)
        connect += f" {'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return CSP.format(connect=connect)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", current_app.config["CSP"])
    if current_app.config.get("HTTPS"):
        response.headers["Strict-Transport-Security"] = HSTS
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.path != "/static" and not request.path.startswith("/static/"):
        # Pages can hold private disclosures: never keep them in shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(status: int, title: str, message: str):
    return render_template("errors.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    """Register blueprints, headers, context and error handlers."""
    # Before any blueprint: each rule picks its converter when it is added to the map.
    app.url_map.converters["int"] = RowIdConverter
    app.request_class = FormRequest
    app.config["CSP"] = content_security_policy(app.config.get("BASE_URL"))

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(security.bp)
    app.register_blueprint(passkeys.bp)
    app.register_blueprint(account_sessions.bp)
    app.register_blueprint(step_up.bp)
    app.register_blueprint(push.bp)
    posting.init_app(app)
    app.register_blueprint(boards.bp)
    app.register_blueprint(threads.bp)
    app.register_blueprint(notifications.bp)
    notifications.init_app(app)
    app.register_blueprint(crisis.bp)
    app.register_blueprint(app_shell.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(team.bp)
    app.register_blueprint(people.bp)
    people.init_app(app)
    app.register_blueprint(rooms.bp)
    app.register_blueprint(measures.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(support.bp)
    app.register_blueprint(members.bp)
    members.init_app(app)
    support.init_app(app)
    team.init_app(app)
    app.after_request(_security_headers)
    # A request the database could not serve (it is restarting): a 503 page, not a 500.
    forum_errors.init_app(app)
    app.jinja_env.globals["get_locale"] = get_locale
    layout.init_app(app)
    app.jinja_env.filters["markdown"] = render_module.render_markdown
    app.jinja_env.filters["markdown_page"] = render_module.render_page

    @app.context_processor
    def _layout_context():
        needs = (
            current_user.is_authenticated
            and request.endpoint not in ("main.guidelines", "main.agree", "static")
            and guidelines.needs_agreement(current_user)
        )
        return {"needs_guidelines_agreement": needs}

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return _error_page(
            400,
            _("This form expired"),
            _(
                "For your safety the form needs to be sent again. Go back, reload the page and"
                " try once more. Nothing was saved."
            ),
        )

    @app.errorhandler(429)
    def _ratelimited(_exc):
        return _error_page(
            429,
            _("Too many tries"),
            _(
                "Please wait a few minutes before trying again. If you are in crisis, use"
                " Get help now at the top of the page."
            ),
        )

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def _not_found(_exc):
        return _error_page(404, _("Not found"), _("We couldn't find that page."))

    @app.errorhandler(PermissionDenied)
    @app.errorhandler(403)
    def _forbidden(_exc):
        return _error_page(403, _("Not allowed"), _("Your account can't do that."))

    @app.errorhandler(405)
    def _method(_exc):
        return _error_page(405, _("Not allowed"), _("That page can't be used this way."))

    @app.errorhandler(500)
    def _server_error(_exc):
        return _error_page(
            500,
            _("Something went wrong"),
            _("Sorry, something broke on our side. Please try again."),
        )
