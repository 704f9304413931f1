"""Two members chat live in a room, each in their own browser context."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.flows import log_in, open_host_tools

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def test_two_members_chat_live(forum_url, new_page):
    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    heron.goto(forum_url + "/rooms/coffee-room")
    assert "What is said in the room stays in the room." in heron.content()
    expect(heron.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)

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


def test_facilitator_runs_a_meeting_with_waiting_room_and_slow_mode(forum_url, new_page):
    room = forum_url + "/rooms/night-owls"
    sam = new_page()
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(room)
    panel = sam.get_by_role("region", name="Facilitator tools")
    panel.wait_for(timeout=8000)
    # On the phone the tools are folded below the conversation: opened from their toggle.
    open_host_tools(sam)
    # Open or close, never both: the one that does not apply is hidden.
    expect(panel.get_by_role("button", name=re.compile(r"^(Open|Close) the room$"))
           ).to_have_count(1)
    sam.locator(".chat-presence", has_text="1").wait_for(timeout=8000)
    sam.get_by_label("Waiting room (let members in one by one)").check()
    sam.locator(".chat-panel-status", has_text="Done.").wait_for(timeout=8000)
    sam.get_by_label("Slow mode").select_option("30")
    sam.fill("#chat-announce-text", "Welcome. Tonight's topic: the first week.")
    sam.get_by_role("button", name="Announce").click()
    announcement = sam.locator(".chat-log li.chat-announcement", has_text="Tonight's topic")
    announcement.wait_for(timeout=8000)
    announcement.get_by_role("button", name="Pin").click()
    sam.locator(".chat-pinned", has_text="Tonight's topic").wait_for(timeout=8000)

    heron = new_page()
    log_in(heron, forum_url, "steady-heron")
    heron.goto(room)
    heron.locator(".chat-notice", has_text="Waiting to be let in").wait_for(timeout=8000)
    assert heron.locator(".chat-log li").count() == 0
    assert heron.locator("#chat-text").is_disabled()

    knock = sam.locator(".chat-knocks li", has_text="steady-heron")
    knock.wait_for(timeout=8000)
    knock.get_by_role("button", name="Let in").click()
    heron.locator(".chat-pinned", has_text="Tonight's topic").wait_for(timeout=8000)
    heron.locator(".chat-log li.chat-announcement", has_text="Tonight's topic").wait_for(
        timeout=8000)
    assert heron.locator(".chat-notice").is_hidden()
    expect(sam.locator(".chat-knocks li", has_text="steady-heron")).to_have_count(0)

    heron.fill("#chat-text", "Glad to be here.")
    heron.get_by_role("button", name="Send").click()
    sam.locator(".chat-log li", has_text="Glad to be here.").wait_for(timeout=8000)
    heron.locator(".chat-slow", has_text="You can send again in").wait_for(timeout=8000)
    heron.fill("#chat-text", "One more thing")
    heron.get_by_role("button", name="Send").click()
    heron.locator(".chat-error", has_text="Slow mode is on").wait_for(timeout=8000)
    assert heron.input_value("#chat-text") == "One more thing"  # nothing lost
    assert sam.locator(".chat-log li", has_text="One more thing").count() == 0

    sam.once("dialog", lambda dialog: dialog.accept())
    sam.get_by_role("button", name="End the meeting").click()
    heron.locator(".chat-notice", has_text="The meeting has ended").wait_for(timeout=8000)
    assert heron.locator("#chat-text").is_disabled()


def test_a_crisis_message_in_slow_mode_is_answered_and_kept_and_a_mute_stops_send(forum_url,
                                                                                  new_page):
    room = forum_url + "/rooms/coffee-room"
    sam = new_page()
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(room)
    open_host_tools(sam)
    heron = new_page()  # a phone: 390 x 844
    log_in(heron, forum_url, "steady-heron")
    heron.goto(room)
    sam.locator(".chat-presence", has_text="2").wait_for(timeout=8000)
    heron.fill("#chat-text", "Evening, all.")
    heron.get_by_role("button", name="Send").click()
    said = sam.locator(".chat-log li", has_text="Evening, all.")
    said.wait_for(timeout=8000)
    message_id = int(said.get_attribute("data-id"))

    sam.get_by_label("Slow mode").select_option("300")
    heron.locator(".chat-slow", has_text="one message every 300 seconds").wait_for(timeout=8000)
    text = "I'm going to kill myself tonight"
    heron.fill("#chat-text", text)
    heron.get_by_role("button", name="Send").click()
    heron.locator(".chat-error", has_text="Slow mode is on").wait_for(timeout=8000)
    expect(heron.locator(".chat-support")).to_be_visible(timeout=8000)
    assert heron.locator(".chat-support li").count() >= 1  # the crisis lines
    assert heron.input_value("#chat-text") == text  # nothing lost
    sam.locator(".chat-alert", has_text="steady-heron").wait_for(timeout=8000)
    assert sam.locator(".chat-log li", has_text="kill myself").count() == 0

    def mute(minutes):
        sam.evaluate("([id, minutes]) => window.forumChat.socket.emit('mute', "
                     "{room: 'coffee-room', message_id: id, minutes: minutes}, () => {})",
                     [message_id, minutes])

    mute(5)
    # The end of the mute in the member's zone (UTC for the demo accounts), 24-hour, named.
    heron.locator(".chat-notice", has_text=re.compile(
        r"until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")).wait_for(timeout=8000)
    expect(heron.get_by_role("button", name="Send")).to_be_disabled()
    assert heron.input_value("#chat-text") == text  # still there to send later
    mute(0)
    expect(heron.get_by_role("button", name="Send")).to_be_enabled(timeout=8000)
    sam.get_by_label("Slow mode").select_option("0")
