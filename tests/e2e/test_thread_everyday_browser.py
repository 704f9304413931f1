"""Everyday use of a thread in Chromium: after a reply the member is on the page that holds it,
among the posts around it and scrolled to it; a reaction changes in place without a page load;
without JavaScript posting, replying and reacting still work; the author hears of support once;
axe finds nothing serious on the thread, notifications and account pages in English or Spanish."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in, start_thread
from tests.e2e.privacy_scan import (
    assert_database_holds_no_address_or_agent,
    assert_log_holds_no_agent,
)
from tests.livesrv import ROOT, live_forum

pytestmark = pytest.mark.live

REPLIES = 22  # with the opening post, 23: a reply is the 24th post, on the second page

# A thread longer than one page, written through the services by three demo members (so
# steady-heron, who reads it here, can react to every post). Prints the thread's id.
SEED = f"""
from sqlalchemy import select
from forum import create_app
from forum.extensions import db
from forum.models import Board
from forum.services.accounts import account as accounts
from forum.services.threads import posts, reading as threads
app = create_app()
with app.app_context():
    board = db.session.scalar(select(Board).where(Board.slug == "daily-check-ins"))
    people = [accounts.find_by_pseudonym(n) for n in ("morning-cedar", "sam-lantern", "rowan-pine")]
    opening = posts.check_create_thread(
        board, "Small wins this week", "Share one small thing that went right this week.",
        anonymous=False, content_note=None, acting_user=people[0], confirm_hold=True)
    thread = threads.access_thread(opening.post.thread_id, people[0])
    for n in range({REPLIES}):
        posts.check_reply(
            thread, f"Small win number {{n + 1}}: I kept my evening walk going and called my"
            " sponsor before the hard hour instead of after it. It felt ordinary, which is new.",
            anonymous=False, content_note=None, acting_user=people[n % 3], confirm_hold=True)
    print(thread.id)
