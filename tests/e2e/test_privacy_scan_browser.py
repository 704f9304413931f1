"""What a member's browser receives holds nothing of an anonymous or held author; the database
holds no IP address or user agent; the server log holds no post or message text.

A new member signs up and writes only anonymously or held: an anonymous thread, a reply held
for its phone number, an anonymous chat message and a held one. Meanwhile another member (not a
moderator) reads the forum in a second context that records every HTTP response body and every
WebSocket frame it receives. None may contain the author's pseudonym, the held texts or the
author's recovery codes; the anonymous texts themselves must arrive (so the scan is not blind).

At the waiting room of the anonymous room, a moderator hosts while a facilitator (a member there)
and a member knock and are let in: no Socket.IO event or ack either of them receives carries the
account id of anyone in the room, and the facilitator gets no host panel.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.flows import log_in
from tests.e2e.privacy_scan import (
    account_ids_in,
    assert_database_holds_no_address_or_agent,
    socketio_payloads,
)
from tests.livesrv import live_forum

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

@pytest.fixture(scope="module")
def privacy_forum(tmp_path_factory):
    """A live forum and the folder holding its database and log."""
    tmp = tmp_path_factory.mktemp("privacy")
    with live_forum(tmp) as base:
        yield base, tmp


class Recorder:
    """Every page, JSON answer and WebSocket frame one member's browser gets.

    Chromium drops a document's body once the next one replaces it, so each page is read
    twice: as served (fetched again with the page's cookies) and as the scripts left it."""

    def __init__(self, page) -> None:
        self.page = page
        self.bodies: list[tuple[str, str]] = []
        self.frames: list[str] = []
        self.xhr: set[str] = set()
        page.on("request", self._request)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _request(self, request) -> None:
        if request.resource_type in ("xhr", "fetch") and "/socket.io/" not in request.url:
            self.xhr.add(request.url)

    def get(self, url: str) -> None:
        """Fetch a URL with the page's cookies (a download, a JSON answer) and record it."""
        response = self.page.request.get(url)
        assert response.ok, url
        self.bodies.append((url, response.text()))

    def visit(self, url: str) -> None:
        """Load a page, then record it as served and as rendered."""
        self.page.goto(url)
        self.record()

    def record(self) -> None:
        """Record the current page as served and as rendered."""
        self.get(self.page.url)
        self.bodies.append((self.page.url + " (rendered)", self.page.content()))

    def finish(self) -> None:
        """Record the script requests' answers too."""
        for url in sorted(self.xhr):
            self.get(url)

    def _frame(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, str) else payload.decode("utf-8",
                                                                                  "replace"))

    def containing(self, needle: str) -> list[str]:
        """Where a string was received: URLs, or "frame" for WebSocket frames."""
        found = [url for url, body in self.bodies if needle.casefold() in body.casefold()]
        return found + ["frame"] * sum(needle.casefold() in f.casefold() for f in self.frames)


def _sign_up(page, base: str, pseudonym: str) -> list[str]:
    page.goto(base + "/signup")
    page.fill("#pseudonym", pseudonym)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.check("#agree")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector("text=Save your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    page.get_by_role("link", name="I've saved them, continue").click()
    return codes


def _chat(page, text: str) -> None:
    page.fill("#chat-text", text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".chat-log li[data-id]", has_text=text)).to_have_count(1, timeout=10000)


