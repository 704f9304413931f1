"""The review queue on a phone: cards that fit 390 px with a working claim button, a table on a
desktop, the item and team pages within the screen, and no serious axe finding in either
language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import DEMO_PASSWORD, log_in, start_thread

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

# Every element drawn outside the viewport's width. Visually hidden text (a table's header row
# on a phone, the skip link) is clipped to nothing and is left out.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const hidden = el => el.closest('thead, .visually-hidden, .skip-link, [hidden]');
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && !hidden(el) && (box.right > width + 1 || box.left < -1);
  }).map(el => `${el.tagName.toLowerCase()}.${el.className} `
    + `${Math.round(el.getBoundingClientRect().width)}px`);
  return {width, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""


def _fits(page, width: int = 390) -> None:
    found = page.evaluate(OVERFLOW)
    assert found == {"width": width, "scroll": width, "wide": []}, page.url


@pytest.fixture(scope="module")
def queued(browser, forum_url):
    """A member posts a crisis message and, after the hold notice, a phone number."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, forum_url, "morning-cedar")
    # The long word must wrap, folded or open, rather than widen the moderator's page.
    start_thread(page, forum_url, "Can't do this",
                 "I want to kill myself tonight. I can't keep going. " + "nomorenomore" * 8)
    page.wait_for_url("**/t/*")
    start_thread(page, forum_url, "Call me", "Text me any time on 07700 900123 if you want.")
    page.get_by_role("button", name="Post anyway, for a moderator to review").click()
    page.wait_for_url("**/t/*")
    context.close()


def test_queue_is_cards_on_a_phone_and_a_table_on_a_desktop(forum_url, new_page, queued):
    phone = new_page(390, 844)
    log_in(phone, forum_url, "rowan-pine")
    phone.goto(forum_url + "/review")
    cards = phone.locator(".review-queue tbody tr")
    expect(cards.filter(has_text="pii")).to_have_count(1)
    assert cards.count() >= 2
    expect(phone.locator(".review-queue thead")).to_have_css("position", "absolute")
    for card in cards.all():
        expect(card).to_have_css("display", "flex")
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        for cell in (".cell-priority", ".cell-categories", ".cell-wait"):
            expect(card.locator(cell)).to_be_visible()
        # The preview stays folded until the moderator opens it.
        expect(card.locator("details.preview")).not_to_have_attribute("open", "")
        expect(card.locator("details.preview p")).to_be_hidden()
    crisis = cards.filter(has_text="crisis").first
    expect(crisis.locator(".cell-priority")).to_have_text("urgent")
    expect(crisis.locator("summary")).to_have_text("Preview (distressing content)")
    _fits(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "review-queue-phone.png"), full_page=True)
    assert blocking(run_axe(phone)) == []

    crisis.locator("summary").click()
    expect(crisis.locator("details.preview p")).to_contain_text("nomorenomore")
    _fits(phone)

    pii = cards.filter(has_text="pii")
    item_id = pii.get_attribute("id").removeprefix("item-")
    claim = pii.get_by_role("button", name=f"Claim #{item_id}")
    size = claim.bounding_box()
    assert size["height"] >= 44 and size["width"] >= 44
    pii.locator("summary").click()
    expect(pii.locator("details.preview p")).to_contain_text("Text me any time")
    claim.click()
    phone.wait_for_url(f"**/review/{item_id}")
    expect(phone.get_by_text("You are working on this item.").first).to_be_visible()
    _fits(phone)
    phone.goto(forum_url + "/review")
    expect(phone.locator(f"#item-{item_id} .cell-claim")).to_have_text("claimed")
    crisis_href = phone.locator(".review-queue tr.risk .cell-open a").first.get_attribute("href")
    crisis_id = re.search(r"/review/(\d+)$", crisis_href).group(1)
    phone.goto(forum_url + crisis_href)
    expect(phone.get_by_role("heading", name=f"Review item #{crisis_id}")).to_be_visible()
    _fits(phone)
    phone.locator("details.distressing summary").click()
    expect(phone.locator("details.distressing .review-text")).to_contain_text("nomorenomore")
    _fits(phone)
    for path in ("/review/inbox", "/review/appeals", "/review/shifts"):
        phone.goto(forum_url + path)
        _fits(phone)

    desktop = new_page(1280, 900)
    log_in(desktop, forum_url, "rowan-pine")
    desktop.goto(forum_url + "/review")
    expect(desktop.locator(".review-queue thead")).to_be_visible()
    expect(desktop.locator(".review-queue tbody tr").first).to_have_css("display", "table-row")
    expect(desktop.get_by_role("columnheader", name="Waiting")).to_be_visible()
    desktop.screenshot(path=str(ARTIFACTS / "review-queue-desktop.png"), full_page=True)


def test_team_view_and_audit_log_fit_a_phone(forum_url, new_page, queued):
    admin = new_page(390, 844)
    log_in(admin, forum_url, "jo-meadow")
    admin.goto(forum_url + "/review")
    # A claim is a first action: the team view then draws a bar for that priority.
    first = admin.locator(".review-queue .claim-form button").first
    first.click()
    admin.wait_for_url("**/review/*")
    admin.goto(forum_url + "/review/team")
    expect(admin.locator(".timing-table svg.bar").first).to_be_visible()
    _fits(admin)
    admin.goto(forum_url + "/review/audit")
    _fits(admin)


def test_queue_in_spanish_has_no_serious_axe_finding(forum_url, spanish_page, queued):
    page = spanish_page
    page.goto(forum_url + "/login")
    page.fill("#pseudonym", "rowan-pine")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").last.click()
    page.wait_for_url(forum_url + "/")
    page.goto(forum_url + "/review")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.locator(".review-queue tbody tr").first).to_have_css("display", "flex")
    _fits(page)
    assert blocking(run_axe(page)) == []
