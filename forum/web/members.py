"""Members' public pages, their generated avatars, and @mentions linked in posts."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from ..services.accounts import avatars, members
from ..services.threads import mentions

bp = Blueprint("members", __name__)

# The image of a token never changes (it is drawn from the token alone), so browsers keep it a
# year. Private: an avatar request may also carry a log-in cookie refresh, which no shared
# cache should keep.
AVATAR_CACHE = "private, max-age=31536000, immutable"
# The image needs nothing: no script, no style sheet, no fetch, and no page may frame it.
AVATAR_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


@bp.get("/members/<pseudonym>")
def page(pseudonym: str):
    """A member's public page: avatar, pseudonym, days if shown, and what they wrote openly."""
    member = members.access_member(pseudonym)
    return render_template("members/member.html", profile=members.profile(member),
                           avatar_src=avatars.path)


@bp.get("/avatars/<token>.svg")
def avatar(token: str):
    """A generated avatar: drawn from the token alone, so any well-formed token gets one."""
    image = avatars.svg(token)
    if image is None:
        abort(404)
    response = make_response(image, 200, {"Content-Type": "image/svg+xml"})
    response.set_etag(f"v{avatars.VERSION}-{token}")
    response.headers["Cache-Control"] = AVATAR_CACHE
    response.headers["Content-Security-Policy"] = AVATAR_CSP
    return response.make_conditional(request)


def post_avatar(post: Any) -> str:
    """Template global: the avatar URL for a post or a thread page row."""
    return avatars.path(avatars.post_token(post))


def mention_names(views: Any) -> dict[str, str]:
    """Template global: the members mentioned in a page's posts, found in one query."""
    return mentions.existing(getattr(v, "post", v).body_html for v in views)


def _member_link(pseudonym: str) -> str:
    prefix = g.get("member_link_prefix")
    if prefix is None:
        prefix = g.member_link_prefix = url_for("members.page", pseudonym="x")[:-1]
    return prefix + pseudonym


def link_mentions(html: str | None, known: dict[str, str]) -> Markup:
    """Template filter: a post's sanitized HTML with mentions of existing members linked."""
    return mentions.link(html or "", known, _member_link)


def init_app(app: Flask) -> None:
    """The template helpers that put avatars and mention links on other pages."""
    app.jinja_env.globals["post_avatar"] = post_avatar
    app.jinja_env.globals["mention_names"] = mention_names
    app.jinja_env.filters["mentions"] = link_mentions
