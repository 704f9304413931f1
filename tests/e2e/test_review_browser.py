"""A trained moderator on duty sees a crisis post arrive live, in a second browser context."""

from __future__ import annotations

import pytest

from tests.e2e.flows import log_in, start_thread

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_on_duty_moderator_gets_the_urgent_item_live(forum_url, new_page):
    moderator = new_page(1280, 900)
    log_in(moderator, forum_url, "rowan-pine")
    moderator.goto(forum_url + "/review")
    if moderator.get_by_role("button", name="Go on duty").count():
        moderator.get_by_role("button", name="Go on duty").click()
        moderator.wait_for_load_state()
    moderator.goto(forum_url + "/review")
    assert "You are on duty." in moderator.content()
    live = moderator.locator(".live-list")
    # The /mod socket's connect is answered once it has joined the on-duty rooms.
    moderator.locator('.review-page[data-live="1"]').wait_for(state="attached", timeout=8000)
    before = live.locator("li").count()

    member = new_page()
    log_in(member, forum_url, "morning-cedar")
    start_thread(member, forum_url, "Can't do this",
                 "I want to kill myself tonight. I can't keep going.")
    member.wait_for_url("**/t/*")

    # Well inside the page's 15-second poll: this arrives through the /mod socket.
    live.locator("li").nth(before).wait_for(timeout=8000)
    assert "crisis" in live.inner_text()