"""


@pytest.fixture(scope="module")
def thread_forum(tmp_path_factory):
    """A live forum with the demo community and one long thread: (base URL, thread id)."""
    folder = tmp_path_factory.mktemp("everyday")
    seeded: dict[str, int] = {}

    def seed(env):
        done = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        seeded["thread"] = int(done.stdout.split()[-1])

    with live_forum(folder, before_serve=seed) as base:
        yield base, seeded["thread"]
    assert_database_holds_no_address_or_agent(folder / "forum.sqlite3")
    assert_log_holds_no_agent(folder / "server.log")


def _in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """el => {
        const box = el.getBoundingClientRect();
        return box.top >= 0 && box.top < window.innerHeight && box.bottom > 0;
    }""")


def _reaction(page, post_id: int, kind: str):
    return page.locator(f"#p{post_id} button.reaction[value='{kind}']")


def _count(button) -> int:
    """The count shown on a reaction button (none is shown for zero)."""
    return int(button.evaluate("el => (el.querySelector('.count') || {}).textContent || '0'"))


@pytest.mark.parametrize("size", [(390, 844, "phone"), (1280, 900, "desktop")],
                         ids=["phone", "desktop"])
def test_reply_lands_among_its_neighbours_and_a_reaction_stays_on_the_page(
        thread_forum, new_page, size):
    base, thread_id = thread_forum
    width, height, name = size
    page = new_page(width, height)
    log_in(page, base, "steady-heron")
    page.goto(f"{base}/t/{thread_id}")
    text = f"Thank you all, reading this on the {name} helped."
    page.fill("#body", text)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url(re.compile(rf".*/t/{thread_id}\?after=\d+#p\d+$"))
    new_id = int(page.url.rsplit("#p", 1)[1])
    mine = page.locator(f"#p{new_id}")
    assert text in mine.inner_text()
    # The page that holds it, with the conversation before it, not the post alone.
    articles = page.locator("article.post")
    assert articles.count() >= 4
    assert articles.last.get_attribute("id") == f"p{new_id}"
    assert "Small win number 22" in page.locator(".posts").inner_text()
    assert page.get_by_role("link", name="Earlier posts").count() == 1
    assert _in_viewport(page, f"#p{new_id}")

    # A reaction near it: counted and pressed in place, no page load.
    # The last post on the page someone else wrote (the member can't react to their own).
    before = int(page.locator("article.post:has(button.reaction)").last
                 .get_attribute("id")[1:])
    hug = _reaction(page, before, "hug")
    assert hug.get_attribute("aria-pressed") == "false"
    count_before = _count(hug)
    page.evaluate("window.stayedOnPage = true")
    url = page.url
    loads = []
    page.on("load", lambda: loads.append(1))
    hug.click()
    page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=hug.element_handle())
    assert _count(hug) == count_before + 1
    page.wait_for_function(
        "() => document.getElementById('reaction-status').textContent === 'Reaction sent: Hug.'")
    assert page.evaluate("window.stayedOnPage") is True and page.url == url and not loads
    assert hug.evaluate("el => document.activeElement === el")  # focus stays on the button
    box = hug.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _in_viewport(page, f"#p{new_id}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"thread-{name}.png"))
    # Pressed again, it is taken back, still in place.
    hug.click()
    page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'false'", arg=hug.element_handle())
    assert _count(hug) == count_before
    assert page.evaluate("window.stayedOnPage") is True and not loads


def test_without_javascript_posting_replying_and_reacting_still_work(thread_forum, browser):
    base, thread_id = thread_forum
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        log_in(page, base, "steady-heron")
        start_thread(page, base, "Evening without a screen", "Trying an evening with no phone.")
        page.wait_for_url(re.compile(r".*/t/\d+(#p\d+)?$"))
        assert "Trying an evening with no phone." in page.locator(".posts").inner_text()
        page.fill("#body", "Update: it worked, I read a book.")
        page.get_by_role("button", name="Post reply").click()
        page.wait_for_url(re.compile(r".*/t/\d+#p\d+$"))
        reply_id = int(page.url.rsplit("#p", 1)[1])
        assert "Update: it worked" in page.locator(f"#p{reply_id}").inner_text()
        assert page.locator("article.post").count() == 2  # with the opening post above it

        page.goto(f"{base}/t/{thread_id}")
        first = int(page.locator("article.post").first.get_attribute("id")[1:])
        _reaction(page, first, "heart").click()
        page.wait_for_url(re.compile(rf".*/t/{thread_id}#p{first}$"))
        heart = _reaction(page, first, "heart")
        assert heart.get_attribute("aria-pressed") == "true"
        assert _count(heart) == 1
    finally:
        context.close()


def _log_in_spanish(page, base: str, pseudonym: str) -> None:
    page.goto(base + "/login")
    page.fill("#pseudonym", pseudonym)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(base + "/")


def test_thread_notifications_and_account_pages_pass_axe_in_english_and_spanish(
        thread_forum, new_page, browser):
    base, thread_id = thread_forum
    giver = new_page()
    log_in(giver, base, "sam-lantern")
    giver.goto(f"{base}/t/{thread_id}")
    opening = int(giver.locator("article.post").first.get_attribute("id")[1:])
    strength = _reaction(giver, opening, "strength")
    strength.click()
    giver.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=strength.element_handle())
    assert blocking(run_axe(giver)) == []

    # The opening post's author hears of it once, in either language.
    author = new_page(1280, 900)
    log_in(author, base, "morning-cedar")
    author.goto(f"{base}/notifications")
    notice = author.locator(".notification-list li", has_text="sent support to your post")
    assert notice.count() == 1
    assert re.search(r'\d+ (person|people) sent support to your post in "Small wins this week"',
                     notice.inner_text())
    assert "sam-lantern" not in notice.inner_text()
    for path in ("/notifications", f"/t/{thread_id}", "/account"):
        author.goto(base + path)
        assert blocking(run_axe(author)) == [], path

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    try:
        spanish = context.new_page()
        _log_in_spanish(spanish, base, "morning-cedar")
        spanish.goto(f"{base}/notifications")
        assert re.search(r"\d+ personas? (envió|enviaron) apoyo a tu mensaje en «Small wins",
                         spanish.locator(".notification-list").inner_text())
        assert blocking(run_axe(spanish)) == []
        spanish.goto(f"{base}/t/{thread_id}")
        assert spanish.locator("html").get_attribute("lang") == "es"
        assert spanish.locator("button.reaction img[alt='Abrazo']").count() > 0
        assert blocking(run_axe(spanish)) == []
        spanish.goto(f"{base}/account")
        assert spanish.get_by_label("Avisarme cuando otros miembros envíen apoyo a mis "
                                    "mensajes").is_checked()
        assert blocking(run_axe(spanish)) == []
    finally:
        context.close()
