"""Two-step sign-in in Chromium on a phone-sized screen: a member adds an authenticator app from
the key the page shows, keeps the backup codes, and signs in with password then code; a new
moderator without a second factor (the demo's staff come with an app already) is told on every
page, and enrols to use the role.

The live forum runs on the real clock. The app's code is computed here with pyotp from the key
read off the page; a code for the next 30-second step is inside the accepted window, so the
sign-in after enrolling needs no waiting for a fresh step."""

from __future__ import annotations

import subprocess
import sys
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in, open_menu
from tests.e2e.privacy_scan import (
    assert_database_holds_no_address_or_agent,
    assert_log_holds_no_agent,
)
from tests.livesrv import ROOT, live_forum

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

PHONE = 390
NEW_MODERATOR = "steady-heron"


@pytest.fixture(scope="module")
def forum_url(tmp_path_factory) -> str:
    """A live forum where staff roles need a second factor, and a member just made moderator
    from the command line, without one."""
    def grant(env: dict[str, str]) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "forum", "grant", NEW_MODERATOR,
             "moderator"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "has no second factor yet" in done.stdout

    folder = tmp_path_factory.mktemp("live")
    with live_forum(folder, extra_env={"FORUM_STAFF_2FA": "required"},
                    before_serve=grant) as base:
        yield base
    assert_database_holds_no_address_or_agent(folder / "forum.sqlite3")
    assert_log_holds_no_agent(folder / "server.log")


def _next_code(secret: str) -> str:
    """The code of the step after this one: newer than any code spent so far."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{page.url} is {width}px wide on a {PHONE}px phone"


def _shot(page, name: str) -> None:
    """Keep a full-page picture to look at (test-artifacts/, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"two-factor-{name}.png"), full_page=True)


def _enrol(page, base: str, shot: str) -> tuple[str, list[str]]:
    """Add the app from the security page as its owner would; returns the key and codes."""
    page.goto(base + "/account/security")
    _fits(page)
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_selector("#totp-secret")
    assert page.locator(".security-qr svg").is_visible()
    _fits(page)
    _shot(page, f"{shot}-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.wait_for_selector("text=Save your backup codes")
    codes = page.locator(".backup-codes code").all_inner_texts()
    _fits(page)
    _shot(page, f"{shot}-codes")
    return secret, codes


def test_a_member_enrols_and_signs_in_with_password_then_code(forum_url, new_page):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, forum_url, "morning-cedar")
    page.goto(forum_url + "/account")
    page.get_by_role("link", name="Manage two-step sign-in").click()
    page.wait_for_url(forum_url + "/account/security")
    assert "Turned off" in page.locator(".security-status").inner_text()
    _shot(page, "member-status")

    secret, codes = _enrol(page, forum_url, "member")
    assert len(codes) == 10
    page.get_by_role("link", name="I've saved them, continue").click()
    assert "Turned on" in page.locator(".security-status").inner_text()

    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    # Logging out first clears what the browser kept, then posts: wait for the answer.
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto(forum_url + "/login")
    page.fill("#pseudonym", "morning-cedar")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    page.wait_for_url(forum_url + "/login/second-factor")
    _fits(page)
    page.fill("#code", _next_code(secret))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(forum_url + "/")
    open_menu(page)
    assert page.get_by_role("link", name="morning-cedar").is_visible()
    assert errors == []


def test_a_staff_account_without_a_second_factor_is_told_and_enrols(forum_url, new_page):
    page = new_page()
    log_in(page, forum_url, NEW_MODERATOR)
    banner = page.locator(".staff-lock")
    assert banner.is_visible()
    assert "Your moderator role needs two-step sign-in." in banner.inner_text()
    # The banner sits in the page, under the header, which keeps its one bar on a phone.
    assert page.locator("main .staff-lock").count() == 1
    locked_header = page.locator(".site-header").bounding_box()["height"]
    _fits(page)
    _shot(page, "staff-locked")
    assert page.goto(forum_url + "/review").status == 404  # the role waits

    page.goto(forum_url + "/")
    banner.get_by_role("link", name="Set it up to use it.").click()
    page.wait_for_url(forum_url + "/account/security")
    _enrol(page, forum_url, "staff")
    page.goto(forum_url + "/")
    assert page.locator(".staff-lock").count() == 0
    assert page.locator(".site-header").bounding_box()["height"] == locked_header
    assert page.goto(forum_url + "/review").status == 200


def test_the_pages_fit_a_phone_in_spanish(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/signup")
    page.fill("#pseudonym", "quiet-harbor")
    page.fill("#password", DEMO_PASSWORD)
    page.fill("#password_confirm", DEMO_PASSWORD)
    page.check("#agree")
    page.get_by_role("button", name="Crear mi cuenta").click()
    page.wait_for_selector(".recovery-codes")
    page.goto(forum_url + "/account/security")
    assert "Inicio de sesión en dos pasos" in page.locator("h1").inner_text()
    _fits(page)
    page.get_by_role("button", name="Configurar una app de autenticación").click()
    page.wait_for_selector("#totp-secret")
    _fits(page)
    _shot(page, "es-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activar el inicio de sesión en dos pasos").click()
    page.wait_for_selector("text=Guarda tus códigos de respaldo")
    _fits(page)
