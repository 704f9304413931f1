"""Every member has a time zone: picked from the IANA list at sign-up (the browser's own
preselected by timezone.js), changeable on the account page, and handed to the chat page so
the times it shows are in it, with the zone named."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.errors import ValidationFailed
from forum.extensions import db
from forum.models import User
from forum.services.accounts import account as accounts, guidelines
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.fixtures import chat as chat_support

room = chat_support.room


def _signup(client, **overrides):
    data = {"pseudonym": "quiet-otter", "password": PASSWORD, "password_confirm": PASSWORD,
            "agree": "y", "guidelines_version": str(guidelines.current_version().id),
            "csrf_token": csrf_from(client, "/signup")}
    data.update(overrides)
    return client.post("/signup", data=data)


def _zone_select(page: str) -> str:
    found = re.search(r'<select[^>]*name="timezone"[^>]*>(.*?)</select>', page, re.S)
    assert found, "no time zone list"
    return found.group(1)


def test_signup_offers_the_zone_list_and_detects_the_browser_s(client):
    page = page_text(client.get("/signup"))
    options = _zone_select(page)
    assert '<option value="Europe/Madrid">' in options
    assert '<option selected value="UTC">' in options
    assert "js/timezone.js" in page and "data-detect-zone" in page


def test_signup_keeps_the_chosen_zone(client):
    assert _signup(client, timezone="America/Chicago").status_code == 200
    user = db.session.scalar(select(User).where(User.pseudonym == "quiet-otter"))
    assert user.timezone == "America/Chicago"


def test_signup_without_a_zone_is_utc(client):
    assert _signup(client).status_code == 200
    assert db.session.scalar(select(User.timezone).where(User.pseudonym == "quiet-otter")) == "UTC"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 80])
def test_signup_refuses_a_zone_not_in_the_list(client, zone):
    response = _signup(client, timezone=zone)
    assert response.status_code == 400
    page = page_text(response)
    assert db.session.scalar(select(User).where(User.pseudonym == "quiet-otter")) is None
    assert "data-detect-zone" not in page  # a submitted form keeps what was sent


def test_signup_service_refuses_an_unknown_zone(app):
    with pytest.raises(ValidationFailed) as refused:
        accounts.check_signup("quiet-otter", PASSWORD, PASSWORD,
                              agreed_guidelines_version=guidelines.current_version().id,
                              timezone="Nowhere/Atlantis")
    assert "timezone" in refused.value.reasons


def test_account_changes_the_zone_from_the_list(client, member):
    login(client, member)
    options = _zone_select(page_text(client.get("/account")))
    assert '<option selected value="UTC">' in options
    token = csrf_from(client, "/account")
    refused = client.post("/account/preferences", data={
        "locale": "", "timezone": "Moon/Tranquility", "csrf_token": token})
    assert refused.status_code == 400
    saved = client.post("/account/preferences", data={
        "locale": "", "timezone": "Asia/Tokyo", "csrf_token": token})
    assert saved.status_code == 302
    db.session.refresh(member)
    assert member.timezone == "Asia/Tokyo"
    assert '<option selected value="Asia/Tokyo">' in _zone_select(page_text(client.get("/account")))


def test_set_preferences_refuses_an_unknown_zone(member):
    with pytest.raises(ValidationFailed):
        accounts.set_preferences(member, locale=None, timezone="Nowhere/Atlantis")


def test_the_chat_page_carries_the_member_s_zone(client, member, room):
    accounts.set_preferences(member, locale=None, timezone="Europe/Madrid")
    login(client, member)
    page = page_text(client.get(f"/rooms/{room.slug}"))
    assert 'data-timezone="Europe/Madrid"' in page
