"""A chat room on a phone (390x844) as a facilitator and a member live it.

The facilitator's phone opens on the conversation, the tools folded behind a toggle below it;
a member's crisis message brings the facilitator an alert right above the composer, on screen
without scrolling, and the folded tools still tell them who knocks. On a desktop the tools
stand open beside the conversation; without JavaScript the toggle still opens. A member's
page (also in an anonymous room and a meeting's room) fits the phone. No serious axe finding,
in English or Spanish. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live
PHONE = {"width": 390, "height": 844}
ROOM = "/rooms/coffee-room"
CRISIS = "I want to end it all tonight"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _fits_width(page) -> None:
    """Nothing is wider than the screen: no sideways scrolling, nothing cut off."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"], wide


def _on_screen(locator, page) -> dict:
    """The element is whole within the screen as the page is now; its box."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    return box


def _joined(page, count: int | None = None) -> None:
    presence = page.locator(".chat-presence")
    number = str(count) if count else r"\d+"
    expect(presence).to_have_text(re.compile(rf"^{number}\b"), timeout=8000)


def _say(page, text: str) -> None:
    page.fill("#chat-text", text)
    page.locator(".chat-form button[type=submit]").click()


def _log_in_spanish(page, base: str, pseudonym: str) -> None:
    """The login form with the words of any language: filled, then sent with Enter."""
    page.goto(base + "/login")
    page.fill("#pseudonym", pseudonym)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(base + "/")


def test_facilitator_phone_conversation_first_and_alert_above_the_composer(forum_url, new_page):
    sam = new_page()
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(forum_url + ROOM)
    _joined(sam)
    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    heron.goto(forum_url + ROOM)
    _joined(sam, 2)
    for n in range(3):
        _say(heron, f"Checking in, line {n}.")
    expect(sam.locator(".chat-log li", has_text="line 2")).to_have_count(1, timeout=8000)

    # The conversation first; the tools folded behind their toggle below it.
    fold = sam.locator(".chat-panel-toggle")
    toggle = fold.locator("summary")
    expect(toggle).to_have_text("Facilitator tools")
    expect(fold).not_to_have_attribute("open", re.compile(".*"))
    expect(sam.get_by_label("Slow mode")).to_be_hidden()
    log_top = sam.locator(".chat-log-region").bounding_box()["y"]
    assert log_top < toggle.bounding_box()["y"]
    # The composer is on the first screen, nothing scrolled.
    assert sam.evaluate("window.scrollY") == 0
    composer = _on_screen(sam.locator("#chat-text"), sam)
    assert log_top < composer["y"]
    _fits_width(sam)

    # A member's crisis message: the facilitator's alert lands right above the composer, on
    # screen, announced (role alert, assertive), without the message's words.
    _say(heron, CRISIS)
    expect(heron.locator(".chat-support")).to_be_visible(timeout=8000)
    alert = sam.locator(".chat-alert", has_text="steady-heron may be in crisis")
    expect(alert).to_be_visible(timeout=8000)
    expect(alert).not_to_contain_text(CRISIS)
    alerts = sam.locator(".chat-alerts")
    expect(alerts).to_have_attribute("role", "alert")
    expect(alerts).to_have_attribute("aria-live", "assertive")
    assert sam.evaluate("window.scrollY") == 0
    box = _on_screen(alert, sam)
    composer = _on_screen(sam.locator("#chat-text"), sam)
    assert box["y"] + box["height"] <= composer["y"], (box, composer)
    _fits_width(sam)
    _shot(sam, "room-facilitator-phone")
    assert blocking(run_axe(sam)) == []

    # The member's page: unchanged, no tools, no alerts; it fits and the composer is reachable.
    expect(heron.locator(".chat-panel, .chat-alerts")).to_have_count(0)
    _fits_width(heron)
    heron.locator("#chat-text").scroll_into_view_if_needed()
    _on_screen(heron.locator("#chat-text"), heron)
    _shot(heron, "room-member-phone")
    assert blocking(run_axe(heron)) == []

    # With the tools folded, a pin from the log is answered above the composer.
    sam.locator(".chat-log li", has_text="line 0").get_by_role("button", name="Pin").click()
    expect(sam.locator(".chat-host-status")).to_have_text("Done.", timeout=8000)
    expect(heron.locator(".chat-pinned")).to_contain_text("line 0", timeout=8000)
    # Dismissed, the alert goes and the facilitator is back in the composer.
    alert.get_by_role("button", name="Dismiss this alert").click()
    expect(alert).to_have_count(0)
    expect(sam.locator("#chat-text")).to_be_focused()

    # Opened, the tools show; with the waiting room on and the tools folded again, a knock
    # is shown above the composer and leads straight to the member's "Let in".
    toggle.click()
    expect(sam.get_by_label("Slow mode")).to_be_visible()
    _fits_width(sam)
    sam.get_by_label("Waiting room (let members in one by one)").check()
    expect(sam.locator(".chat-panel-status")).to_have_text("Done.", timeout=8000)
    toggle.click()
    expect(sam.get_by_label("Slow mode")).to_be_hidden()
    cedar = new_page()
    log_in(cedar, forum_url, "morning-cedar")
    cedar.goto(forum_url + ROOM)
    expect(cedar.locator(".chat-notice")).to_contain_text("Waiting to be let in", timeout=8000)
    expect(sam.locator(".chat-knock-count")).to_have_text("Waiting to be let in: 1",
                                                          timeout=8000)
    sam.get_by_role("button", name="Show the waiting list").click()
    let_in = sam.locator(".chat-knocks li", has_text="morning-cedar").get_by_role(
        "button", name="Let in")
    expect(let_in).to_be_focused()
    sam.keyboard.press("Enter")
    expect(cedar.locator(".chat-notice")).to_be_hidden(timeout=8000)
    expect(sam.locator(".chat-knock-count")).to_be_empty()
    sam.get_by_label("Waiting room (let members in one by one)").uncheck()
    expect(sam.locator(".chat-panel-status")).to_have_text("Done.", timeout=8000)


def test_facilitator_desktop_tools_open_beside_the_conversation(forum_url, new_page):
    sam = new_page(1280, 900)
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(forum_url + ROOM)
    _joined(sam)
    expect(sam.get_by_label("Slow mode")).to_be_visible()
    expect(sam.get_by_role("button", name="Announce")).to_be_visible()
    log_box = sam.locator(".chat-log-region").bounding_box()
    panel_box = sam.locator(".chat-panel").bounding_box()
    assert panel_box["x"] >= log_box["x"] + log_box["width"], (log_box, panel_box)
    _on_screen(sam.locator("#chat-text"), sam)
    _fits_width(sam)
    _shot(sam, "room-facilitator-desktop")
    assert blocking(run_axe(sam)) == []


def test_without_javascript_the_tools_toggle_still_opens(forum_url, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        sam = context.new_page()
        log_in(sam, forum_url, "sam-lantern")
        sam.goto(forum_url + ROOM)
        slow = sam.get_by_label("Slow mode")
        expect(slow).to_be_hidden()
        sam.locator(".chat-panel-toggle > summary").click()
        expect(slow).to_be_visible()
        expect(sam.get_by_label("Lock the room (no one new can join)")).to_be_visible()
        _fits_width(sam)
    finally:
        context.close()


def test_spanish_room_for_facilitator_and_members(forum_url, browser, new_page):
    contexts = [browser.new_context(viewport=PHONE, locale="es-ES") for _ in range(2)]
    try:
        sam, heron = (context.new_page() for context in contexts)
        _log_in_spanish(sam, forum_url, "sam-lantern")
        sam.goto(forum_url + ROOM)
        _joined(sam)
        assert sam.locator("html").get_attribute("lang") == "es"
        toggle = sam.locator(".chat-panel-toggle > summary")
        expect(toggle).to_have_text("Herramientas del facilitador")
        expect(sam.get_by_label("Modo lento")).to_be_hidden()
        _on_screen(sam.locator("#chat-text"), sam)
        _fits_width(sam)
        assert blocking(run_axe(sam)) == []
        toggle.click()
        expect(sam.get_by_label("Modo lento")).to_be_visible()
        _fits_width(sam)
        assert blocking(run_axe(sam)) == []

        # A member in Spanish, in the room and in the anonymous room.
        _log_in_spanish(heron, forum_url, "steady-heron")
        for room in (ROOM, "/rooms/anonymous-share"):
            heron.goto(forum_url + room)
            _joined(heron)
            expect(heron.get_by_role("button", name="Enviar")).to_be_visible()
            expect(heron.locator(".chat-panel")).to_have_count(0)
            _fits_width(heron)
            assert blocking(run_axe(heron)) == [], room
        expect(heron.locator(".chat-privacy")).to_contain_text("Miembro anónimo")
    finally:
        for context in contexts:
            context.close()

    # A member in a meeting's room (closed between sessions) on an English phone.
    member = new_page()
    log_in(member, forum_url, "steady-heron")
    member.goto(forum_url + "/rooms/evening-check-in-circle")
    expect(member.get_by_role("heading", level=1)).to_have_text("Evening check-in circle")
    expect(member.locator(".chat-closed-notice")).to_be_visible()
    _fits_width(member)
    assert blocking(run_axe(member)) == []
