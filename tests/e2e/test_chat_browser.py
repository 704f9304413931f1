"""Two members chat live in a room, each in their own browser context."""

from __future__ import annotations

import pytest

from tests.e2e.flows import log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_two_members_chat_live(forum_url, new_page):
    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    heron.goto(forum_url + "/rooms/coffee-room")
    assert "What is said in the room stays in the room." in heron.content()

    cedar = new_page()
    log_in(cedar, forum_url, "morning-cedar")
    cedar.goto(forum_url + "/rooms/coffee-room")
    # Both sockets joined: presence reaches heron's page.
    heron.locator(".chat-presence", has_text="2").wait_for(timeout=8000)

    heron.fill("#chat-text", "Morning, coffee is on.")
    heron.get_by_role("button", name="Send").click()
    cedar.locator(".chat-log li", has_text="Morning, coffee is on.").wait_for(timeout=8000)
    assert "steady-heron" in cedar.locator(".chat-log").inner_text()

    cedar.fill("#chat-text", "Thanks, pulling up a chair.")
    cedar.get_by_role("button", name="Send").click()
    heron.locator(".chat-log li", has_text="pulling up a chair").wait_for(timeout=8000)
    # The sender's own message is shown once, acknowledged (not pending).
    mine = heron.locator(".chat-log li", has_text="Morning, coffee is on.")
    assert mine.count() == 1
    assert mine.get_attribute("data-state") == "published"