def test_a_member_receives_nothing_of_an_anonymous_or_held_author(privacy_forum, new_page):
    base, folder = privacy_forum
    # Letters only: a run of digits in a marker can read as a phone number and be held.
    marker = uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))
    author = f"lantern-{marker[:6]}"
    texts = {
        "anonymous thread": f"Anonymous thread {marker} about a hard week",
        "held reply": f"Held reply {marker}, text me at 555-201-3344 if you want to talk",
        "anonymous chat": f"Anonymous chat {marker}, hello everyone",
        "held chat": f"Held chat {marker}, call me at 555-201-3344 tonight",
    }

    reader = new_page()
    seen = Recorder(reader)
    log_in(reader, base, "morning-cedar")
    seen.record()
    reader.goto(base + "/rooms/anonymous-share")
    reader.locator(".chat-presence").wait_for()

    writer = new_page()
    codes = _sign_up(writer, base, author)
    # The reader mutes the writer's pseudonym: nothing of the anonymous posts may change for it.
    reader.goto(base + "/account")
    mute_form = reader.locator("form[action$='/account/mutes']")
    mute_form.locator("input[name=pseudonym]").fill(author)
    mute_form.get_by_role("button", name="Mute", exact=True).click()
    expect(reader.locator(f"input[type=hidden][value='{author}']")).to_have_count(1)
    reader.goto(base + "/rooms/anonymous-share")
    reader.locator(".chat-presence").wait_for()
    writer.goto(base + "/c/daily-check-ins/new")
    writer.fill("#title", f"A hard week {marker}")
    writer.fill("#body", texts["anonymous thread"])
    writer.check("#anonymous")
    writer.get_by_role("button", name="Post thread").click()
    writer.wait_for_url("**/t/*")
    thread_url = writer.url.split("#")[0]
    writer.goto(thread_url.rstrip("/") + "/reply")
    writer.fill("#body", texts["held reply"])
    writer.get_by_role("button", name="Post reply").click()
    writer.get_by_role("button", name="Post anyway, for a moderator to review").click()
    writer.wait_for_url("**/t/*")
    writer.goto(base + "/rooms/anonymous-share")
    writer.locator(".chat-presence").wait_for()
    _chat(writer, texts["anonymous chat"])
    _chat(writer, texts["held chat"])
    expect(writer.locator(".chat-log li[data-state=held]")).to_have_count(1)

    # The reader got the anonymous message live, then reads everything a member can reach.
    expect(reader.locator(".chat-log li", has_text=texts["anonymous chat"])).to_have_count(1)
    reader.wait_for_timeout(1000)  # time for anything that should not come
    for path in ("/rooms/anonymous-share", "/", "/c/daily-check-ins", thread_url,
                 f"/search?q={marker}", "/rooms", "/notifications", "/account",
                 "/healthz", "/guidelines"):
        seen.visit(path if path.startswith("http") else base + path)
    seen.get(base + "/account/export")
    reader.goto(base + "/rooms/anonymous-share")
    expect(reader.locator(".chat-log li", has_text=texts["anonymous chat"])).to_have_count(1)
    seen.record()
    seen.finish()

    assert seen.containing(texts["anonymous thread"]), "the scan saw no page with the thread"
    assert "frame" in seen.containing(texts["anonymous chat"]), "the scan saw no chat frame"
    leaks = {name: seen.containing(needle) for name, needle in
             [("pseudonym", author), ("mute collapse", "a member you muted"),
              ("held reply", texts["held reply"][:30]),
              ("held chat", texts["held chat"][:28])] + [(f"code {c}", c) for c in codes]}
    # The reader's own mute list and export name the pseudonym they typed; nothing else may.
    own = (base + "/account", base + "/account (rendered)", base + "/account/export")
    leaks["pseudonym"] = [where for where in leaks["pseudonym"] if where not in own]
    assert not any(leaks.values()), leaks
    print(f"\n[privacy] responses={len(seen.bodies)} frames={len(seen.frames)} scanned clean")

    agents = {writer.evaluate("navigator.userAgent"), reader.evaluate("navigator.userAgent")}
    assert_database_holds_no_address_or_agent(folder / "forum.sqlite3", agents)
    log = (folder / "server.log").read_text()
    for name, text in texts.items():
        assert text not in log and marker not in log, f"the server log holds the {name}"
    for agent in agents:
        assert agent not in log


