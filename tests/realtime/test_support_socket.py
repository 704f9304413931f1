"""Talk to someone now on the /chat namespace: who hears support_request, support_taken,
support_accepted, support_fallback and support_closed, and the private room end to end."""

from __future__ import annotations

import re

import pytest

from forum.services import jobs
from tests.conftest import csrf_from, login
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.chat import connect, emit, received
from tests.fixtures.talk import on_duty

screener = threads_support.screener
fake_clock = review_support.fake_clock
SUPPORT_EVENTS = ("support_request", "support_taken", "support_accepted", "support_fallback",
                  "support_closed")


def _http(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _support_events(sock) -> list[tuple[str, dict]]:
    return [(r["name"], r["args"][0]) for r in sock.get_received("/chat")
            if r["name"] in SUPPORT_EVENTS]


@pytest.fixture
def cast(app, member, second_member, facilitator, moderator, trained_moderator, admin):
    """Facilitator and moderator on duty; trained moderator and admin off duty; everyone
    connected to /chat, the requester too."""
    on_duty(facilitator, moderator)
    people = {"requester": member, "other_member": second_member, "on_facilitator": facilitator,
              "on_moderator": moderator, "off_trained": trained_moderator, "off_admin": admin}
    socks = {name: connect(app, user) for name, user in people.items()}
    for sock in socks.values():
        assert sock.is_connected("/chat")
        sock.get_received("/chat")
    return people, socks


def _press(app, user) -> tuple[object, int]:
    client = _http(app, user)
    response = client.post("/support", data={"csrf_token": csrf_from(client, "/")})
    return client, int(re.search(r"/support/(\d+)$", response.headers["Location"]).group(1))


def test_whole_flow_over_http_and_socket(app, cast, screener):
    people, socks = cast
    asker, request_id = _press(app, people["requester"])

    got = {name: _support_events(sock) for name, sock in socks.items()}
    for name in ("on_facilitator", "on_moderator"):
        assert got[name] == [("support_request", {"id": request_id, "age_s": 0,
                                                  "urgent": False, "pseudonym": "steady-heron"})]
    for name in ("requester", "other_member", "off_trained", "off_admin"):
        assert got[name] == [], name

    helper = _http(app, people["on_facilitator"])
    response = helper.post(f"/support/{request_id}/accept",
                           data={"csrf_token": csrf_from(helper, "/support/requests")})
    slug = response.headers["Location"].rsplit("/", 1)[1]
    got = {name: _support_events(sock) for name, sock in socks.items()}
    assert got["requester"] == [("support_accepted", {"id": request_id, "room": slug})]
    assert got["on_moderator"] == [("support_taken", {"id": request_id})]
    for name in ("on_facilitator", "other_member", "off_trained", "off_admin"):
        assert got[name] == [], name

    # Both join the private room and talk; nobody else can join it.
    for name in ("requester", "on_facilitator"):
        ack = emit(socks[name], "join", {"room": slug})
        assert ack["ok"] and ack["history"] == [], ack
    for name in ("other_member", "on_moderator", "off_admin"):
        ack = emit(socks[name], "join", {"room": slug})
        assert ack["ok"] is False and ack["error"] == "not_found", name
    for sock in socks.values():
        sock.get_received("/chat")
    ack = emit(socks["requester"], "send", {"room": slug, "client_id": "s-1",
                                            "text": "Thanks for coming"})
    assert ack["ok"] and ack["state"] == "published"
    assert [m["client_id"] for m in received(socks["on_facilitator"], "message")] == ["s-1"]
    assert [m["client_id"] for m in received(socks["requester"], "message")] == ["s-1"]
    for name in ("other_member", "on_moderator", "off_trained", "off_admin"):
        assert socks[name].get_received("/chat") == [], name

    # The supporter ends it: both hear, and the room takes no more messages.
    response = helper.post(f"/support/{request_id}/close",
                           data={"csrf_token": csrf_from(helper, "/support/requests")})
    assert response.status_code == 302
    closed = ("support_closed", {"id": request_id, "room": slug})
    assert _support_events(socks["requester"]) == [closed]
    assert _support_events(socks["on_facilitator"]) == [closed]
    for name in ("other_member", "on_moderator", "off_trained", "off_admin"):
        assert socks[name].get_received("/chat") == [], name
    ack = emit(socks["requester"], "send", {"room": slug, "client_id": "s-2", "text": "Bye"})
    assert ack["ok"] is False and ack["error"] == "invalid" and ack["text"] == "Bye"


def test_withdraw_takes_the_alert_away(app, cast):
    people, socks = cast
    asker, request_id = _press(app, people["requester"])
    for sock in socks.values():
        sock.get_received("/chat")
    asker.post(f"/support/{request_id}/withdraw",
               data={"csrf_token": csrf_from(asker, f"/support/{request_id}")})
    got = {name: _support_events(sock) for name, sock in socks.items()}
    for name in ("on_facilitator", "on_moderator"):
        assert got[name] == [("support_taken", {"id": request_id})]
    for name in ("requester", "other_member", "off_trained", "off_admin"):
        assert got[name] == [], name


def test_fallback_event_reaches_the_requester_once(app, cast, fake_clock):
    people, socks = cast
    _asker, request_id = _press(app, people["requester"])
    for sock in socks.values():
        sock.get_received("/chat")
    fake_clock.advance(seconds=179)
    jobs.run_due(fake_clock(), force=True)
    assert _support_events(socks["requester"]) == []
    fake_clock.advance(seconds=1)
    jobs.run_due(fake_clock(), force=True)
    fake_clock.advance(minutes=2)
    jobs.run_due(fake_clock(), force=True)
    assert _support_events(socks["requester"]) == [("support_fallback", {"id": request_id})]
    for name in ("other_member", "on_facilitator", "on_moderator", "off_trained", "off_admin"):
        assert _support_events(socks[name]) == [], name


def test_urgent_alert_says_so(app, cast, screener):
    people, socks = cast
    client = _http(app, people["requester"])
    client.post("/support", data={"csrf_token": csrf_from(client, "/support"),
                                  "note": "I feel unsafe [[flag:crisis]]"})
    alerts = _support_events(socks["on_facilitator"])
    assert [(n, p["urgent"]) for n, p in alerts] == [("support_request", True)]
    assert set(alerts[0][1]) == {"id", "age_s", "urgent", "pseudonym"}
