"""The /crisis page: crisis lines, emergency numbers, treatment and meetings, by country; and
the crisis panel a member's own post leads back to (/p/<id>/support), whose every sentence
about people says who is on duty at that moment."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import force_locale, get_locale, lazy_gettext as _l
from flask_login import current_user, login_required

from ..moderation.resources import INTERNATIONAL, Resource, load_resources, resources_for
from ..services.review import duty
from ..services.support import crisis as crisis_support
from .times import viewer_zone

bp = Blueprint("crisis", __name__)

COUNTRY_NAMES = {"US": _l("United States"), "GB": _l("United Kingdom"),
                 INTERNATIONAL: _l("Everywhere")}
KIND_ORDER = ("emergency", "crisis", "overdose", "treatment", "meetings", "directory")
KIND_NAMES = {
    "emergency": _l("Emergency"), "crisis": _l("Crisis line"), "overdose": _l("Overdose"),
    "treatment": _l("Treatment"), "meetings": _l("Meetings"), "directory": _l("Directory"),
}
CONTACT_NAMES = {
    "phone": _l("Call"), "text": _l("Text"), "chat": _l("Chat online"),
    "videophone": _l("Videophone"), "web": _l("Website"), "email": _l("Email"),
}


def _resources() -> dict[str, Resource]:
    pipeline = current_app.extensions.get("moderation")
    return pipeline.ruleset.resources if pipeline is not None else load_resources()


def _groups(resources: dict[str, Resource], first: str | None) -> list[tuple[str, list]]:
    countries = sorted({r.country for r in resources.values()},
                       key=lambda c: (c != first, c == INTERNATIONAL, c))
    return [
        (country, sorted((r for r in resources.values() if r.country == country),
                         key=lambda r: KIND_ORDER.index(r.kind)))
        for country in countries
    ]


def _browser_country() -> str | None:
    """The region of the browser's preferred language (en-GB → GB), if it names one."""
    for language, _quality in request.accept_languages:
        parts = language.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[1]) == 2:
            return parts[1].upper()
    return None


@bp.get("/crisis")
def index():
    """Show every crisis, emergency, treatment and meeting resource, grouped by country.

    The reader's own country comes first: ?country=, else the browser's language region.
    ?lang= shows the page in one of the forum's languages whatever the browser or account
    asks for: the service worker keeps each language's page for when there is no network.
    """
    country = (request.args.get("country") or "").upper() or _browser_country() or "US"
    asked = request.args.get("lang", "")
    if asked in current_app.config["LANGUAGES"]:
        with force_locale(asked):
            return _crisis_page(country)
    return _crisis_page(country)


def _crisis_page(country: str) -> str:
    language = _language()
    resources = {rid: r.localized(language) for rid, r in _resources().items()}
    return render_template(
        "crisis/index.html",
        groups=_groups(resources, country),
        country=country,
        language=language,
        country_names=COUNTRY_NAMES,
        kind_names=KIND_NAMES,
        contact_names=CONTACT_NAMES,
    )


def _language() -> str:
    return get_locale().language if get_locale() else "en"


def panel_context(resource_ids, *, risk: bool) -> dict:
    """What the crisis panel shows: the lines named for this post and, as they are right now,
    the moderators on duty for a crisis post and the peer supporters on duty."""
    language = _language()
    return {
        "items": [r.localized(language) for r in resources_for(resource_ids or [])],
        "risk": risk,
        "moderators": duty.moderator_cover() if risk else None,
        "supporters": crisis_support.supporter_cover(current_user),
        "zone": viewer_zone(),
    }


@bp.get("/p/<int:post_id>/support")
@login_required
def post_support(post_id: int):
    """The crisis panel of the member's own post, again (its author only; others get 404)."""
    found = crisis_support.access_post_support(post_id, viewer=current_user)
    return render_template(
        "crisis/post.html", post=found.post,
        panel=panel_context(found.resource_ids, risk=found.risk),
    )
