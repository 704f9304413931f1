"""Binding the unbound extensions to an app."""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, current_app, g, request
from flask_babel import get_translations
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth_loader, migration_hooks, pool_ping, sqlite_writes  # noqa: F401 - listens
from .config import PROJECT_ROOT
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate, socketio
from .realtime.room_exits import QueueManager


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores ON DELETE rules unless asked; WAL lets readers and a writer overlap; a
    # writer waits up to five seconds for the one before it (sqlite_writes.py says why a
    # transaction here always starts with its write, so that it can wait).
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def select_locale() -> str | None:
    """The account's preferred language, else the browser's best match."""
    languages = current_app.config["LANGUAGES"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    return request.accept_languages.best_match(languages) if request else None


def select_timezone() -> str | None:
    """The account's time zone; visitors see UTC."""
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.timezone
    return None


def request_translations():
    """The request's translations, looked up once per request and locale.

    Flask-Babel finds the catalogue again on every gettext call (locale, cache key, domain);
    a page makes dozens of calls. The entry follows the locale object, so refresh() and
    force_locale() still switch catalogues.
    """
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        cached = getattr(ctx, "forum_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        ctx.forum_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def _install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def _trust_proxies(app: Flask) -> None:
    """Read the client's address and scheme from the FORUM_TRUSTED_PROXIES nearest proxies.

    Outermost, so Socket.IO's requests see the same address. With 0 (the default) the headers
    are ignored: a server reached directly must not take a client's word for its address.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            pool_ping.install(engine)
    # Batch mode lets the same migrations alter tables on SQLite.
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=migration_hooks.render_item,
        include_object=migration_hooks.include_object,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    _install_template_gettext(app)
    limiter.init_app(app)
    compress.init_app(app)
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or None
    queue_options: dict = {"message_queue": queue}
    if queue and not queue.startswith(("redis://", "rediss://")):
        logging.getLogger("forum").warning(
            "SOCKETIO_MESSAGE_QUEUE is not Redis: a removal from a room reaches only the "
            "connections on the process that handles it")
    elif queue:
        # Flask-SocketIO's own Redis manager and channel, also carrying room exits to the
        # process that holds the connection (realtime/room_exits.py).
        queue_options = {"client_manager": QueueManager(queue, channel="flask-socketio")}
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        **queue_options,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        logger=False,
        engineio_logger=False,
        # A connection's events run one after another in the thread that reads its socket, in
        # the order they were sent (a send, then its delete); a new thread for every event cost
        # about a tenth of the server's time per chat message (bench/chat_bench.py).
        async_handlers=False,
    )
    _trust_proxies(app)
    auth_loader.init_app(app)
