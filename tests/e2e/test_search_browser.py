"""Search results in Chromium on a phone: posts, meetings and boards in their own sections, the
page no wider than the screen, member text escaped, nothing serious for axe in English or
Spanish, and the search form working without JavaScript."""

from __future__ import annotations

import pytest

from tests.e2e.axe import blocking, run_axe
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import log_in, start_thread

pytestmark = pytest.mark.live

LONG_WORD = "Checkingin" + "x" * 90
# Everything wider than the viewport, by its right edge (1px of rounding allowed).
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + '.' + e.className)"""


def _section(page, name: str) -> str:
    return page.locator(f"#found-{name} + .search-results").inner_text()


def _results(page, base: str, query: str = "check") -> None:
    page.goto(f"{base}/search?q={query}")
    for section in ("found-posts", "found-meetings", "found-boards"):
        assert page.locator(f"#{section}").is_visible(), section


def test_search_results_on_a_phone(forum_url, new_page, spanish_page, browser):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    start_thread(page, forum_url, "Check-in after a long weekend",
                 f"Checking in: <script>window.hit = 1</script> the weekend was long. {LONG_WORD}")
    _results(page, forum_url)
    posts = page.locator("#found-posts + .search-results")
    assert posts.locator("mark").first.inner_text().lower().startswith("check")
    assert "<script>window.hit = 1</script>" in posts.inner_text()  # shown as text
    assert page.evaluate("window.hit") is None
    assert "Evening check-in circle" in _section(page, "meetings")
    assert "Daily check-ins" in _section(page, "boards")
    assert page.evaluate(TOO_WIDE) == []
    assert blocking(run_axe(page)) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=True)

    _results(spanish_page, forum_url)
    assert spanish_page.locator("#found-posts").inner_text() == "Temas y publicaciones"
    assert spanish_page.evaluate(TOO_WIDE) == []
    assert blocking(run_axe(spanish_page)) == []
    spanish_page.goto(f"{forum_url}/search?q=a")
    assert "Escribe al menos dos letras" in spanish_page.inner_text("main")
    assert blocking(run_axe(spanish_page)) == []

    desktop = new_page(1280, 900)
    _results(desktop, forum_url)
    desktop.screenshot(path=str(ARTIFACTS / "search-desktop.png"), full_page=True)

    # Without JavaScript the form is a plain GET form.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        bare = context.new_page()
        bare.goto(f"{forum_url}/search")
        bare.fill("#q", "slips")
        bare.press("#q", "Enter")
        bare.wait_for_url("**/search?q=slips")
        assert "Setbacks and relapse" in _section(bare, "boards")
    finally:
        context.close()
