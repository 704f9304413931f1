"""Where you are logged in, on a phone (390x844): steady-heron, logged in on a phone and on a
laptop, names the phone, logs the laptop out from the phone, and the laptop's next page is the
log-in page. An admin logs an account out everywhere from the people page. The pages fit the
phone and have no serious accessibility problem, in English and in Spanish.
Screenshot: test-artifacts/sessions-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

# Elements reaching past the right edge (the skip link waits off-screen to the left).
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""


def _fits_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(TOO_WIDE) == []


def test_a_member_names_the_phone_and_logs_the_laptop_out(forum_url, new_page):
    laptop = new_page(1280, 900)
    log_in(laptop, forum_url, "steady-heron")
    phone = new_page()
    log_in(phone, forum_url, "steady-heron")
    phone.goto(forum_url + "/account")
    phone.get_by_role("link", name="Your devices and sessions").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Where you are logged in")
    cards = phone.locator(".sessions-list > li")
    expect(cards).to_have_count(2)
    mine = cards.filter(has_text="This device")
    expect(mine).to_have_count(1)
    mine.get_by_label("Device name").fill("My phone")
    mine.get_by_role("button", name="Save name").click()
    expect(phone.locator(".flash-success")).to_have_text("Device name saved.")
    expect(phone.get_by_role("heading", name="My phone")).to_be_visible()
    _fits_phone(phone)
    assert blocking(run_axe(phone)) == []
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "sessions-phone.png"), full_page=True)

    phone.get_by_role("button", name="Log out the other device").click()
    expect(phone.locator(".flash-success")).to_have_text("1 other device is logged out.")
    expect(phone.locator(".sessions-list > li")).to_have_count(1)
    laptop.goto(forum_url + "/account")
    assert "/login" in laptop.url

    phone.get_by_role("button", name="Log out this device").click()
    expect(phone.locator(".flash")).to_contain_text("This device is logged out.")
    phone.goto(forum_url + "/account")
    assert "/login" in phone.url


def test_an_admin_logs_an_account_out_everywhere(forum_url, new_page):
    member = new_page(1280, 900)
    log_in(member, forum_url, "morning-cedar")
    admin = new_page()
    log_in(admin, forum_url, "jo-meadow")
    admin.goto(forum_url + "/review/team/people?name=morning-cedar")
    section = admin.get_by_role("heading", name="End all sessions of this account")
    expect(section).to_be_visible()
    admin.get_by_label("Reason (kept in the audit log)").fill("Asked us to, phone lost")
    admin.get_by_role("button", name="End all sessions of this account").click()
    expect(admin.locator(".flash-success")).to_have_text(
        "morning-cedar is logged out of 1 session.")
    _fits_phone(admin)
    assert blocking(run_axe(admin)) == []
    member.goto(forum_url + "/account")
    assert "/login" in member.url


def test_the_page_in_spanish(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/login")
    page.fill("#pseudonym", "sam-lantern")
    page.fill("#password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(forum_url + "/")
    page.goto(forum_url + "/account/sessions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dónde tienes la sesión iniciada")
    expect(page.locator(".badge")).to_have_text("Este dispositivo")
    expect(page.get_by_role("button", name="Cerrar la sesión en este dispositivo")).to_be_visible()
    _fits_phone(page)
    assert blocking(run_axe(page)) == []
