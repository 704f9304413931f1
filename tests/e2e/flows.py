"""Steps that several browser tests take as a member would."""

from __future__ import annotations

import re

DEMO_PASSWORD = "recovery-demo-2026"


def log_in(page, base: str, pseudonym: str) -> None:
    """Log in with a demo account through the real form."""
    page.goto(base + "/login")
    page.fill("#pseudonym", pseudonym)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").last.click()
    page.wait_for_url(base + "/")


def open_menu(page) -> None:
    """Open the header's menu when it is folded (a phone); a wide screen shows every link."""
    button = page.locator("summary.site-menu-button")
    if button.is_visible() and page.locator("details.site-menu[open]").count() == 0:
        button.click()


def open_host_tools(page) -> None:
    """Unfold a room's facilitator tools (folded on a phone), once the room has settled: the
    history arriving moves the toggle, and a click while it moves can land on the log."""
    page.locator(".chat-presence").filter(has_text=re.compile(r"\d")).wait_for(timeout=8000)
    fold = page.locator(".chat-panel-toggle")
    for _ in range(3):
        if fold.get_attribute("open") is not None:
            return
        page.locator(".chat-panel-toggle > summary").click()
        page.wait_for_timeout(100)
    assert fold.get_attribute("open") is not None, "the facilitator tools did not open"


def start_thread(page, base: str, title: str, body: str, board: str = "daily-check-ins") -> None:
    """Fill in and send the new-thread form of a board."""
    page.goto(f"{base}/c/{board}/new")
    page.fill("#title", title)
    page.fill("#body", body)
    page.get_by_role("button", name="Post thread").click()
