"""Small helpers shared by views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_babel import gettext as _

from ..errors import ContentRejected


def safe_next_url() -> str | None:
    """The ?next= target when it stays on this site, else None."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return None


def verdict_errors(exc: ContentRejected) -> dict[str, list[str]]:
    """Form errors for text the moderation pipeline refused, with its supportive message."""
    message = getattr(exc.verdict, "message", None) or _(
        "This can't be used here. Please choose something else."
    )
    return {exc.field or "": [message]}
