"""/account/push: the settings page, the subscription a script sends, the forms, the test
button, and logging out ending this device's notifications (by its sign-in, and by its endpoint
as static/js/app.js names it)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import PushMessage, PushPreferences, PushSubscription, SignIn
from forum.services.push import keys as push_keys, subscriptions as push_subscriptions
from tests import push_service as local_push
from tests.conftest import csrf_from, login, page_text
from tests.push_service import Browser

PROBE_IP = "203.0.113.77"
PROBE_UA = "ProbeAgent/9.9 (identifying-device-string)"


@pytest.fixture
def app_config(app_config):
    return local_push.push_config(app_config)


def endpoint(name: str) -> str:
    return f"http://127.0.0.1:9/push/{name}"


def send(client, name="phone", token=None, **extra):
    """What push.js posts once the browser subscribed."""
    browser = Browser(name, endpoint(name))
    token = token or csrf_from(client, "/account/push")
    body = {"endpoint": browser.endpoint, "keys": browser.keys, "device_name": name, **extra}
    return client.post("/account/push/subscribe", json=body, headers={"X-CSRFToken": token},
                       environ_base={"REMOTE_ADDR": PROBE_IP, "HTTP_USER_AGENT": PROBE_UA})


def rows(user) -> list[PushSubscription]:
    db.session.expire_all()
    return list(db.session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == user.id).order_by(PushSubscription.id)))


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/account/push")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_from(client, "/login")
    response = client.post("/account/push/subscribe", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_works_without_push_and_carries_the_public_key(app, logged_in):
    page = page_text(logged_in.get("/account/push"))
    assert "Notifications on your devices" in page
    assert f'data-vapid-key="{push_keys.public_key_b64(app)}"' in page
    # Without JavaScript the subscribe form stays hidden and the page says why.
    assert re.search(r'<form class="push-subscribe" data-push-form novalidate hidden>', page)
    assert "needs a browser that supports them, with JavaScript on" in page
    assert "None yet." in page and "Send a test notification" not in page
    # A member is not offered the staff kinds.
    assert "Someone asks to talk now" not in page and "urgent item" not in page
    assert "Someone replies to your thread" in page
    assert 'href="/account/push"' in page_text(logged_in.get("/account"))


def test_staff_are_offered_their_kinds(app, client, facilitator, trained_moderator):
    login(client, facilitator)
    page = page_text(client.get("/account/push"))
    assert "Someone asks to talk now" in page and "urgent item" not in page
    other = app.test_client()
    login(other, trained_moderator)
    page = page_text(other.get("/account/push"))
    assert "Someone asks to talk now" in page and "An urgent item waits" in page


def test_a_script_subscribes_this_device_with_its_csrf_header(logged_in, member):
    response = send(logged_in, "phone")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["known"] is True
    [row] = rows(member)
    sign_in = db.session.scalar(select(SignIn).where(SignIn.user_id == member.id))
    assert row.sign_in_id == sign_in.id and row.device_name == "phone"
    page = page_text(logged_in.get("/account/push"))
    assert re.search(r'data-push-this-device>\s*<h3[^>]*>phone <span class="badge">This device',
                     page)
    assert "Send a test notification" in page


def test_subscribing_needs_the_csrf_header(logged_in, member):
    browser = Browser("phone", endpoint("phone"))
    response = logged_in.post("/account/push/subscribe",
                              json={"endpoint": browser.endpoint, "keys": browser.keys})
    assert response.status_code == 400
    assert rows(member) == []


@pytest.mark.parametrize("body", [
    {"endpoint": "https://evil.example/hook"},
    {"endpoint": "http://10.1.2.3/push"},
    {"keys": {"p256dh": "AAAA", "auth": "BBBB"}},
])
def test_a_bad_subscription_is_refused_as_json(logged_in, member, body):
    browser = Browser("phone", endpoint("phone"))
    data = {"endpoint": browser.endpoint, "keys": browser.keys, **body}
    token = csrf_from(logged_in, "/account/push")
    response = logged_in.post("/account/push/subscribe", json=data,
                              headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert "can't be used" in response.get_json()["error"]
    assert rows(member) == []


def test_not_json_is_refused(logged_in):
    token = csrf_from(logged_in, "/account/push")
    response = logged_in.post("/account/push/subscribe", data={"endpoint": "x"},
                              headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"]


def test_the_stored_row_keeps_no_address_or_agent(logged_in, db):
    assert send(logged_in, "phone").status_code == 200
    values = " ".join(str(v) for table in ("push_subscriptions", "push_preferences")
                      for row in db.session.execute(db.text(f"SELECT * FROM {table}"))
                      for v in row)
    assert PROBE_IP not in values and "ProbeAgent" not in values


def test_relink_marks_this_device_without_subscribing_anew(app, client, member):
    login(client, member)
    browser = Browser("phone", endpoint("phone"))
    token = csrf_from(client, "/account/push")
    body = {"endpoint": browser.endpoint, "keys": browser.keys, "relink": True}
    response = client.post("/account/push/subscribe", json=body, headers={"X-CSRFToken": token})
    assert response.get_json() == {"known": False, "changed": False, "id": None}
    assert rows(member) == []
    push_subscriptions.do_subscribe(member, endpoint=browser.endpoint, keys=browser.keys)
    response = client.post("/account/push/subscribe", json=body, headers={"X-CSRFToken": token})
    assert response.get_json()["known"] is True and response.get_json()["changed"] is True
    assert rows(member)[0].sign_in_id is not None


def test_switches_rename_and_remove(logged_in, member):
    send(logged_in, "phone")
    [row] = rows(member)
    token = csrf_from(logged_in, "/account/push")
    response = logged_in.post("/account/push/preferences",
                              data={"csrf_token": token, "thread_replies": "y",
                                    "support_requests": "", "urgent_items": ""})
    assert response.status_code == 302
    db.session.expire_all()
    prefs = db.session.get(PushPreferences, member.id)
    # Replies on, meetings off (unticked); the staff kinds were not on the page: unchanged.
    assert prefs.thread_replies and not prefs.meeting_reminders
    assert prefs.support_requests and prefs.urgent_items
    response = logged_in.post(f"/account/push/{row.id}/rename",
                              data={"csrf_token": token, "name": "Kitchen tablet"})
    assert response.status_code == 302 and rows(member)[0].device_name == "Kitchen tablet"
    response = logged_in.post(f"/account/push/{row.id}/rename",
                              data={"csrf_token": token, "name": "x" * 65})
    assert response.status_code == 400
    response = logged_in.post(f"/account/push/{row.id}/remove", data={"csrf_token": token})
    assert response.status_code == 302 and rows(member) == []


def test_another_accounts_device_is_not_found(app, logged_in, second_member):
    browser = Browser("theirs", endpoint("theirs"))
    theirs = push_subscriptions.do_subscribe(second_member, endpoint=browser.endpoint,
                                             keys=browser.keys, device_name="Their phone")
    token = csrf_from(logged_in, "/account/push")
    for action, data in (("rename", {"name": "Mine"}), ("remove", {})):
        response = logged_in.post(f"/account/push/{theirs.id}/{action}",
                                  data={"csrf_token": token, **data})
        assert response.status_code == 404
    assert [r.device_name for r in rows(second_member)] == ["Their phone"]
    assert "Their phone" not in page_text(logged_in.get("/account/push"))


def test_the_test_button_queues_a_push_per_device_and_is_rate_limited(app, logged_in, member):
    app.config["PUSH_TEST_RATE_LIMIT"] = "2 per hour"
    token = csrf_from(logged_in, "/account/push")
    response = logged_in.post("/account/push/test", data={"csrf_token": token},
                              follow_redirects=True)
    assert "No device of yours has notifications on yet." in page_text(response)
    send(logged_in, "phone")
    send(logged_in, "laptop")
    response = logged_in.post("/account/push/test", data={"csrf_token": token},
                              follow_redirects=True)
    assert "on its way to 2 devices" in page_text(response)
    kinds = db.session.scalars(select(PushMessage.kind)).all()
    assert kinds == ["test", "test"]
    assert logged_in.post("/account/push/test", data={"csrf_token": token}).status_code == 429


def test_logging_out_ends_this_devices_notifications_and_clears_the_cache(app, member):
    here = app.test_client()
    login(here, member)
    send(here, "here")
    there = app.test_client()
    login(there, member)
    send(there, "there")
    response = here.post("/logout", data={"csrf_token": csrf_from(here, "/account/push")})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    # The other device keeps its notifications (its session ended with the log-out).
    [kept] = rows(member)
    assert kept.endpoint == endpoint("there") and kept.sign_in_id is None


def test_logging_this_device_out_from_the_sessions_page_ends_its_notifications(app, member):
    client = app.test_client()
    login(client, member)
    send(client, "here")
    sign_in_id = rows(member)[0].sign_in_id
    token = csrf_from(client, "/account/sessions")
    response = client.post(f"/account/sessions/{sign_in_id}/end", data={"csrf_token": token})
    assert rows(member) == []
    # As at /logout, the browser drops its caches, worker and subscription too.
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_ending_another_device_from_the_sessions_page_clears_nothing_here(app, member):
    here, there = app.test_client(), app.test_client()
    login(here, member)
    login(there, member)
    other = db.session.scalars(select(SignIn.id).where(SignIn.user_id == member.id)
                               .order_by(SignIn.id.desc())).first()
    token = csrf_from(here, "/account/sessions")
    response = here.post(f"/account/sessions/{other}/end", data={"csrf_token": token})
    assert response.status_code == 302 and "Clear-Site-Data" not in response.headers


def forget(client, url, token=None, **headers):
    token = token or csrf_from(client, "/account/push")
    return client.post("/account/push/forget-device", json={"endpoint": url},
                       headers={"X-CSRFToken": token, **headers})


def test_logging_out_forgets_this_browser_by_its_endpoint(app, member, second_member):
    """Logging out anywhere ends every sign-in, so a device's row may name a sign-in long
    gone: the log-out script names the browser's endpoint instead."""
    here = app.test_client()
    login(here, member)
    send(here, "here")
    elsewhere = app.test_client()
    login(elsewhere, member)
    elsewhere.post("/logout", data={"csrf_token": csrf_from(elsewhere, "/account/push")})
    [row] = rows(member)
    assert row.sign_in_id is None  # its sign-in ended with that log-out
    login(here, member)  # signed in again on this device: a new sign-in
    theirs = Browser("theirs", endpoint("theirs"))
    push_subscriptions.do_subscribe(second_member, endpoint=theirs.endpoint, keys=theirs.keys)

    response = forget(here, theirs.endpoint)  # another account's browser: untouched
    assert response.status_code == 200 and response.get_json() == {"removed": False}
    response = forget(here, endpoint("here"))
    assert response.status_code == 200 and response.get_json() == {"removed": True}
    assert rows(member) == []
    assert [r.endpoint for r in rows(second_member)] == [theirs.endpoint]
    assert forget(here, endpoint("here")).get_json() == {"removed": False}


def test_forgetting_a_device_needs_the_csrf_header_and_json(logged_in, member):
    send(logged_in, "phone")
    response = logged_in.post("/account/push/forget-device", json={"endpoint": endpoint("phone")})
    assert response.status_code == 400
    token = csrf_from(logged_in, "/account/push")
    response = logged_in.post("/account/push/forget-device", data={"endpoint": endpoint("phone")},
                              headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"]
    assert len(rows(member)) == 1


def test_signed_in_pages_tell_the_script_where_to_link_and_forget_the_subscription(
        app, client, member):
    assert "data-push-forget" not in page_text(client.get("/"))  # a visitor has none
    login(client, member)
    page = page_text(client.get("/"))
    assert 'data-push-forget="/account/push/forget-device"' in page
    assert 'data-push-relink="/account/push/subscribe"' in page
    mark = re.search(r'data-push-mark="([0-9a-f]{16})"', page).group(1)
    assert mark == re.search(r'data-push-mark="([0-9a-f]{16})"',
                             page_text(client.get("/account"))).group(1)
    # Each sign-in has its own: the script links the subscription once per sign-in.
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    login(client, member)
    again = re.search(r'data-push-mark="([0-9a-f]{16})"', page_text(client.get("/"))).group(1)
    assert again != mark
