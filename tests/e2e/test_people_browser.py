"""An admin manages people on a phone (390x844): jo-meadow finds steady-heron and makes them a
facilitator through the form, password confirmed. The page fits the phone and has no serious
accessibility problem, in English and in Spanish. Screenshot: test-artifacts/people-phone.png.
"""

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


def test_admin_grants_a_role_on_a_phone(forum_url, new_page):
    page = new_page()
    log_in(page, forum_url, "jo-meadow")
    page.goto(forum_url + "/review/team")
    page.get_by_role("link", name="People: roles and training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People: roles and training")
    page.get_by_label("Pseudonym").fill("steady-heron")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Roles and training of steady-heron")).to_be_visible()

    page.get_by_label("Role", exact=True).select_option("facilitator")
    page.locator("#role-password").fill("not my password")
    page.get_by_role("button", name="Grant role").click()
    expect(page.locator(".error-summary")).to_contain_text("That is not your password.")
    expect(page.get_by_label("Role", exact=True)).to_have_value("facilitator")

    page.locator("#role-password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Grant role").click()
    expect(page.locator(".flash-success")).to_have_text("steady-heron is now Facilitator.")
    card = page.locator(".people-card", has_text="steady-heron")
    expect(card).to_contain_text("Facilitator")
    _fits_phone(page)
    assert blocking(run_axe(page)) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "people-phone.png"), full_page=True)


def test_the_page_in_spanish(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/login")
    page.fill("#pseudonym", "jo-meadow")
    page.fill("#password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(forum_url + "/")
    page.goto(forum_url + "/review/team/people?name=rowan-pine")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personas: roles y formación")
    expect(page.get_by_role("button", name="Conceder rol")).to_be_visible()
    expect(page.locator("#manage")).to_contain_text("Respuesta ante crisis")
    _fits_phone(page)
    assert blocking(run_axe(page)) == []
