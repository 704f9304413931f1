"""Sign-up, recovery codes and the crisis link in a real browser on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.flows import open_menu

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_signup_with_only_a_pseudonym_shows_recovery_codes(forum_url, new_page):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(forum_url + "/signup")
    assert page.locator("input[type=email]").count() == 0
    assert page.locator("#password").get_attribute("type") == "password"
    assert page.locator("#password_confirm").get_attribute("type") == "password"
    page.get_by_role("button", name="Suggest one").click()
    # A locator assertion, not wait_for_function: the page's CSP (rightly) forbids eval.
    expect(page.locator("#pseudonym")).not_to_have_value("")
    suggested = page.input_value("#pseudonym")
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d\d", suggested)
    page.fill("#pseudonym", "browser-otter")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.check("#agree")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector("text=Save your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 8
    page.get_by_role("link", name="I've saved them, continue").click()
    open_menu(page)
    assert page.get_by_role("link", name="browser-otter").is_visible()
    assert errors == []


def test_refused_signup_keeps_the_text_and_says_why(forum_url, new_page):
    page = new_page()
    page.goto(forum_url + "/signup")
    page.fill("#pseudonym", "admin")
    page.fill("#password", "short")
    page.fill("#password_confirm", "short")
    page.get_by_role("button", name="Create my account").click()
    alert = page.get_by_role("alert")
    assert "reserved" in alert.inner_text()
    assert "at least 10 characters" in alert.inner_text()
    assert page.input_value("#pseudonym") == "admin"


def test_get_help_now_is_on_every_page_and_reachable_by_keyboard(forum_url, new_page):
    page = new_page()
    for path in ("/", "/login", "/signup", "/guidelines"):
        page.goto(forum_url + path)
        link = page.get_by_role("link", name="Get help now")
        assert link.is_visible()
        box = link.bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24
    page.goto(forum_url + "/")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Get help now"
    page.keyboard.press("Enter")
    page.wait_for_url("**/crisis")
    assert "988" in page.content()


def test_inline_script_is_refused_by_the_content_security_policy(forum_url, new_page):
    page = new_page()
    page.goto(forum_url + "/")
    ran = page.evaluate(
        """() => { window.__ran = false;
                   const s = document.createElement('script');
                   s.textContent = 'window.__ran = true';
                   document.body.appendChild(s);
                   return window.__ran; }"""
    )
    assert ran is False
