"""Passkeys in a real browser: Chromium's virtual authenticator (over the DevTools protocol)
stands in for a phone. A member adds a passkey on /account/security, logs out, logs in with the
password and finishes with "Use a passkey".

WebAuthn needs a secure context and a host name for the site (an IP address is not a valid
relying party id), so the forum is visited at http://localhost:<port>; without FORUM_BASE_URL
the forum names the site by the host the browser asked for."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.flows import DEMO_PASSWORD, log_in, open_menu

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

MEMBER = "steady-heron"


def _virtual_authenticator(page) -> tuple[object, str]:
    """A platform authenticator that verifies its user at once, as a phone's fingerprint
    reader would; returns the DevTools session and the authenticator's id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def _fits_phone_without_serious_issues(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert blocking(run_axe(page)) == []


def test_add_a_passkey_then_sign_in_with_password_and_passkey(forum_url, new_page):
    base = forum_url.replace("127.0.0.1", "localhost")
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    cdp, authenticator = _virtual_authenticator(page)

    log_in(page, base, MEMBER)
    page.goto(base + "/account/security")
    # The browser can use passkeys: the form shows and the "can't" note does not.
    expect(page.locator("form[data-passkey-register]")).to_be_visible()
    expect(page.locator("[data-passkey-unsupported]")).to_be_hidden()
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-add-status")).to_contain_text("Give the passkey a name")
    page.fill("#passkey-name", "My phone")
    page.get_by_role("button", name="Add a passkey").click()
    # The first factor: ten backup codes, shown once on the page.
    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    assert page.locator("[data-passkey-codes] code").count() == 10
    page.get_by_role("link", name="I've saved them, continue").click()
    expect(page.locator(".passkey-list")).to_contain_text("My phone")
    _fits_phone_without_serious_issues(page)

    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    credential = stored["credentials"][0]
    assert credential["rpId"] == "localhost" and credential["isResidentCredential"]
    # The key holds an opaque handle for the account, not its pseudonym.
    assert MEMBER not in credential.get("userHandle", "")

    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()

    page.goto(base + "/login")
    page.fill("#pseudonym", MEMBER)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    page.wait_for_url(base + "/login/second-factor")
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    _fits_phone_without_serious_issues(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(base + "/")
    open_menu(page)
    expect(page.get_by_role("link", name=MEMBER)).to_be_visible()
    used = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert used["credentials"][0]["signCount"] > credential["signCount"]
    assert not errors, errors
