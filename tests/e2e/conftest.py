"""Browser fixtures: Debian's Chromium driven by Playwright, a screenshot kept on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.privacy_scan import (
    assert_database_holds_no_address_or_agent,
    assert_log_holds_no_agent,
)
from tests.livesrv import ROOT, live_forum

CHROMIUM = os.environ.get("FORUM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def forum_url(tmp_path_factory) -> str:
    """One live forum per test module; after its flows, its database holds no IP address or
    user agent and its log names no browser."""
    folder = tmp_path_factory.mktemp("live")
    with live_forum(folder) as base:
        yield base
    assert_database_holds_no_address_or_agent(folder / "forum.sqlite3")
    assert_log_holds_no_agent(folder / "server.log")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (installed by `make test` when missing)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make test` to install it"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for page in getattr(item, "open_pages", []):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{item.name}-{id(page)}.png"), full_page=True)


@pytest.fixture
def new_page(browser, request):
    """A fresh browser context (its own cookies) per call; screenshots kept on failure."""
    contexts = []
    request.node.open_pages = []

    def make(width: int = 390, height: int = 844):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        request.node.open_pages.append(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def spanish_page(browser, request):
    """A phone-sized page whose browser asks for Spanish (Accept-Language and navigator)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    page = context.new_page()
    request.node.open_pages = [page]
    yield page
    context.close()
