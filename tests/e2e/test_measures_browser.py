"""The check-in answered with the keyboard alone on a phone, and the measures dashboard in a
desktop browser: labelled, reachable, no script errors."""

from __future__ import annotations

import pytest

from tests.e2e.flows import log_in

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def _tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches a JS predicate on `el`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"never reached by keyboard: {predicate}")


def test_check_in_with_the_keyboard_alone(forum_url, new_page):
    page = new_page()
    errors = _watch_errors(page)
    log_in(page, forum_url, "morning-cedar")
    page.goto(forum_url + "/account/checkin")
    assert "stored apart from your account" in page.content()
    _tab_to(page, "el.textContent.trim() === 'Opt in to the check-in'")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=How connected do you feel to this community?")
    # Every choice is a labelled target at least 44 pixels tall.
    for label in page.locator("label.checkin-choice").all()[:12]:
        assert label.bounding_box()["height"] >= 44
    assert page.get_by_label("Strongly agree").count() == 10
    _tab_to(page, "el.id === 'connected-1'")
    for _group in range(11):
        page.keyboard.press("Space")  # the first choice of the group
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")  # arrows move to and select the third
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save my check-in"
    assert page.locator("#connected-3").is_checked() and page.locator("#barc_10-3").is_checked()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=The next check-in opens on")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").nth(2).inner_text() == "30"
    assert errors == []


def test_dashboard_renders_and_is_reachable_by_keyboard(forum_url, new_page):
    page = new_page(1280, 900)
    errors = _watch_errors(page)
    log_in(page, forum_url, "jo-meadow")
    page.goto(forum_url + "/admin/measures")
    assert page.get_by_role("heading", name="Community measures", level=1).is_visible()
    assert page.get_by_role("heading", name="Active members").is_visible()
    assert page.get_by_label("From", exact=True).is_visible()
    # The demo community is small: every figure is withheld.
    assert "fewer than 10" in page.locator("#fig-active_members").locator("..").inner_text()
    _tab_to(page, "el.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    table = page.locator("details[open] table").first
    assert table.is_visible() and "Week from" in table.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").focus()
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    page.goto(forum_url + "/community/measures")
    assert page.get_by_role("heading", name="What we are learning together").is_visible()
    assert errors == []
