"""Small helpers shared by views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask_babel import get_locale, gettext as _

from ..config import FALLBACK_BASE_URL
from ..errors import ContentRejected


def base_url() -> str:
    """The site's public origin for absolute links: FORUM_BASE_URL, or the `make run` address
    when it is unset; never the request's Host header, which any client may set."""
    return current_app.config.get("BASE_URL") or FALLBACK_BASE_URL


def site_url(endpoint: str, **values) -> str:
    """An absolute link to one of the site's pages, for feeds and calendars read elsewhere."""
    return base_url() + url_for(endpoint, **values)


def site_host() -> str:
    """The host name of base_url(), e.g. for calendar event UIDs."""
    return urlsplit(base_url()).hostname or "localhost"


def same_site_path(target: str | None) -> str | None:
    """The target when it is a path on this site, else None. Browsers read a backslash as a
    slash and drop tabs and newlines, so "/\\evil.example" would leave the site: refused."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def safe_next_url() -> str | None:
    """The ?next= target when it stays on this site, else None."""
    return same_site_path(request.args.get("next", ""))


def verdict_errors(exc: ContentRejected) -> dict[str, list[str]]:
    """Form errors for text the moderation pipeline refused, with its supportive message."""
    message = getattr(exc.verdict, "message", None) or _(
        "This can't be used here. Please choose something else."
    )
    return {exc.field or "": [message]}


def page_language() -> str | None:
    """The language this page is served in ("en", "es"), as Flask-Babel chose it."""
    locale = get_locale()
    return locale.language if locale else None
