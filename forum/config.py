"""Configuration: defaults, then FORUM_* environment variables, then the caller's mapping."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

log = logging.getLogger("forum.config")

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Keys that must never be used as a real secret: copied from tutorials and examples.
KNOWN_DEFAULT_KEYS = frozenset({"dev", "secret", "changeme", "change-me", "development", "test"})

# Feeds' links when FORUM_BASE_URL is unset: the address `make run` serves on.
FALLBACK_BASE_URL = "http://127.0.0.1:5000"


class Defaults:
    """Settings for the embedded, single-process default."""

    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file under instance/
    REDIS_URL: str | None = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # connections idle a while are pinged (pool_ping.py)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HTTPS = False  # set FORUM_HTTPS=true behind TLS: marks cookies Secure, sends HSTS
    # The site's public origin (FORUM_BASE_URL, e.g. https://forum.example.org): absolute links
    # in feeds and calendars are built from it, never from the request's Host header.
    BASE_URL: str | None = None
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "es")
    # Pages too (BREACH was weighed): a CSRF token is signed with the second it was made, so no
    # token repeats across responses for sizes to reveal, and the session cookie is SameSite=Lax,
    # so another site cannot make a member's browser fetch signed-in pages in bulk.
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml", "application/manifest+json"]
    COMPRESS_MIN_SIZE = 600
    RATELIMIT_ENABLED = True
    # With Redis away each process keeps its own window (one log line), and goes back to
    # Redis once it answers, rather than failing every limited request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address (as ProxyFix gives it), whatever pseudonyms it tries; guesses at one
    # account are slowed per address and pseudonym (services/accounts/login_throttle.py).
    SIGNUP_RATE_LIMIT = "5 per hour"
    LOGIN_RATE_LIMIT = "30 per 15 minutes"
    RECOVER_RATE_LIMIT = "20 per hour"
    # Per account: every change on /account/security (starting, confirming or removing the
    # authenticator app, new backup codes) shares it; wrong codes are slowed per account too.
    SECOND_FACTOR_RATE_LIMIT = "30 per 15 minutes"
    # Reverse proxies in front that set X-Forwarded-For (nginx in docs/deploy.md: 1). 0 trusts
    # no header, so a directly reachable server cannot be given a made-up address.
    TRUSTED_PROXIES = 0
    # "Keep me logged in" lasts this long on a device unused since (each use renews it).
    REMEMBER_DAYS = 30
    # Moderators, supervisors and admins need a second factor to use their roles ("required",
    # or "optional"); facilitators too when FORUM_FACILITATOR_2FA is "required".
    STAFF_2FA = "required"
    FACILITATOR_2FA = "optional"
    # A staff session unused this long ends (member sessions keep "keep me logged in").
    STAFF_IDLE_MINUTES = 60
    # Chat sends per member (env FORUM_CHAT_RATE_LIMIT), in the same storage as the above.
    CHAT_RATE_LIMIT = "12 per 10 seconds"
    MODERATION_RULES_DIR = str(PROJECT_ROOT / "moderation_rules")
    GUIDELINES_FILE = str(PROJECT_ROOT / "forum" / "data" / "guidelines.md")
    CLASSIFIER = "auto"
    # The semantic risk layer (FORUM_SEMANTIC=off leaves the rules and classifier alone);
    # FORUM_EMBEDDER_DIR names a folder with an operator's own model.onnx and tokenizer.json.
    SEMANTIC = "auto"
    EMBEDDER_DIR: str | None = None
    SEMANTIC_TIMEOUT_S = 2.0
    # Spanish is read by the main model ("same"), or by USE multilingual v3 ("use": fewer false
    # alarms on Spanish, about 120 MB more per process and a quarter less chat throughput).
    SEMANTIC_SPANISH = "same"
    DEMO_PASSWORD = "recovery-demo-2026"
    SOCKETIO_ASYNC_MODE = "threading"
    # "auto": Socket.IO's message queue is REDIS_URL (every process hears every emit).
    SOCKETIO_MESSAGE_QUEUE: str | None = "auto"
    # Distressing items a moderator may read in an hour before the queue suggests a break.
    REVIEW_BREAK_AFTER = 5
    # Meeting-room chat is erased this many days after the session ends.
    MEETING_CHAT_RETENTION_DAYS = 7


def _database_uri(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(app.instance_path) / "forum.sqlite3")
    # psycopg 3 is the PostgreSQL driver; accept the plain URL operators usually have.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL with no path, query or credentials, else None."""
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0  # a malformed port raises ValueError
    except ValueError:
        return None
    if (
        not port_ok
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _base_url(app: Flask) -> str | None:
    """The configured public origin, normalized (no trailing slash), or None when unset."""
    url = app.config.get("BASE_URL")
    if not url:
        if app.config.get("HTTPS") and not app.config.get("TESTING"):
            log.warning("FORUM_BASE_URL is unset: feeds link to %s", FALLBACK_BASE_URL)
        return None
    origin = _origin(str(url))
    if origin is None:
        raise RuntimeError(
            "FORUM_BASE_URL must be the site's origin, such as https://forum.example.org"
            " (scheme and host, maybe a port; no path)."
        )
    return origin


def _secret_key(app: Flask) -> str:
    """Use the configured key, or one generated once and kept in instance/."""
    key = app.config.get("SECRET_KEY")
    if key:
        if key.strip().lower() in KNOWN_DEFAULT_KEYS and not app.config.get("TESTING"):
            raise RuntimeError(
                "FORUM_SECRET_KEY is a well-known default; set a long random value or unset it"
                " to have one generated in instance/."
            )
        return key
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    log.info("generated a new secret key in the instance folder")
    return key


def load(app: Flask, overrides: Mapping | None) -> None:
    """Fill app.config from defaults, the environment and overrides, then derive the rest."""
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("FORUM")
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", _database_uri(app))
    if not (overrides and "SQLALCHEMY_ENGINE_OPTIONS" in overrides):
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
        else:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
                "pool_size": 10,
                "max_overflow": 10,
                "pool_recycle": 1800,
            }
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                # A database behind a dead network answers nothing: give up within 5 s (a 503
                # page, errors.py) rather than hold the member until TCP's own timeout.
                app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"connect_timeout": 5}
    if app.config.get("HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config["BASE_URL"] = _base_url(app)
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        # A stalled Redis must not hold requests: after 2 s each limit counts in the process.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                              {"socket_timeout": 2, "socket_connect_timeout": 2})
    if app.config.get("SOCKETIO_MESSAGE_QUEUE") == "auto":
        app.config["SOCKETIO_MESSAGE_QUEUE"] = redis_url
    if os.environ.get("FORUM_LOG_LEVEL"):
        logging.getLogger("forum").setLevel(os.environ["FORUM_LOG_LEVEL"].upper())
