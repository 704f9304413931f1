"""Avatars, @mentions and member pages in Chromium on a phone: the images load under the site's
CSP, a mention leads to the member's page, the page fits the screen, the chat log shows the
author's avatar (the neutral one in an anonymous room), and nothing serious for axe in English
or Spanish."""

from __future__ import annotations

import pytest

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import log_in, start_thread

pytestmark = pytest.mark.live

# Every avatar on the page, with whether the browser could draw it.
AVATARS = """() => [...document.querySelectorAll('img.avatar')]
    .map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0, i.alt])"""
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + '.' + e.className)"""


def _watch_csp(page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    return refused


def _drawn(page) -> list[list]:
    page.wait_for_function("() => [...document.querySelectorAll('img.avatar')]"
                           ".every(i => i.complete)")
    return page.evaluate(AVATARS)


def test_avatars_mentions_and_the_member_page(forum_url, new_page, spanish_page):
    page = new_page()
    refused = _watch_csp(page)
    log_in(page, forum_url, "steady-heron")
    start_thread(page, forum_url, "A walk with a friend",
                 "Thanks @Morning-Cedar for the walk. `@morning-cedar` is code, @nobody-here-77 "
                 "is nobody.")
    page.wait_for_url("**/t/*")
    avatars = _drawn(page)
    assert avatars and all(ok and alt == "" and src.startswith("/avatars/")
                           for src, ok, alt in avatars), avatars
    mention = page.locator(".post-body a.mention")
    assert mention.count() == 1 and mention.inner_text() == "@Morning-Cedar"
    assert page.locator(".post-body code").inner_text() == "@morning-cedar"
    assert blocking(run_axe(page)) == []

    mention.click()
    page.wait_for_url("**/members/morning-cedar")
    assert page.locator("h1").inner_text() == "morning-cedar"
    page.goto(f"{forum_url}/members/steady-heron")
    assert page.get_by_role("link", name="A walk with a friend").is_visible()
    assert [ok for _src, ok, _alt in _drawn(page)] == [True]
    assert page.evaluate(TOO_WIDE) == []
    assert blocking(run_axe(page)) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "member-page-phone.png"), full_page=True)

    # Chat: the author's avatar beside their name; in an anonymous room, the neutral one.
    for room, expected in (("coffee-room", None), ("anonymous-share", "/avatars/anonymous.svg")):
        page.goto(f"{forum_url}/rooms/{room}")
        page.locator(".chat-presence").filter(has_text="1").wait_for(timeout=8000)
        page.fill("#chat-text", f"Hello from {room}.")
        page.get_by_role("button", name="Send").click()
        line = page.locator(".chat-log li", has_text=f"Hello from {room}.")
        line.locator("img.avatar").wait_for(timeout=8000)
        src = line.locator("img.avatar").get_attribute("src")
        assert src == expected if expected else src.startswith("/avatars/")
        assert src != "/avatars/anonymous.svg" or room == "anonymous-share"
        assert all(ok for _src, ok, _alt in _drawn(page))
    assert refused == []

    spanish_page.goto(f"{forum_url}/members/steady-heron")
    assert spanish_page.locator("#member-threads").inner_text() == "Hilos iniciados"
    assert spanish_page.evaluate(TOO_WIDE) == []
    assert blocking(run_axe(spanish_page)) == []
