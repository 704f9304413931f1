"""The installable app in Chromium on a phone (390x844): the manifest and the service worker
install at the site's root; with the browser offline the crisis page still opens, in English
and in Spanish, while a thread page is not on the device (the offline crisis page answers
instead, saying so); logging out leaves no cache behind, and has the server forget this
browser's push subscription, which each sign-in's first page has tied to it.
Screenshot: test-artifacts/app-shell-offline-crisis.png.
"""

from __future__ import annotations

import base64
import json
import re
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows import log_in, open_menu

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

WORKER = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const manifest = document.querySelector('link[rel=manifest]').href;
  const answer = await fetch(manifest);
  return {scope: registration.scope, state: registration.active && registration.active.state,
          script: registration.active && registration.active.scriptURL,
          type: answer.headers.get('content-type'), manifest: await answer.json()};
}"""
# The worker keeps the crisis page when a signed-in page (or the crisis page) asks: wait up to
# ten seconds for it (wait_for_function would take the pending promise for a yes).
KEPT = """async (url) => {
  for (let i = 0; i < 100; i += 1) {
    if (await caches.match(url)) { return true; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}"""
CACHES = "async () => await caches.keys()"
# The notifications the worker shows with a tag, once there are `count` of them (up to 5 s).
SHOWN = """async ([tag, count]) => {
  const registration = await navigator.serviceWorker.ready;
  let shown = [];
  for (let i = 0; i < 50; i += 1) {
    shown = await registration.getNotifications({tag});
    if (shown.length === count) { break; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}));
}"""
ENGLISH_LINE = "988 Suicide & Crisis Lifeline"
SPANISH_LINE = "988 Línea de Prevención del Suicidio y Crisis"


def test_offline_the_crisis_page_opens_and_member_pages_do_not(forum_url, new_page):
    page = new_page()
    log_in(page, forum_url, "steady-heron")
    facts = page.evaluate(WORKER)
    assert facts["scope"] == forum_url + "/" and facts["state"] == "activated", facts
    assert facts["script"] == forum_url + "/sw.js", facts
    assert facts["type"].startswith("application/manifest+json"), facts
    assert facts["manifest"]["display"] == "standalone", facts
    for url in ("/crisis?lang=en", "/crisis?lang=es"):
        assert page.evaluate(KEPT, url), url
    _shows_and_withdraws_a_push(page, forum_url)
    thread = page.locator("a[href^='/t/']").first
    thread_url, thread_title = forum_url + thread.get_attribute("href"), thread.inner_text()
    assert thread_title.strip()

    page.context.set_offline(True)
    page.goto(forum_url + "/crisis")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text(ENGLISH_LINE).first).to_be_visible()
    expect(page.locator("[data-offline-note]")).to_be_visible()
    expect(page.locator(".duty-status")).to_be_hidden()  # true when kept, not now
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-shell-offline-crisis.png"))
    page.goto(forum_url + "/crisis?lang=es&country=US")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text(SPANISH_LINE).first).to_be_visible()
    # A thread was never kept: offline, its address gets the crisis page and the note.
    page.goto(thread_url)
    expect(page.locator("[data-offline-note]")).to_be_visible()
    expect(page.get_by_text(ENGLISH_LINE).first).to_be_visible()
    assert thread_title not in page.inner_text("body")

    page.context.set_offline(False)
    page.goto(forum_url + "/")
    assert page.evaluate(CACHES), "nothing was kept before log-out"
    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out. Take care.")).to_be_visible()
    assert re.fullmatch(re.escape(forum_url) + "/?", page.url)
    assert page.evaluate(CACHES) == []
    # Still none once the signed-out page has settled with its worker.
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_timeout(300)
    assert page.evaluate(CACHES) == []


def test_a_spanish_visitor_gets_the_crisis_page_in_spanish_offline(forum_url, spanish_page):
    page = spanish_page
    page.goto(forum_url + "/crisis")
    assert page.evaluate(KEPT, "/crisis?lang=es")
    page.context.set_offline(True)
    page.goto(forum_url + "/crisis")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text(SPANISH_LINE).first).to_be_visible()
    expect(page.locator("[data-offline-note]")).to_be_visible()


def _shows_and_withdraws_a_push(page, base: str) -> None:
    """A push as the push service delivers it (through DevTools: no push service here): the
    worker shows it, sends a link elsewhere to the forum's home, and a withdrawal closes it."""
    page.context.grant_permissions(["notifications"], origin=base)
    devtools = page.context.new_cdp_session(page)
    registrations = []
    devtools.on("ServiceWorker.workerRegistrationUpdated",
                lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    for _ in range(40):  # the registrations arrive as an event, usually at once
        live = [r for r in registrations if not r["isDeleted"] and r["scopeURL"] == base + "/"]
        if live:
            break
        page.wait_for_timeout(50)
    assert live, registrations

    def push(payload):
        devtools.send("ServiceWorker.deliverPushMessage", {
            "origin": base, "registrationId": live[0]["registrationId"],
            "data": json.dumps(payload)})

    push({"title": "Someone is asking to talk now", "body": "Open the forum to answer",
          "url": "https://elsewhere.example/x", "tag": "support-7", "withdraw": False})
    assert page.evaluate(SHOWN, ["support-7", 1]) == [{
        "title": "Someone is asking to talk now", "body": "Open the forum to answer",
        "tag": "support-7", "url": "/"}]
    push({"title": "Someone answered", "body": "", "url": "/support/requests",
          "tag": "support-7", "withdraw": True})
    assert page.evaluate(SHOWN, ["support-7", 0]) == []
    devtools.detach()


# Headless Chromium has no push service to subscribe with: this browser "has" a subscription
# (what PushManager.getSubscription() gives a subscribed browser), so app.js's part shows.
FAKE_SUBSCRIPTION = """(() => {
  const subscription = %s;
  const fake = {
    endpoint: subscription.endpoint,
    options: {},
    toJSON: () => subscription,
    unsubscribe: () => Promise.resolve(true),
  };
  PushManager.prototype.getSubscription = () => Promise.resolve(fake);
})();"""
SUBSCRIBE = """async (subscription) => {
  const token = document.querySelector('form[data-drafts-clear] input[name=csrf_token]').value;
  const answer = await fetch('/account/push/subscribe', {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
    body: JSON.stringify(Object.assign({device_name: 'Phone'}, subscription))});
  return answer.status;
}"""


def _subscription() -> dict:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/e2e-{secrets.token_hex(8)}",
            "keys": {"p256dh": encode(point), "auth": encode(secrets.token_bytes(16))}}


def _is_relink(request) -> bool:
    return request.url.endswith("/account/push/subscribe") and b'"relink":true' in (
        request.post_data_buffer or b"")


def _log_out_elsewhere(new_page, base: str) -> None:
    """Log the account out on another device, which ends every sign-in of it."""
    other = new_page()
    log_in(other, base, "steady-heron")
    open_menu(other)
    other.get_by_role("button", name="Log out").click()
    expect(other.get_by_text("You are logged out. Take care.")).to_be_visible()
    other.context.close()


def test_each_sign_in_ties_the_subscription_and_log_out_forgets_it(forum_url, new_page):
    subscription = _subscription()
    page = new_page()
    page.context.add_init_script(FAKE_SUBSCRIPTION % json.dumps(subscription))
    relinks = []
    page.on("request", lambda request: relinks.append(request) if _is_relink(request) else None)
    with page.expect_response(lambda r: _is_relink(r.request)) as first:
        log_in(page, forum_url, "steady-heron")
    assert first.value.json()["known"] is False  # not this account's yet: nothing made
    assert page.evaluate(SUBSCRIBE, subscription) == 200  # as push.js would

    # Logging out on another device ends this sign-in too; signed in again here, the first
    # page ties the subscription to the new sign-in, and only the first.
    _log_out_elsewhere(new_page, forum_url)
    with page.expect_response(lambda r: _is_relink(r.request)) as again:
        log_in(page, forum_url, "steady-heron")
    assert again.value.json()["known"] is True and again.value.json()["changed"] is True
    count = len(relinks)
    page.goto(forum_url + "/crisis")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    assert len(relinks) == count

    # Without that tie (the script failed), logging out here still ends this device's
    # subscription: the page names it to the server before the form goes.
    _log_out_elsewhere(new_page, forum_url)
    page.route("**/account/push/subscribe", lambda route: route.abort())
    log_in(page, forum_url, "steady-heron")
    page.unroute("**/account/push/subscribe")
    open_menu(page)
    with page.expect_request("**/account/push/forget-device") as forgot:
        page.get_by_role("button", name="Log out").click()
    assert forgot.value.post_data_json == {"endpoint": subscription["endpoint"]}
    expect(page.get_by_text("You are logged out. Take care.")).to_be_visible()
    # The server forgot it: signed in once more, the account no longer knows this browser.
    with page.expect_response(lambda r: _is_relink(r.request)) as after:
        log_in(page, forum_url, "steady-heron")
    assert after.value.json()["known"] is False
