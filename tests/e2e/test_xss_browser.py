"""Every vector of tests/xss_vectors.py, stored in every kind of member text, runs on no page.

The vectors are stored through the services before the server starts (tests/e2e/xss_seed.py)
and each kind also once through its real form; every resulting page is loaded in Chromium with
the trap of tests/e2e/xss_check.py. Pages are loaded with the CSP bypassed, so the sanitizer and
the templates are proven on their own; the CSP, the second line of defence, is checked at the
end of this module.
Rate limits are off for this live server only (FORUM_RATELIMIT_ENABLED=false): one account
sends a few hundred forms here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.flows import log_in
from tests.e2e.xss_check import XssWatch, check_pages
from tests.livesrv import ROOT, live_forum
from tests.xss_vectors import VECTORS

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

EDIT_KINDS = ("script", "broken", "context")


@pytest.fixture(scope="module")
def xss_forum(tmp_path_factory):
    """A live forum holding every vector in threads, replies, chat, rooms and reports."""
    tmp = tmp_path_factory.mktemp("xss")
    manifest_path = tmp / "manifest.json"

    def seed(env):
        done = subprocess.run([sys.executable, "-m", "tests.e2e.xss_seed", str(manifest_path)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    with live_forum(tmp, extra_env={"FORUM_RATELIMIT_ENABLED": "false"},
                    before_serve=seed) as base:
        yield base, json.loads(manifest_path.read_text())


@pytest.fixture
def watch(browser):
    """A context with the trap armed and the CSP bypassed."""
    instance = XssWatch(browser, csp=False)
    yield instance
    instance.close()


def _report(what: str, watch: XssWatch, started: float, **counts) -> None:
    # Shown with -s and kept in the log: the counts the proof is quoted with.
    detail = " ".join(f"{k}={v}" for k, v in counts.items())
    print(f"\n[xss] {what}: vectors={len(VECTORS)} pages={watch.pages_checked} {detail}"
          f" seconds={time.monotonic() - started:.1f}")


def test_the_trap_sees_a_vector_that_runs(xss_forum, watch):
    # The control: if the trap or the DOM check were blind, every other test would pass.
    base, _ = xss_forum
    watch.visit(base + "/")
    watch.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend',"
                        " '<img src=x onerror=xss(0)><a href=\"javascript:xss(-1)\">j</a>')")
    # The handler runs once the image's 404 is back, and its report arrives after that.
    watch.wait_for_hits(lambda hits: any(h.startswith("xss(0)") for h in hits))
    watch.check_current("control")
    watch.wait_for_hits(lambda hits: any(h.startswith("xss(-1)") for h in hits))
    assert any(hit.startswith("xss(0)") for hit in watch.hits), watch.hits
    assert any(hit.startswith("xss(-1)") for hit in watch.hits), watch.hits
    assert any("handler IMG onerror" in item for item in watch.findings), watch.findings
    assert any("javascript:xss(-1)" in item for item in watch.findings), watch.findings


def test_stored_vectors_run_on_no_page(xss_forum, watch, browser):
    base, manifest = xss_forum
    started = time.monotonic()
    assert manifest["outcomes"]["thread stored"] == len(VECTORS), manifest["outcomes"]
    assert manifest["outcomes"]["chat message stored"] == len(VECTORS), manifest["outcomes"]
    page = watch.page
    log_in(page, base, "steady-heron")  # the author: their held posts and messages show too

    url = f"{base}/c/{manifest['board']}"
    while url:  # the board, every page of titles
        watch.visit(url)
        older = page.locator("a[rel=next]")
        url = base + older.get_attribute("href") if older.count() else None
    for thread_id in manifest["threads"]:  # title in <title> and <h1>, body, anonymous reply
        watch.visit(f"{base}/t/{thread_id}")
    print(f"\n[xss] board and thread pages: {time.monotonic() - started:.1f}s")
    # The edit form puts the title in a value and the body in a textarea: the vectors that
    # try to break out of an attribute or a raw-text element.
    for vector in VECTORS:
        if vector.kind in EDIT_KINDS:
            watch.visit(f"{base}/p/{manifest['opening_posts'][str(vector.id)]}/edit")
    watch.visit(base + "/rooms")  # every room title
    for slug, count in manifest["chat_rooms"].items():  # chat history, put in by chat.js
        page.goto(f"{base}/rooms/{slug}")
        expect(page.locator(".chat-log li[data-id]")).to_have_count(count, timeout=15000)
        watch.check_current(f"room {slug}")
    for number in range(1, 11):  # search results: titles and snippets
        watch.visit(f"{base}/search?q=xss&page={number}")

    # Report reasons, as a moderator reads them: through the one-call helper that other
    # features' pages (meeting titles...) use too.
    moderator = check_pages(
        browser, [base + "/review"] + [f"{base}/review/{i}" for i in manifest["review_items"]],
        login=lambda p: log_in(p, base, "jo-meadow"))
    assert moderator.pages_checked == len(manifest["review_items"]) + 1
    watch.assert_clean()
    _report("stored", watch, started, review_pages=len(manifest["review_items"]) + 1,
            threads=len(manifest["threads"]), outcomes=manifest["outcomes"])


def test_meeting_titles_and_descriptions_run_on_no_page(xss_forum, browser):
    # Every vector is a meeting's title (all listed on /meetings) and part of a description;
    # one meeting page per kind of vector shows the title in <title> and <h1>, and the edit
    # form puts it in a value, where the attribute breakouts ("context") aim.
    base, manifest = xss_forum
    started = time.monotonic()
    plan = manifest["meetings"]
    assert manifest["outcomes"]["meeting title stored"] == len(VECTORS), manifest["outcomes"]
    assert len(plan["descriptions"]) == plan["description_batches"], manifest["outcomes"]
    first_of_kind: dict[str, int] = {}
    for vector in VECTORS:
        first_of_kind.setdefault(vector.kind, plan["titles"][str(vector.id)])
    pages = [base + "/meetings"] + [
        f"{base}/meetings/{i}" for i in [*plan["descriptions"], *first_of_kind.values()]] + [
        f"{base}/meetings/{plan['titles'][str(v.id)]}/edit" for v in VECTORS
        if v.kind == "context"]
    host = check_pages(browser, pages, login=lambda p: log_in(p, base, plan["host"]))
    visitor = check_pages(browser, [base + "/meetings"])
    assert host.pages_checked == len(pages) and visitor.pages_checked == 1
    with urllib.request.urlopen(base + "/meetings") as response:  # every title was on the list
        listed = response.read().decode()
    assert all(f'href="/meetings/{i}"' in listed for i in plan["titles"].values())
    _report("meetings", host, started, meetings=len(plan["titles"]),
            descriptions=len(plan["descriptions"]))


def _submit(page, fields: dict[str, str], button: str) -> None:
    for selector, value in fields.items():
        page.fill(selector, value)
    with page.expect_navigation():
        page.get_by_role("button", name=button).first.click()


def test_vectors_through_the_forms_run_on_no_page(xss_forum, watch):
    base, manifest = xss_forum
    started = time.monotonic()
    page = watch.page
    # Pseudonyms: every vector through the real sign-up form; each is refused, and the page
    # that refuses it (the vector echoed in the field) runs nothing.
    page.goto(base + "/signup")
    for vector in VECTORS:
        page.evaluate("(v) => { const f = document.querySelector('#pseudonym'); f.value = v; }",
                      vector.text)
        page.fill("#password", "a calm river at dawn")
        page.fill("#password_confirm", "a calm river at dawn")
        page.check("#agree")
        with page.expect_navigation():
            page.get_by_role("button", name="Create my account").click()
        watch.check_current(f"signup {vector.id}")
        assert page.get_by_role("alert").count(), f"vector {vector.id} was accepted as a name"

    print(f"\n[xss] signups: {time.monotonic() - started:.1f}s")
    log_in(page, base, "morning-cedar")
    sample = [v for v in VECTORS if v.kind in ("script", "handler")][:6] + [
        v for v in VECTORS if v.kind in ("url", "markdown", "broken")][:6]
    for vector in sample:  # a thread, a reply, an edit and a report, each through its form
        page.goto(f"{base}/c/{manifest['board']}/new")
        _submit(page, {"#title": f"Form {vector.id} {vector.text}"[:200],
                       "#body": vector.text}, "Post thread")
        watch.check_current(f"thread form {vector.id}")
        thread_url = page.url
        page.goto(thread_url.split("#")[0].rstrip("/") + "/reply")
        _submit(page, {"#body": vector.text}, "Post reply")
        watch.check_current(f"reply form {vector.id}")
    for post_id in range(1, len(sample) + 1):
        page.goto(f"{base}/p/{post_id}/report")
        if page.locator("#reason").count():
            _submit(page, {"#reason": " ".join(v.text for v in sample)}, "Send report")
            watch.check_current(f"report form {post_id}")
    page.goto(f"{base}/rooms/{next(iter(manifest['chat_rooms']))}")
    for vector in sample:  # chat through the page's own socket
        page.fill("#chat-text", vector.text)
        page.get_by_role("button", name="Send").click()
    # Every message answered: what is inspected is what the server sent back, not the
    # page's own placeholder for a message on its way.
    expect(page.locator(".chat-log li[data-state]")).not_to_have_count(0)
    expect(page.locator(".chat-log li.chat-pending")).to_have_count(0, timeout=10000)
    watch.check_current("chat form")
    marker = uuid.uuid4().hex
    watch.visit(f"{base}/search?q={marker}")
    watch.assert_clean()
    _report("forms", watch, started, signups=len(VECTORS), form_vectors=len(sample))


def test_the_csp_refuses_injected_script_in_every_form(xss_forum, browser):
    # What the sanitizer would have let through, were it broken: the page's own CSP refuses
    # an inline script, an inline handler, a javascript: link and a data: script, and says so.
    base, manifest = xss_forum
    watch = XssWatch(browser, csp=True)
    try:
        for path in ("/", f"/rooms/{next(iter(manifest['chat_rooms']))}", "/login"):
            watch.visit(base + path)
            watch.page.evaluate("""() => {
                const main = document.querySelector('main');
                const s = document.createElement('script');
                s.textContent = 'xss(1001)';
                main.appendChild(s);
                const d = document.createElement('script');
                d.src = 'data:text/javascript,xss(1002)';
                main.appendChild(d);
                main.insertAdjacentHTML('beforeend', '<img src=/nope onerror=xss(1003)>'
                    + '<a id=j href="javascript:xss(1004)">j</a>');
                document.getElementById('j').click();
            }""")
            # This page's four refusals; the handler's only once the image's 404 is back.
            here = watch.page.url
            watch.wait_for_hits(lambda hits, here=here: sum(
                h.startswith("csp(") and h.endswith(f" at {here}") for h in hits) >= 4)
        ran = [hit for hit in watch.hits if hit.startswith("xss(")]
        refused = [hit for hit in watch.hits if hit.startswith("csp(")]
        assert ran == [], ran
        # Three pages, four refusals each: script-src for the element, the data: URL, the
        # handler and the javascript: navigation.
        assert len(refused) >= 12, watch.hits
        kinds = {h.split(" at ")[0] for h in refused}
        assert kinds == {"csp(script-src-attr,inline,)", "csp(script-src-elem,data,)",
                         "csp(script-src-elem,inline,)"}, kinds
    finally:
        watch.close()
