"""Talk to someone now on a phone (390x844): with nobody on duty the member is told so at once,
with the crisis and overdose lines first; with one supporter on duty the member is told so,
the supporter in another browser gets the alert, accepts, and both land in the private room and
talk. The header link asks before anyone is paged. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.flows import log_in, open_menu
from tests.livesrv import ROOT

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live
ARTIFACTS = ROOT / "test-artifacts"
PHONE_HEIGHT = 844


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# First in the module: nobody has gone on duty on this forum yet.
def test_nobody_on_duty_is_said_at_once_with_the_lines_first(forum_url, new_page):
    cedar = new_page()
    log_in(cedar, forum_url, "morning-cedar")
    open_menu(cedar)
    cedar.get_by_role("link", name="Talk to someone now").click()
    cedar.wait_for_url(forum_url + "/support")
    asking = cedar.locator(".support-nobody")
    assert "No peer supporter is on duty right now" in asking.inner_text()
    assert asking.bounding_box()["y"] < PHONE_HEIGHT  # seen without scrolling
    _shot(cedar, "talk-now-phone-ask-nobody-on-duty")
    cedar.get_by_role("button", name="Send my request").click()
    cedar.wait_for_url(re.compile(r".*/support/\d+$"))
    box = cedar.locator(".support-nobody")
    # At once, not after 3 minutes: no timer has run, and the page has no hidden fallback.
    assert box.is_visible()
    text = box.inner_text()
    assert "No peer supporter is on duty right now" in text
    assert "whoever comes on duty will see it" in text
    assert "988" in text and "Never Use Alone" in text
    assert box.bounding_box()["y"] < cedar.locator(".support-state").bounding_box()["y"]
    assert box.bounding_box()["y"] < PHONE_HEIGHT
    assert "We are letting" not in cedar.content()
    assert "No moderator is on duty right now" in cedar.locator(".duty-status").inner_text()
    assert cedar.get_by_role("button", name="Withdraw my request").is_visible()
    _shot(cedar, "talk-now-phone-nobody-on-duty")
    cedar.screenshot(path=str(ARTIFACTS / "talk-now-phone-nobody-on-duty-full.png"),
                     full_page=True)


def test_member_reaches_an_on_duty_supporter(forum_url, new_page):
    sam = new_page()
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(forum_url + "/support/requests")
    sam.get_by_role("button", name="Go on duty").click()
    sam.get_by_text("You are on duty as a peer supporter.").wait_for(timeout=8000)
    sam.locator('.support-alerts[data-live="1"]').wait_for(state="attached", timeout=8000)

    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    open_menu(heron)
    heron.get_by_role("link", name="Talk to someone now").click()
    heron.wait_for_url(forum_url + "/support")
    assert "1 peer supporter is on duty now." in heron.locator(".support-duty").inner_text()
    assert heron.locator(".support-nobody").count() == 0
    _shot(heron, "talk-now-phone-ask-one-on-duty")
    heron.get_by_role("button", name="Send my request").click()
    heron.wait_for_url(re.compile(r".*/support/\d+$"))
    state = heron.locator(".support-state").inner_text()
    assert "1 peer supporter is on duty now. We are letting them know." in state
    # The 3-minute fallback waits while someone who can answer is on duty.
    assert not heron.locator(".support-fallback").is_visible()
    _shot(heron, "talk-now-phone-one-on-duty")
    # Listening before the request is accepted, so the acceptance arrives live.
    heron.locator('.support-request[data-live="1"]').wait_for(state="attached", timeout=8000)

    alert = sam.locator(".support-alert", has_text="steady-heron")
    alert.wait_for(timeout=8000)
    alert.get_by_role("link", name="Accept").click()
    sam.get_by_role("button", name="Accept and start a private chat").click()
    sam.wait_for_url(re.compile(r".*/rooms/support-[\w-]+$"))
    room_url = sam.url

    heron.wait_for_url(room_url, timeout=10000)
    assert "Private conversation" in heron.content()
    # No wait on the presence count: a join's ack can overwrite a newer presence event. The
    # messages below arrive either live or in the history a later join returns.

    heron.fill("#chat-text", "Thank you for picking up.")
    heron.get_by_role("button", name="Send").click()
    sam.locator(".chat-log li", has_text="Thank you for picking up.").wait_for(timeout=8000)
    sam.fill("#chat-text", "I'm here. Take your time.")
    sam.get_by_role("button", name="Send").click()
    heron.locator(".chat-log li", has_text="Take your time.").wait_for(timeout=8000)
