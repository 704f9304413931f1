"""A trained moderator on duty sees a crisis post arrive live, in a second browser context."""

from __future__ import annotations

import pytest

from tests.e2e.test_threads_browser import _log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_on_duty_moderator_gets_the_urgent_item_live(forum_url, new_page):
    moderator = new_page(1280, 900)
    _log_in(moderator, forum_url, "mod-rowan")
    moderator.goto(forum_url + "/review")
    if moderator.get_by_role("button", name="Go on duty").count():
        moderator.get_by_role("button", name="Go on duty").click()
        moderator.wait_for_load_state()
    moderator.goto(forum_url + "/review")
    assert "You are on duty." in moderator.content()
    live = moderator.locator(".live-list")
    moderator.wait_for_timeout(1500)  # the page's socket joins the on-duty rooms
    before = live.locator("li").count()

    member = new_page()
    _log_in(member, forum_url, "morning-cedar")
    member.goto(forum_url + "/c/daily-check-ins/new")
    member.fill("#title", "Can't do this")
    member.fill("#body", "I want to kill myself tonight. I can't keep going.")
    member.get_by_role("button", name="Post thread").click()
    member.wait_for_url("**/t/*")

    # Well inside the page's 15-second poll: this arrives through the /mod socket.
    live.locator("li").nth(before).wait_for(timeout=8000)
    assert "crisis" in live.inner_text()
