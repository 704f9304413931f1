"""Talk to someone now over HTTP: the header link and the page that asks first, what the pages
say about who is on duty (nobody, one, several, the next shift), the waiting page, accept, the
private room, withdraw, close, the 3-minute fallback, the note's verdict, limits, export and
erasure."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ChatMessage, Room, SupportRequest, User
from forum.services.accounts import account as accounts
from forum.services.chat import messages as chat
from forum.services.review import duty
from forum.services.support import requests as support
from forum.web.times import WHEN_FORMAT
from tests.conftest import PASSWORD, csrf_from, login, page_text
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.talk import audience_of, on_duty, support_bus

screener = threads_support.screener
fake_clock = review_support.fake_clock
bus = support_bus
NOBODY = "No peer supporter is on duty right now"
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _press(client, note: str | None = None):
    """Press Talk to someone now (the header form on the home page)."""
    data = {"csrf_token": csrf_from(client, "/")}
    if note is not None:
        data["note"] = note
    return client.post("/support", data=data)


def _request_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/support/(\d+)$", response.headers["Location"]).group(1))


def _post(client, path: str, page: str = "/support/requests"):
    return client.post(path, data={"csrf_token": csrf_from(client, page)})


def _alerts_tag(page: str) -> str:
    tag = re.search(r'<section class="support-alerts"[^>]*>', page)
    assert tag, "no supporters' alerts on the page"
    return tag.group(0)


def _fallback_shown(page: str) -> bool:
    tag = re.search(r'<div class="support-fallback"[^>]*>', page)
    assert tag, "no fallback box on the page"
    return "hidden" not in tag.group(0)


def _nobody_box(page: str) -> str:
    """The 'nobody on duty' box: from its start to the form or status line after it."""
    start = page.find('<div class="support-fallback support-nobody"')
    assert start >= 0, "no 'nobody on duty' box on the page"
    end = min(i for i in (page.find("<form", start), page.find('class="support-state"', start),
                          page.find('<p class="support-duty"', start)) if i > 0)
    return page[start:end]


def test_header_link_for_logged_in_members_only(app, client, member):
    assert "Talk to someone now" not in page_text(client.get("/"))
    page = page_text(_client(app, member).get("/crisis"))
    header = page[:page.index("</header>")]
    # A plain link, no form: a stray tap (or a page without JavaScript) only opens the question.
    assert re.search(r'<a class="[^"]*talk-now[^"]*" href="/support">Talk to someone now</a>',
                     header)
    assert 'action="/support"' not in header
    assert page.index("Get help now") < page.index("Talk to someone now")


def test_the_header_link_asks_first_and_only_the_post_pages_anyone(app, member, facilitator,
                                                                  bus):
    on_duty(facilitator)
    client = _client(app, member)
    page = page_text(client.get("/support"))
    # The page asks: a plain form that posts with its CSRF token.
    form = re.search(r'<form method="post" action="/support"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'name="csrf_token"' in form.group(1)
    assert "Send my request" in form.group(1)
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0
    assert [name for name, _payload, _aud in bus] == []
    # Without its token the post is refused and nobody is paged.
    assert client.post("/support", data={}).status_code == 400
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0
    assert bus == []
    token = csrf_from(client, "/support")
    request_id = _request_id(client.post("/support", data={"csrf_token": token}))
    assert [(name, set(aud)) for name, _payload, aud in bus] == [
        (support.REQUESTED, audience_of(facilitator))]
    # Without JavaScript the redirect is the waiting page itself.
    assert "1 peer supporter is on duty now" in page_text(client.get(f"/support/{request_id}"))


def test_press_opens_one_request_and_a_second_press_returns_to_it(app, member, facilitator):
    on_duty(facilitator)
    client = _client(app, member)
    first = _request_id(_press(client))
    again = _press(client)
    assert _request_id(again) == first
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 1
    page = page_text(client.get(f"/support/{first}"))
    assert "1 peer supporter is on duty now. We are letting them know." in page
    assert "Withdraw my request" in page
    assert client.get("/support").headers["Location"].endswith(f"/support/{first}")


def test_support_page_form_has_a_labelled_note(app, member):
    page = page_text(_client(app, member).get("/support"))
    assert re.search(r'<label for="note">', page) and 'id="note"' in page


def test_blocked_note_comes_back_with_text_and_reason(app, member, screener):
    client = _client(app, member)
    note = "you are all [[block:harassment]]"
    response = client.post("/support", data={"csrf_token": csrf_from(client, "/support"),
                                              "note": note})
    assert response.status_code == 400
    page = page_text(response)
    assert note in page and "Scripted block message for harassment." in page
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0


def test_crisis_note_shows_resources_at_once_and_is_urgent(app, member, facilitator):
    # The real pipeline: the default rules read this as a crisis.
    on_duty(facilitator)
    client = _client(app, member)
    request_id = _request_id(_press(client, "I want to end my life tonight"))
    page = page_text(client.get(f"/support/{request_id}"))
    assert "You don’t have to wait to get help" in page
    assert "988 Suicide & Crisis Lifeline" in page
    assert db.session.get(SupportRequest, request_id).urgent
    supporter_page = page_text(_client(app, facilitator).get("/support/requests"))
    assert "Urgent" in supporter_page


def test_plain_request_shows_no_crisis_box(app, member):
    client = _client(app, member)
    page = page_text(client.get(f"/support/{_request_id(_press(client))}"))
    assert "You don’t have to wait to get help" not in page


def test_fallback_after_three_minutes(app, member, facilitator, fake_clock):
    on_duty(facilitator)
    client = _client(app, member)
    request_id = _request_id(_press(client))
    fake_clock.advance(seconds=170)
    page = page_text(client.get(f"/support/{request_id}"))
    assert not _fallback_shown(page)
    assert 'data-seconds-left="10"' in page
    assert client.get(f"/support/{request_id}/status").get_json()["past_deadline"] is False
    fake_clock.advance(seconds=10)
    page = page_text(client.get(f"/support/{request_id}"))
    assert _fallback_shown(page)
    assert "Your request stays open" in page
    assert "988 Suicide & Crisis Lifeline" in page and "Never Use Alone" in page
    status = client.get(f"/support/{request_id}/status").get_json()
    assert status == {"id": request_id, "status": "open", "room_url": None,
                      "past_deadline": True, "seconds_left": 0}


def test_withdraw(app, member, facilitator):
    on_duty(facilitator)
    client = _client(app, member)
    request_id = _request_id(_press(client))
    response = _post(client, f"/support/{request_id}/withdraw", f"/support/{request_id}")
    assert response.status_code == 302
    page = page_text(client.get(f"/support/{request_id}"))
    assert "You withdrew this request." in page and "Withdraw my request" not in page
    # Supporters no longer see it.
    assert client.get(f"/support/{request_id}/status").get_json()["status"] == "withdrawn"
    assert _client(app, facilitator).get(f"/support/{request_id}").status_code == 404


def test_accept_room_and_close_over_http(app, member, facilitator, moderator, second_member,
                                         screener):
    on_duty(facilitator, moderator)
    asker = _client(app, member)
    request_id = _request_id(_press(asker, "Rough evening"))
    helper = _client(app, facilitator)
    listing = page_text(helper.get("/support/requests"))
    assert "steady-heron" in listing and "Rough evening" in listing
    assert page_text(helper.get(f"/support/{request_id}")).count("Accept and start") == 1

    response = _post(helper, f"/support/{request_id}/accept")
    assert response.status_code == 302
    room_path = response.headers["Location"]
    assert room_path.startswith("/rooms/support-")
    slug = room_path.rsplit("/", 1)[1]

    late = _client(app, moderator)
    response = _post(late, f"/support/{request_id}/accept")
    assert response.headers["Location"].endswith("/support/requests")
    assert "Someone else is already with them" in page_text(late.get("/support/requests"))

    status = asker.get(f"/support/{request_id}/status").get_json()
    assert status["status"] == "accepted" and status["room_url"] == room_path
    waiting = page_text(asker.get(f"/support/{request_id}"))
    assert "sam-lantern is with you now." in waiting and room_path in waiting
    for client in (asker, helper):
        assert "Private conversation" in page_text(client.get(room_path))
    third = _client(app, second_member)
    assert third.get(room_path).status_code == 404
    assert late.get(room_path).status_code == 404
    assert slug not in third.get("/rooms").get_data(as_text=True)
    assert slug not in helper.get("/rooms").get_data(as_text=True)
    assert third.get(f"/support/{request_id}").status_code == 404
    assert third.get(f"/support/{request_id}/status").status_code == 404

    assert "End the conversation" in page_text(helper.get("/support/requests"))
    response = _post(asker, f"/support/{request_id}/close", f"/support/{request_id}")
    assert response.status_code == 302
    assert "This conversation has ended." in page_text(asker.get(f"/support/{request_id}"))
    assert "This room is closed right now." in page_text(helper.get(room_path))


@pytest.mark.parametrize("persona", ["member", "second_member"])
def test_members_have_no_requests_page_or_duty(app, persona, request):
    client = _client(app, request.getfixturevalue(persona))
    assert client.get("/support/requests").status_code == 404
    token = csrf_from(client, "/")
    assert client.post("/support/duty", data={"csrf_token": token, "on": "1"}).status_code == 404


@pytest.mark.parametrize("persona", ["facilitator", "moderator", "trained_moderator", "admin"])
def test_supporters_go_on_duty_and_get_the_live_script(app, persona, request, member):
    user = request.getfixturevalue(persona)
    client = _client(app, user)
    page = page_text(client.get("/support/requests"))
    assert "You are off duty." in page and "Go on duty" in page
    assert "support-alerts" not in page_text(client.get("/"))
    token = csrf_from(client, "/support/requests")
    assert client.post("/support/duty", data={"csrf_token": token, "on": "1"}).status_code == 302
    home = page_text(client.get("/"))
    assert "js/support.js" in home and "support-alerts" in home
    request_id = _request_id(_press(_client(app, member)))
    assert f'action="/support/{request_id}/accept"' in page_text(client.get("/support/requests"))


def test_members_get_the_live_script_on_support_pages_only(app, member):
    client = _client(app, member)
    assert "js/support.js" not in page_text(client.get("/"))
    page = page_text(client.get(f"/support/{_request_id(_press(client))}"))
    assert "js/support.js" in page and 'data-request="' in page


def test_requests_are_rate_limited(app_config, member):
    from forum import create_app

    app_config["SUPPORT_RATE_LIMIT"] = "2 per minute"
    application = create_app(app_config)
    with application.app_context():
        client = application.test_client()
        login(client, member)
        for _ in range(2):
            assert _press(client).status_code == 302
        limited = _press(client)
        assert limited.status_code == 429
        assert "Too many tries" in page_text(limited)


def test_export_includes_requests(app, member):
    client = _client(app, member)
    _request_id(_press(client, "Need a chat"))
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert [(r["status"], r["note"]) for r in data["support_requests"]] == [("open", "Need a chat")]


@pytest.mark.parametrize("posts", ["delete", "keep"])
def test_deleting_the_account_erases_requests_and_their_room(app, member, facilitator, posts,
                                                             screener):
    on_duty(facilitator)
    client = _client(app, member)
    request_id = _request_id(_press(client, "Need a chat"))
    room = support.room_of(support.check_accept(request_id, acting_user=facilitator))
    chat.check_send(room, "I'm here with you", "m-1", acting_user=facilitator)
    chat.check_send(room, "Thank you", "m-2", acting_user=member)
    room_slug, member_id = room.slug, member.id
    token = csrf_from(client, "/account")
    response = client.post("/account/delete", data={"csrf_token": token, "password": PASSWORD,
                                                     "posts": posts, "confirm": "y"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0
    assert db.session.scalar(select(Room).where(Room.slug == room_slug)) is None
    assert db.session.scalar(select(func.count(ChatMessage.id))) == 0
    assert support.conversations_of(facilitator) == []


def test_held_note_is_reviewed_then_shown_to_supporters(app, member, facilitator,
                                                        trained_moderator, screener):
    from forum.services import review_queue

    on_duty(facilitator)
    client = _client(app, member)
    request_id = _request_id(_press(client, "my number is [[hold:pii]]"))
    helper = _client(app, facilitator)
    assert "my number is" not in page_text(helper.get("/support/requests"))
    item = review_queue.item_for(support.NOTE_KIND, request_id)
    reviewer = _client(app, trained_moderator)
    review_page = page_text(reviewer.get(f"/review/{item.id}"))
    assert "Note to a peer supporter" in review_page and "my number is" in review_page
    token = csrf_from(reviewer, f"/review/{item.id}")
    assert reviewer.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "approve", "reason": "fine",
        "followup_needed": "no"}).status_code == 302
    assert "my number is" in page_text(helper.get("/support/requests"))


def test_logs_carry_ids_not_the_note(app, member, facilitator, caplog):
    import logging

    on_duty(facilitator)
    caplog.set_level(logging.INFO, logger="forum")
    client = _client(app, member)
    request_id = _request_id(_press(client, "private words about my evening"))
    support.check_accept(request_id, acting_user=facilitator)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"request_id={request_id}" in logged
    assert "private words" not in logged and member.pseudonym not in logged


def test_waiting_requests_stay_in_the_supporters_header(app, member, second_member,
                                                        facilitator):
    on_duty(facilitator)
    helper = _client(app, facilitator)
    assert "hidden" in _alerts_tag(page_text(helper.get("/")))
    request_id = _request_id(_press(_client(app, member)))
    for path in ("/", "/crisis", "/rooms"):
        page = page_text(helper.get(path))
        assert "hidden" not in _alerts_tag(page), path
        assert f'data-id="{request_id}"' in page
        assert "steady-heron would like to talk now" in page
        assert f'href="/support/{request_id}"' in page
    # Members never get the supporters' header.
    assert "support-alerts" not in page_text(_client(app, second_member).get("/"))


def test_a_member_pressing_accept_gets_not_found_and_nothing_changes(app, member,
                                                                     second_member, facilitator):
    on_duty(facilitator)
    request_id = _request_id(_press(_client(app, member)))
    other = _client(app, second_member)
    response = _post(other, f"/support/{request_id}/accept", page="/account")
    assert response.status_code == 404
    assert db.session.get(SupportRequest, request_id).status == "open"


# What the pages say about who is on duty, as it is at that moment.


def test_nobody_on_duty_is_said_at_once_with_the_lines_first(app, member, moderator):
    client = _client(app, member)
    ask = page_text(client.get("/support"))
    assert NOBODY in ask and "No shift is scheduled right now." in ask
    assert ask.index(NOBODY) < ask.index("988 Suicide & Crisis Lifeline") < ask.index(
        "Send my request")
    request_id = _request_id(_press(client))
    page = page_text(client.get(f"/support/{request_id}"))
    box = _nobody_box(page)
    # Shown now, not after 3 minutes, and before everything else on the page.
    assert "hidden" not in box[:box.index(">")]
    assert "988 Suicide & Crisis Lifeline" in box and "Never Use Alone" in box
    assert "No shift is scheduled right now." in box
    assert "whoever comes on duty will see it" in box
    assert page.index(NOBODY) < page.index('class="support-state"')
    assert "We are letting" not in page
    assert "No moderator is on duty right now." in page  # the header agrees
    assert "Withdraw my request" in page
    # The request stays open for whoever comes on duty.
    assert db.session.get(SupportRequest, request_id).status == "open"
    on_duty(moderator)
    helper = page_text(_client(app, moderator).get("/support/requests"))
    assert f'action="/support/{request_id}/accept"' in helper
    assert "1 peer supporter is on duty now" in page_text(client.get(f"/support/{request_id}"))


def test_a_supporter_asking_does_not_count_themself(app, facilitator):
    on_duty(facilitator)
    client = _client(app, facilitator)
    assert NOBODY in page_text(client.get("/support"))
    page = page_text(client.get(f"/support/{_request_id(_press(client))}"))
    assert NOBODY in page and "1 peer supporter" not in page


def test_suspended_supporters_on_duty_are_not_counted(app, member, facilitator):
    on_duty(facilitator)
    facilitator.suspended_until = support.clock.now() + timedelta(days=1)
    db.session.commit()
    assert NOBODY in page_text(_client(app, member).get("/support"))


def test_one_and_several_supporters_on_duty_are_counted(app, member, facilitator, moderator,
                                                        fake_clock):
    client = _client(app, member)
    on_duty(facilitator)
    assert "1 peer supporter is on duty now." in page_text(client.get("/support"))
    on_duty(moderator)
    assert "2 peer supporters are on duty now." in page_text(client.get("/support"))
    request_id = _request_id(_press(client))
    page = page_text(client.get(f"/support/{request_id}"))
    assert "2 peer supporters are on duty now. We are letting them know." in page
    assert NOBODY not in page
    # The 3-minute fallback stays for when people are on duty but nobody answers.
    assert not _fallback_shown(page)
    fake_clock.advance(seconds=180)
    assert _fallback_shown(page_text(client.get(f"/support/{request_id}")))


def test_the_next_shift_is_named_in_the_members_time_zone(app, member, admin):
    zone = "America/Los_Angeles"
    accounts.set_preferences(member, locale="en", timezone=zone)
    start = (support.clock.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0,
                                                              microsecond=0)
    duty.check_add_shift(start, start + timedelta(hours=8), moderator=None, acting_user=admin)
    local = start.astimezone(ZoneInfo(zone)).strftime(WHEN_FORMAT)
    client = _client(app, member)
    ask = page_text(client.get("/support"))
    assert f"The next shift starts {local} ({zone})." in ask
    page = page_text(client.get(f"/support/{_request_id(_press(client))}"))
    assert f"The next shift starts {local} ({zone})." in _nobody_box(page)
    # The header names the same zone, not UTC.
    assert f"The next shift starts {local} ({zone})." in page[:page.index("</header>") + 400]


def test_the_duty_text_is_in_spanish(app, member, facilitator):
    client = _client(app, member)
    ask = page_text(client.get("/support", headers=SPANISH))
    assert "Ahora mismo no hay ningún compañero de apoyo de guardia" in ask
    assert "Enviar mi petición" in ask
    on_duty(facilitator)
    page = page_text(client.get(f"/support/{_request_id(_press(client))}", headers=SPANISH))
    assert "1 compañero de apoyo está de guardia ahora." in page