def _demo_people(path) -> dict[str, tuple[str, int]]:
    """(pseudonym, account id) of the first demo account that is only a moderator, only a
    facilitator, and a member without a role: found by role, as names may change."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT u.id, u.pseudonym, group_concat(g.role) FROM users u"
            " LEFT JOIN role_grants g ON g.user_id = u.id GROUP BY u.id ORDER BY u.id").fetchall()
    finally:
        connection.close()
    found: dict[str, tuple[str, int]] = {}
    for account_id, pseudonym, granted in rows:
        held = set((granted or "").split(",")) - {""}
        kind = {frozenset({"moderator"}): "moderator", frozenset({"facilitator"}): "facilitator",
                frozenset(): "member"}.get(frozenset(held))
        if kind is not None:
            found.setdefault(kind, (pseudonym, account_id))
    assert set(found) == {"moderator", "facilitator", "member"}, found
    return found


def test_the_anonymous_rooms_knock_path_names_no_account(privacy_forum, new_page):
    base, folder = privacy_forum
    room = base + "/rooms/anonymous-share"
    people = _demo_people(folder / "forum.sqlite3")
    # Letters only: a run of digits in a marker can read as a phone number and be held.
    marker = uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))

    host = new_page(1280, 900)
    host_seen = Recorder(host)
    log_in(host, base, people["moderator"][0])
    host.goto(room)
    panel = host.get_by_role("region", name="Facilitator tools")
    panel.wait_for(timeout=8000)
    expect(host.locator(".chat-presence")).not_to_be_empty(timeout=8000)
    toggle = host.get_by_label("Waiting room (let members in one by one)")
    if not toggle.is_checked():
        toggle.check()
        host.locator(".chat-panel-status", has_text="Done.").wait_for(timeout=8000)

    knockers = []
    for kind in ("facilitator", "member"):
        page = new_page()
        knockers.append((page, Recorder(page)))
        log_in(page, base, people[kind][0])
        page.goto(room)
        page.locator(".chat-notice", has_text="Waiting to be let in").wait_for(timeout=8000)
    sitter = knockers[0][0]
    assert sitter.locator(".chat-panel").count() == 0  # no host tools for a facilitator here
    assert "chat-host.js" not in sitter.content()

    knocks = host.locator(".chat-knocks li[data-knock]")
    expect(knocks).to_have_count(2, timeout=8000)
    for name in knocks.locator(".chat-knock-name").all_inner_texts():
        assert name == "Anonymous member"
    host_seen.record()
    host.reload()  # the knocks again, from the join ack this time
    expect(knocks).to_have_count(2, timeout=8000)
    while knocks.count():
        before = knocks.count()
        knocks.first.get_by_role("button", name="Let in").click()
        expect(knocks).to_have_count(before - 1, timeout=8000)
    for page, _seen in knockers:
        expect(page.locator(".chat-notice")).to_be_hidden(timeout=8000)
    text = f"Let in at the door {marker}"
    _chat(knockers[1][0], text)
    host.locator(".chat-log li", has_text=text).wait_for(timeout=8000)
    sitter.locator(".chat-log li", has_text=text).wait_for(timeout=8000)
    toggle.uncheck()  # as the room was
    host.locator(".chat-panel-status", has_text="Done.").wait_for(timeout=8000)
    host_seen.record()

    ids = {account_id for _name, account_id in people.values()}
    for who, seen in (("host", host_seen), *(("knocker", s) for _p, s in knockers)):
        payloads = [p for namespace, _event, p in socketio_payloads(seen.frames)
                    if namespace == "/chat"]
        assert len(payloads) > 5, f"the {who}'s scan read almost nothing"
        leaks = account_ids_in(payloads, ids)
        assert not leaks, (who, leaks)
    heard = {event for _ns, event, _p in socketio_payloads(host_seen.frames)}
    assert {"knock", "knock_resolved", "ack"} <= heard, heard  # the scan saw the knock path
    for url, body in host_seen.bodies:
        assert "data-user" not in body, url
    print(f"\n[privacy] knock path: host frames={len(host_seen.frames)}, clean")
