"""axe-core on the main pages (no serious or critical violation), the chat log for screen
readers, and the keyboard-only path through a reply and a chat message."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.flows import log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

# One row a page: (name, who looks at it (None: a visitor; "es": a visitor whose browser asks
# for Spanish), path). A path in braces is found by RESOLVE below: "{thread}" is a thread of
# the demo community, "{meeting}" one of its meetings, "{support}" the waiting page of a
# request the member has just made, "{checkin}" the check-in form once opted in. Pages added
# later get a row here.
PAGES = [
    ("home", None, "/"),
    ("home-member", "steady-heron", "/"),
    ("sign-up", None, "/signup"),
    ("log-in", None, "/login"),
    ("crisis", None, "/crisis"),
    ("board", "steady-heron", "/c/daily-check-ins"),
    ("thread", "steady-heron", "{thread}"),
    ("new-post", "steady-heron", "/c/daily-check-ins/new"),
    ("rooms", "steady-heron", "/rooms"),
    ("room", "steady-heron", "/rooms/coffee-room"),
    ("account", "steady-heron", "/account"),
    ("review-queue", "rowan-pine", "/review"),
    ("meetings", "steady-heron", "/meetings"),
    ("meeting", "steady-heron", "{meeting}"),
    ("meeting-host", "sam-lantern", "{meeting}"),
    ("new-meeting", "sam-lantern", "/meetings/new"),
    ("room-facilitator", "sam-lantern", "/rooms/coffee-room"),
    ("support-waiting", "morning-cedar", "{support}"),
    ("support-requests", "sam-lantern", "/support/requests"),
    ("community-measures", "steady-heron", "/community/measures"),
    ("checkin", "steady-heron", "{checkin}"),
    ("sign-up-es", "es", "/signup"),
    ("crisis-es", "es", "/crisis"),
    ("meetings-es", "es", "/meetings"),
    ("meeting-es", "es", "{meeting}"),
]
# What a row's page must show for its check to mean anything.
MUST_SHOW = {"meeting-host": "#host-heading", "room-facilitator": ".chat-panel",
             "support-waiting": ".support-request", "checkin": "fieldset.checkin-item"}
AXE_RUNS: list[str] = []


def _thread_path(page, base: str) -> str:
    page.goto(base + "/c/daily-check-ins")
    href = page.locator("a.thread-title").first.get_attribute("href")
    assert href and re.match(r"^/t/\d+$", href), href
    return href


def _meeting_path(page, base: str) -> str:
    page.goto(base + "/meetings")
    href = page.locator("main h2 a").first.get_attribute("href")
    assert href and re.match(r"^/meetings/\d+$", href), href
    return href


def _support_path(page, base: str) -> str:
    page.goto(base + "/support")
    with page.expect_navigation():
        page.locator("form.support-form button[type=submit]").click()
    path = page.url.removeprefix(base)
    assert re.match(r"^/support/\d+$", path), path
    return path


def _checkin_path(page, base: str) -> str:
    page.goto(base + "/account/checkin")
    with page.expect_navigation():
        page.get_by_role("button", name="Opt in to the check-in").click()
    expect(page.locator("fieldset.checkin-item")).to_have_count(11)
    return "/account/checkin"


RESOLVE = {"{thread}": _thread_path, "{meeting}": _meeting_path, "{support}": _support_path,
           "{checkin}": _checkin_path}


@pytest.fixture(scope="module")
def sessions(browser, forum_url):
    """One logged-in desktop context per persona the table names, shared by its rows."""
    pages = {}
    contexts = []
    for who in {row[1] for row in PAGES}:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="es-ES" if who == "es" else "en-US")
        contexts.append(context)
        page = context.new_page()
        if who and who != "es":
            log_in(page, forum_url, who)
        pages[who] = page
    yield pages
    for context in contexts:
        context.close()


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[row[0] for row in PAGES])
def test_axe_finds_nothing_serious(sessions, forum_url, request, name, who, path):
    page = sessions[who]
    request.node.open_pages = [page]
    if path in RESOLVE:
        path = RESOLVE[path](page, forum_url)
    response = page.goto(forum_url + path)
    assert response.status == 200, (name, response.status)
    page.wait_for_load_state("networkidle")
    if name in MUST_SHOW:
        expect(page.locator(MUST_SHOW[name]).first).to_be_visible()
    violations = run_axe(page)
    problems = blocking(violations)
    AXE_RUNS.append(name)
    others = sorted(f"{v['id']}({v['impact']})" for v in violations
                    if v["impact"] not in ("serious", "critical"))
    print(f"axe checks run: {len(AXE_RUNS)} ({name}); minor or moderate: {others or 'none'}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_chat_log_is_announced(new_page, forum_url):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    page.goto(forum_url + "/rooms/coffee-room")
    log = page.get_by_role("log")
    assert log.count() == 1
    assert log.get_attribute("aria-live") == "polite"
    assert log.get_attribute("aria-label")
    # The messages are inside the live region, so each new one is read out.
    assert log.locator(".chat-log").count() == 1


def _tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches a JS predicate on `el`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_keyboard_alone_posts_a_reply_and_a_chat_message(new_page, forum_url):
    page = new_page(1280, 900)
    log_in(page, forum_url, "morning-cedar")
    thread = _thread_path(page, forum_url)

    page.goto(forum_url + thread)
    # The first Tab lands on the skip link, which moves focus past the header to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")
    _tab_to(page, "el.id === 'body'")
    page.keyboard.type("Keyboard only reply, thank you all.")
    _tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit' && el.form"
                  " && el.form.querySelector('#body') !== null")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator(".post", has_text="Keyboard only reply, thank you all.").wait_for(timeout=8000)

    page.goto(forum_url + "/rooms/coffee-room")
    # Joined: a presence count is shown once the server has taken the join.
    expect(page.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)
    _tab_to(page, "el.id === 'chat-text'")
    page.keyboard.type("Typed with the keyboard alone.")
    page.keyboard.press("Enter")
    mine = page.locator(".chat-log li", has_text="Typed with the keyboard alone.")
    # Locator assertions, not wait_for_function: the page's CSP (rightly) forbids eval.
    expect(mine).to_have_count(1, timeout=8000)
    expect(mine).to_have_attribute("data-state", "published", timeout=8000)


def test_keyboard_alone_runs_the_facilitator_panel(new_page, forum_url):
    # Waiting room on (Space), slow mode on (arrow key in the select), a knocking member let
    # in (Enter on "Let in"), then everything back off: no mouse anywhere.
    sam = new_page(1280, 900)
    log_in(sam, forum_url, "sam-lantern")
    sam.goto(forum_url + "/rooms/night-owls")
    expect(sam.locator(".chat-panel")).to_have_count(1)
    # Joined: a presence count is shown once the server has taken the join.
    expect(sam.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)
    status = sam.locator(".chat-panel-status")
    _tab_to(sam, "el.classList.contains('chat-waiting-toggle')")
    sam.keyboard.press("Space")
    expect(status).to_have_text("Done.", timeout=8000)
    expect(sam.locator(".chat-waiting-toggle")).to_be_checked()
    _tab_to(sam, "el.id === 'chat-slow-mode'")
    sam.keyboard.press("ArrowDown")
    expect(sam.locator("#chat-slow-mode")).not_to_have_value("0")
    seconds = sam.locator("#chat-slow-mode").input_value()

    heron = new_page(1280, 900)
    log_in(heron, forum_url, "steady-heron")
    heron.goto(forum_url + "/rooms/night-owls")
    expect(heron.locator(".chat-notice")).to_contain_text("Waiting to be let in", timeout=8000)
    knock = sam.locator(".chat-knocks li[data-knock]")
    expect(knock).to_have_count(1, timeout=8000)
    expect(knock).to_contain_text("steady-heron")
    _tab_to(sam, "el.tagName === 'BUTTON' && el.closest('.chat-knocks') !== null"
                 " && el.textContent === 'Let in'")
    sam.keyboard.press("Enter")
    expect(knock).to_have_count(0, timeout=8000)
    # Let in, the member sees the room's slow mode set from the keyboard.
    expect(heron.locator(".chat-slow")).to_contain_text(f"one message every {seconds} seconds",
                                                         timeout=8000)
    expect(heron.locator("#chat-text")).to_be_enabled()

    _tab_to(sam, "el.classList.contains('chat-waiting-toggle')")
    sam.keyboard.press("Space")
    expect(sam.locator(".chat-waiting-toggle")).not_to_be_checked()
    expect(status).to_have_text("Done.", timeout=8000)
    _tab_to(sam, "el.id === 'chat-slow-mode'")
    sam.keyboard.press("Home")
    expect(sam.locator("#chat-slow-mode")).to_have_value("0")
    # "Done." again only once the server has answered this change, so the reload below
    # cannot overtake it.
    expect(status).to_have_text("Done.", timeout=8000)
    expect(heron.locator(".chat-slow")).to_have_text("", timeout=8000)
    sam.reload()  # what the server kept, not just what the page shows
    expect(sam.locator(".chat-waiting-toggle")).not_to_be_checked()
    expect(sam.locator("#chat-slow-mode")).to_have_value("0")
