"""A member presses Talk to someone now; an on-duty facilitator in another browser gets the
alert, accepts, and both land in the private room and talk."""

from __future__ import annotations

import re

import pytest

from tests.e2e.flows import log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_member_reaches_an_on_duty_supporter(forum_url, new_page):
    sam = new_page()
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(forum_url + "/support/requests")
    sam.get_by_role("button", name="Go on duty").click()
    sam.get_by_text("You are on duty as a peer supporter.").wait_for(timeout=8000)
    sam.locator('.support-alerts[data-live="1"]').wait_for(state="attached", timeout=8000)

    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    heron.get_by_role("button", name="Talk to someone now").click()
    heron.wait_for_url(re.compile(r".*/support/\d+$"))
    assert "We are letting the peer supporters on duty know" in heron.content()
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
