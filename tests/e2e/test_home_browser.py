"""The home page in Chromium: the welcome for a visitor and a new member, a meeting about to
start, a room with someone in it and its count, joining a meeting with JavaScript off, no page
wider than a phone, and axe in English and Spanish.

The seed (run before the server starts, with its environment) schedules a one-off meeting a few
minutes ahead through the facilitator's service and signs up a member who has never been here.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in
from tests.livesrv import ROOT, live_forum

pytestmark = pytest.mark.live

MEETING = "Lunchtime check-in"
NEWCOMER = "new-willow"
PHONE, DESKTOP = (390, 844), (1280, 900)
PHONE_VIEWPORT = {"width": 390, "height": 844}


def seed() -> None:
    """A meeting starting in about seven minutes (its room is open from ten before) and an
    account that has not seen the home page yet."""
    from datetime import timedelta

    from forum import create_app
    from forum.services import clock
    from forum.services.accounts import account as accounts, guidelines
    from forum.services.meetings import schedule as meetings

    app = create_app()
    with app.app_context():
        start = clock.now() + timedelta(minutes=7)
        meetings.check_schedule({
            "title": MEETING, "description": "A short midday round.",
            "start_date": start.date().isoformat(), "start_time": start.strftime("%H:%M"),
            "timezone": "UTC", "duration": "60", "recurrence": "once", "weekdays": [],
            "format": "check-in", "language": "en", "accessibility": ["text-only"],
            "capacity": "20", "cohost": "",
        }, acting_user=accounts.find_by_pseudonym("sam-lantern"))
        accounts.check_signup(NEWCOMER, DEMO_PASSWORD, DEMO_PASSWORD,
                              agreed_guidelines_version=guidelines.current_version().id)


@pytest.fixture(scope="module")
def home_url(tmp_path_factory):
    """A live forum with the demo community plus the seed above."""
    def run_seed(env):
        done = subprocess.run(
            [sys.executable, "-c", "from tests.e2e.test_home_browser import seed; seed()"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    with live_forum(tmp_path_factory.mktemp("home"), before_serve=run_seed) as base:
        yield base


def _no_wider_than_the_viewport(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _meeting_card(page):
    return page.locator(".home-meeting", has_text=MEETING)


def test_a_visitor_and_a_new_member_are_welcomed(home_url, new_page, browser):
    for size in (PHONE, DESKTOP):
        page = new_page(*size)
        page.goto(home_url + "/")
        welcome = page.locator(".home-welcome")
        expect(welcome.get_by_role("heading", name="Welcome", level=1)).to_be_visible()
        expect(welcome.get_by_role("link", name="Community guidelines")).to_be_visible()
        expect(welcome.get_by_role("link", name="Crisis and treatment resources")).to_be_visible()
        expect(welcome).to_contain_text("We never ask for your real name or email")
        # Visitors see the meeting and are asked to log in to join it.
        expect(_meeting_card(page)).to_contain_text(re.compile(r"Starting in \d+ minutes"))
        expect(_meeting_card(page).get_by_role("link", name="Log in to join")).to_be_visible()
        _no_wider_than_the_viewport(page)
        assert blocking(run_axe(page)) == []
        if size == PHONE:
            _shot(page, "home-visitor-phone")
    spanish = browser.new_context(viewport=PHONE_VIEWPORT,
                                  locale="es-ES")
    page = spanish.new_page()
    page.goto(home_url + "/")
    expect(page.get_by_role("heading", name="Te damos la bienvenida")).to_be_visible()
    expect(page.locator(".home-welcome")).to_contain_text("Apoyo entre pares.")
    _no_wider_than_the_viewport(page)
    assert blocking(run_axe(page)) == []
    spanish.close()

    page = new_page(*PHONE)
    log_in(page, home_url, NEWCOMER)
    expect(page.get_by_role("heading", name="Welcome", level=1)).to_be_visible()
    page.get_by_role("button", name="Got it, hide this").click()
    expect(page.get_by_role("heading", name=f"Welcome back, {NEWCOMER}")).to_be_visible()
    expect(page.locator(".home-welcome")).to_have_count(0)
    page.reload()
    expect(page.locator(".home-welcome")).to_have_count(0)


def test_a_meeting_starting_soon_and_a_room_with_someone_in_it(home_url, new_page):
    sitter = new_page(*PHONE)
    log_in(sitter, home_url, "morning-cedar")
    sitter.goto(home_url + "/rooms/coffee-room")
    expect(sitter.locator(".chat-presence")).to_have_text("1 here now")
    for size, name in ((PHONE, "home-phone"), (DESKTOP, "home-desktop")):
        page = new_page(*size)
        log_in(page, home_url, "steady-heron")
        card = _meeting_card(page)
        expect(card).to_contain_text(re.compile(r"Starting in \d+ minutes"))
        expect(card.get_by_role("link", name="Join now")).to_be_visible()
        room = page.locator(".home-room", has_text="Coffee room")
        expect(room).to_contain_text("1 person here now")
        expect(page.locator(".home-room", has_text="Night owls")).to_contain_text(
            "Quiet right now")
        # Who sits there is not said: a count only.
        expect(page.locator(".home-rooms")).not_to_contain_text("morning-cedar")
        expect(page.locator(".home-boards")).to_contain_text("Last post")
        _no_wider_than_the_viewport(page)
        assert blocking(run_axe(page)) == []
        _shot(page, name)
        boxes = [card.get_by_role("link", name="Join now").bounding_box(),
                 room.get_by_role("link", name="Coffee room").bounding_box()]
        assert all(box["height"] >= 44 for box in boxes), boxes


def test_with_javascript_off_a_member_joins_a_meeting_in_one_tap(home_url, browser):
    context = browser.new_context(java_script_enabled=False,
                                  viewport=PHONE_VIEWPORT)
    page = context.new_page()
    page.goto(home_url + "/login")
    page.fill("#pseudonym", "steady-heron")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    page.wait_for_url(home_url + "/")
    _meeting_card(page).get_by_role("link", name="Join now").click()
    page.wait_for_url(re.compile(r"/rooms/lunchtime-check-in$"))
    expect(page.get_by_role("heading", name=MEETING, level=1)).to_be_visible()
    context.close()


def test_the_member_home_in_spanish_passes_axe(home_url, browser):
    context = browser.new_context(viewport=PHONE_VIEWPORT,
                                  locale="es-ES")
    page = context.new_page()
    page.goto(home_url + "/login")
    page.fill("#pseudonym", "steady-heron")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").last.click()
    page.wait_for_url(home_url + "/")
    expect(page.get_by_role("heading", name="Próximas reuniones")).to_be_visible()
    expect(_meeting_card(page).get_by_role("link", name="Entrar ahora")).to_be_visible()
    expect(page.locator(".home-boards")).to_contain_text("Último mensaje")
    _no_wider_than_the_viewport(page)
    assert blocking(run_axe(page)) == []
    context.close()
