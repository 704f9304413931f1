"""A chat message sent while the forum's database is briefly away (a restart).

The server then answers a send with `{"ok": false, "error": "unavailable", "retry": true,
"text"}` (forum/realtime/chat.py; tests/faults/test_postgres_restart.py breaks a real
PostgreSQL). Here the browser's WebSocket is routed through the test, which answers the sends
that way for as long as it likes: the member sees "Sending…", not an error, while the page sends
the same client_id again; once the server stores it, it is shown once. After 30 s of
`unavailable` the text goes back to the box with the reason.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.flows import log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

ROOM = "/rooms/coffee-room"
# A Socket.IO send with its ack id, as the page's client frames it over the WebSocket.
SEND = re.compile(r'^42/chat,(\d+)(\["send",.*\])$', re.S)
REASON = "The forum is briefly unavailable, so this was not sent yet."


class Outage:
    """Routes a page's Socket.IO WebSocket; while `down`, each send is answered `unavailable`
    by the test instead of reaching the server. Every send's client_id is recorded."""

    def __init__(self, page) -> None:
        self.down = True
        self.sends: list[str] = []      # client_id of every send the page made
        self.answered = 0               # sends the test answered `unavailable`
        page.route_web_socket(re.compile(r"/socket\.io/"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def from_page(message) -> None:
            found = SEND.match(message) if isinstance(message, str) else None
            if found:
                payload = json.loads(found.group(2))[1]
                self.sends.append(payload["client_id"])
                if self.down:
                    self.answered += 1
                    ack = {"ok": False, "error": "unavailable", "message": REASON,
                           "text": payload["text"], "retry": True}
                    ws.send(f"43/chat,{found.group(1)}{json.dumps([ack])}")
                    return
            server.send(message)

        ws.on_message(from_page)


def _wait(page, condition, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def _open_room(page, forum_url: str) -> None:
    page.goto(forum_url + ROOM)
    expect(page.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)


def test_a_message_stays_sending_and_lands_once_when_the_database_is_back(forum_url,
                                                                           new_page):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    outage = Outage(page)
    _open_room(page, forum_url)

    words = "Made it to the meeting tonight, first time in weeks."
    page.fill("#chat-text", words)
    page.get_by_role("button", name="Send").click()
    mine = page.locator(".chat-log li", has_text=words)
    _wait(page, lambda: outage.answered >= 3)  # tried, then again after 1 s and 2 s
    # Still "Sending…": no error, the box is free for the next message.
    expect(mine).to_have_attribute("data-state", "pending")
    expect(mine.locator(".chat-state")).to_have_text("Sending…")
    expect(page.locator(".chat-error")).to_have_text("")
    assert page.input_value("#chat-text") == ""
    assert len(set(outage.sends)) == 1  # every try the same client_id

    outage.down = False  # the database is back: the next try reaches the server
    expect(mine).to_have_attribute("data-state", "published", timeout=10000)
    assert mine.count() == 1
    assert len(set(outage.sends)) == 1

    # Stored once: the room's history after a reload holds it once.
    _open_room(page, forum_url)
    expect(page.locator(".chat-log li", has_text=words)).to_have_count(1)


def test_after_thirty_seconds_the_text_goes_back_to_the_box(forum_url, new_page):
    page = new_page()
    page.clock.install()  # the 30 s pass in steps the test takes, not in real time
    log_in(page, forum_url, "morning-cedar")
    outage = Outage(page)
    _open_room(page, forum_url)

    words = "Is anyone else up? Rough night."
    page.fill("#chat-text", words)
    page.get_by_role("button", name="Send").click()
    mine = page.locator(".chat-log li", has_text=words)
    _wait(page, lambda: outage.answered >= 1)
    # Six steps of 5 s take it to 30 s after the first try; each try is answered before the
    # next step, so each step times the next try.
    for _step in range(6):
        expect(mine).to_have_attribute("data-state", "pending")
        expect(page.locator(".chat-error")).to_have_text("")
        tries = outage.answered
        page.clock.run_for(5000)
        _wait(page, lambda t=tries: outage.answered > t)
    # Past 30 s: the last answer gives the text back, with the reason.
    expect(page.locator("#chat-text")).to_have_value(words, timeout=8000)
    expect(page.locator(".chat-error")).to_have_text(REASON)
    expect(mine).to_have_count(0)
    assert len(set(outage.sends)) == 1
    stopped = outage.answered
    page.clock.run_for(10000)
    assert outage.answered == stopped  # no more tries once given back

    # Sent again by the member once the database is back: the same client_id, stored once.
    outage.down = False
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".chat-log li", has_text=words)).to_have_attribute(
        "data-state", "published", timeout=10000)
    assert len(set(outage.sends)) == 1
