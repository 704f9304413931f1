"""What a phone downloads: the home page and a full thread page stay within 60 KB.

Measured in Chromium from the network log (encoded body plus headers of every response) in a
browser context with an empty cache, after the server has served the page once (a warm server,
a cold browser: the first visit of a member on a slow connection).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.flows import log_in
from tests.livesrv import ROOT, live_forum

pytestmark = pytest.mark.live

BUDGET = 60 * 1024


@pytest.fixture(scope="module")
def weighed_forum(tmp_path_factory):
    """A live forum with a thread longer than one page; yields (base URL, thread id)."""
    tmp = tmp_path_factory.mktemp("weight")
    seeded: dict[str, int] = {}

    def seed(env):
        done = subprocess.run([sys.executable, "-m", "tests.e2e.weight_seed"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        seeded["thread"] = int(done.stdout.split()[-1])

    with live_forum(tmp, before_serve=seed) as base:
        yield base, seeded["thread"]


def _weigh(browser, state, url: str) -> tuple[int, list[tuple[str, int, str]]]:
    """Bytes on the wire for one visit to `url` with an empty cache, and what they were."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=state)
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, wait_until="networkidle")
    rows = []
    for request in finished:
        sizes = request.sizes()
        response = request.response()
        encoding = (response.headers.get("content-encoding") or "-") if response else "-"
        rows.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"],
                     encoding))
    context.close()
    return sum(size for _, size, _ in rows), rows


def _member_state(browser, base: str):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, base, "steady-heron")
    state = context.storage_state()
    context.close()
    return state


def _report(name, total, rows):
    lines = "\n".join(f"  {size:>7} {encoding:>5} {url}" for url, size, encoding in rows)
    return f"{name}: {total} bytes\n{lines}"


def test_home_and_a_full_thread_page_each_stay_within_60_kb(weighed_forum, browser):
    base, thread_id = weighed_forum
    member = _member_state(browser, base)
    visitor = {"cookies": [], "origins": []}
    pages = [("home, member", member, base + "/"),
             ("home, visitor", visitor, base + "/"),
             ("thread, member", member, f"{base}/t/{thread_id}"),
             ("thread, visitor", visitor, f"{base}/t/{thread_id}")]
    for name, state, url in pages:
        _weigh(browser, state, url)  # the server's first answer warms its caches
        total, rows = _weigh(browser, state, url)
        report = _report(name, total, rows)
        print(report)
        assert any(url_ == url for url_, _, _ in rows), report
        # Pages, stylesheets and scripts travel compressed (see COMPRESS_MIMETYPES).
        assert all(encoding != "-" for url_, size, encoding in rows
                   if (url_ == url or url_.endswith((".css", ".js"))) and size > 1024), report
        assert total <= BUDGET, report
    thread_rows = _weigh(browser, member, f"{base}/t/{thread_id}")[1]
    assert len([r for r in thread_rows if "/t/" in r[0]]) == 1
