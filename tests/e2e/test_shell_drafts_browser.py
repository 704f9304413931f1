"""The page's frame on a phone (390x844) and a desktop (1280x900), and unsent drafts.

On a phone the header is one short bar: the forum's name, Get help now and a Menu button that
folds the rest, with or without JavaScript; on a desktop the full nav shows and there is no
Menu button. A reply, a new thread and a chat message half-written come back after the member
leaves and returns, are gone once sent, and nothing is left in the tab after log-out.
Screenshots: test-artifacts/shell-phone.png, shell-phone-menu.png, shell-desktop.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live
PHONE = {"width": 390, "height": 844}

# Every element of the header inside the screen's width, and every control a 44px target.
HEADER_FACTS = """() => {
  const width = window.innerWidth;
  const header = document.querySelector('.site-header');
  const over = [...header.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 0.5 || r.left < -0.5);
  }).map(el => el.className || el.tagName);
  const small = [...header.querySelectorAll('a, button, summary')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height < 44;
  }).map(el => el.textContent.trim());
  return {over, small, scroll: document.documentElement.scrollWidth, width};
}"""


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _assert_fits(page) -> None:
    facts = page.evaluate(HEADER_FACTS)
    assert facts["over"] == [] and facts["scroll"] <= facts["width"], facts
    assert facts["small"] == [], facts


def _header_share(page) -> float:
    return page.locator(".site-header").bounding_box()["height"] / PHONE["height"]


def _drafts(page) -> dict:
    return page.evaluate("""() => ({
      session: Object.keys(sessionStorage).filter(k => k.startsWith('draft')),
      local: localStorage.length})""")


def test_phone_header_is_one_short_bar_with_the_menu_folded(forum_url, new_page, spanish_page):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    page.goto(forum_url + "/")
    help_now = page.get_by_role("link", name="Get help now")
    menu = page.locator("summary.site-menu-button")
    expect(help_now).to_be_visible()
    expect(menu).to_be_visible()
    # The demo gives steady-heron unread notifications: the count is on the closed button.
    expect(menu.locator(".menu-badge")).to_be_visible()
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name="Meetings")).to_be_hidden()
    expect(page.locator(".duty-status .duty-short")).to_be_visible()
    assert page.locator(".duty-status .duty-short").bounding_box()["height"] < 28  # one line
    # The full sentence stays for screen readers.
    sentence = page.locator(".duty-status .duty-long").text_content()
    assert "on duty" in sentence and sentence in page.locator(".duty-status").inner_text()
    assert _header_share(page) < 0.15
    # Side by side on one row: the help link and the menu button.
    assert abs(help_now.bounding_box()["y"] - menu.bounding_box()["y"]) < 12
    _assert_fits(page)
    _shot(page, "shell-phone")
    assert blocking(run_axe(page)) == []

    menu.click()
    nav = page.get_by_role("navigation", name="Account")
    names = ["Talk to someone now", "Search", "Meetings", "Moderators", "Notifications",
             "steady-heron"]
    for name in names:
        expect(header.get_by_role("link", name=re.compile("^" + name))).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(help_now).to_be_visible()  # opening the menu never hides the crisis link
    _assert_fits(page)
    _shot(page, "shell-phone-menu")
    assert blocking(run_axe(page)) == []
    nav.get_by_role("link", name=re.compile("^Notifications")).click()
    page.wait_for_url(forum_url + "/notifications")

    # Spanish, a member again: the bar holds, and axe is content with it open and closed.
    es = spanish_page
    es.goto(forum_url + "/login")
    es.fill("#pseudonym", "morning-cedar")
    es.fill("#password", DEMO_PASSWORD)
    es.get_by_role("button", name="Iniciar sesión").last.click()
    es.wait_for_url(forum_url + "/")
    expect(es.get_by_role("link", name="Pide ayuda ahora")).to_be_visible()
    assert _header_share(es) < 0.15
    _assert_fits(es)
    assert blocking(run_axe(es)) == []
    es.locator("summary.site-menu-button").click()
    expect(es.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    _assert_fits(es)
    assert blocking(run_axe(es)) == []


def test_menu_works_without_javascript_and_desktop_shows_the_full_nav(forum_url, browser,
                                                                     new_page):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(forum_url + "/")
        expect(page.get_by_role("link", name="Get help now")).to_be_visible()
        nav = page.get_by_role("navigation", name="Account")
        expect(nav.get_by_role("link", name="Log in")).to_be_hidden()
        page.locator("summary.site-menu-button").click()
        expect(nav.get_by_role("link", name="Log in")).to_be_visible()
        nav.get_by_role("link", name="Meetings").click()
        page.wait_for_url(forum_url + "/meetings")
        assert _header_share(page) < 0.15
    finally:
        context.close()

    desk = new_page(1280, 900)
    log_in(desk, forum_url, "jo-meadow")
    expect(desk.locator("summary.site-menu-button")).to_be_hidden()
    nav = desk.get_by_role("navigation", name="Account")
    for name in ("Search", "Meetings", "Review", "Moderators", "Notifications", "jo-meadow"):
        expect(nav.get_by_role("link", name=re.compile("^" + name))).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(desk.get_by_role("link", name="Talk to someone now")).to_be_visible()
    # The whole sentence about duty on a wide screen, not the phone's short form.
    expect(desk.locator(".duty-status .duty-long")).to_be_visible()
    expect(desk.locator(".duty-status .duty-short")).to_be_hidden()
    _shot(desk, "shell-desktop")
    assert blocking(run_axe(desk)) == []


@pytest.mark.parametrize("size", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_drafts_come_back_go_when_sent_and_leave_nothing_after_log_out(forum_url, new_page, size):
    page = new_page(*size)
    log_in(page, forum_url, "morning-cedar")
    page.goto(forum_url + "/c/daily-check-ins")
    thread = page.locator("a.thread-title").first.get_attribute("href")
    assert thread and re.match(r"^/t/\d+$", thread)

    # A reply: written, left, found again.
    page.goto(forum_url + thread)
    reply = "Half a thought about my first week, to finish later."
    page.fill("#body", reply)
    page.goto(forum_url + "/meetings")
    page.goto(forum_url + thread)
    expect(page.locator("#body")).to_have_value(reply)
    expect(page.locator(".draft-note")).to_be_visible()
    # Sent: it is posted, and the box is empty on the page that follows (and after a reload).
    finished = f" Finished now on a {size[0]} px screen, thank you all."
    page.fill("#body", reply + finished)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    expect(page.locator(".post", has_text=finished.strip())).to_be_visible()
    expect(page.locator("#body")).to_have_value("")
    page.goto(forum_url + thread)
    expect(page.locator("#body")).to_have_value("")

    # A new thread refused for its missing title comes back with the server's text, and the
    # draft (anonymous tick and all) is still there after leaving.
    page.goto(forum_url + "/c/daily-check-ins/new")
    page.fill("#body", "Some days are heavier than others; today was one.")
    page.check("#anonymous")
    page.get_by_role("button", name="Post thread").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#body")).to_have_value("Some days are heavier than others; today was one.")
    page.goto(forum_url + "/")
    page.goto(forum_url + "/c/daily-check-ins/new")
    expect(page.locator("#body")).to_have_value("Some days are heavier than others; today was one.")
    expect(page.locator("#anonymous")).to_be_checked()
    expect(page.locator("#title")).to_have_value("")

    # A chat message: kept while away, gone once the room has it.
    coffee = f"Back in a minute with my coffee ({size[0]} px)"
    page.goto(forum_url + "/rooms/coffee-room")
    expect(page.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)
    page.fill("#chat-text", coffee)
    page.goto(forum_url + "/")
    page.goto(forum_url + "/rooms/coffee-room")
    expect(page.locator(".chat-presence")).to_have_text(re.compile(r"\d"), timeout=8000)
    expect(page.locator("#chat-text")).to_have_value(coffee)
    page.get_by_role("button", name="Send").click()
    sent = page.locator(".chat-log li", has_text=coffee)
    expect(sent).to_have_attribute("data-state", "published", timeout=8000)
    # The room's own broadcast can show it before the sender's acknowledgement clears the draft.
    for _ in range(40):
        if not any("room-coffee-room" in key for key in _drafts(page)["session"]):
            break
        page.wait_for_timeout(200)
    assert not any("room-coffee-room" in key for key in _drafts(page)["session"])
    assert any("new-thread-daily-check-ins" in key for key in _drafts(page)["session"])

    # Log out: not a word of any draft stays in the tab, and nothing was ever in localStorage.
    page.goto(forum_url + thread)
    page.fill("#body", "Something I would not want the next person to read.")
    if page.locator("summary.site-menu-button").is_visible():
        page.locator("summary.site-menu-button").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    expect(page.locator(".account-nav a", has_text="Log in")).to_be_attached()
    assert _drafts(page) == {"session": [], "local": 0}
