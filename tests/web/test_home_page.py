"""The home page: the first-visit welcome and hiding it, meetings one tap from their room,
room counts without names, boards with what is new, anonymity kept, English and Spanish."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import User
from forum.services import clock, presence
from forum.services.chat import messages as chat
from forum.services.support import requests as support
from tests.conftest import csrf_from, login, page_text
from tests.fixtures import (
    chat as chat_support,
    meetings as meetings_support,
    threads as threads_support,
)
from tests.fixtures.talk import on_duty
from tests.fixtures.threads import client_for, new_reply, new_thread

board = threads_support.board
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _main(response) -> str:
    """What the page itself says, without the header and footer every page shares."""
    text = page_text(response)
    return text[text.index('<main'):text.index("</main>")]


def _welcome_shown(response) -> bool:
    return 'id="welcome-heading"' in response.get_data(as_text=True)


def test_a_visitor_is_welcomed_with_what_this_place_is(client):
    response = client.get("/")
    main = _main(response)
    assert _welcome_shown(response)
    assert "complements professional care" in main
    assert "pseudonym" in main and "Anonymous member" in main
    assert "We never ask for your real name or email, and we store no IP address." in main
    assert 'href="/guidelines"' in main and 'href="/crisis"' in main
    assert 'href="/signup"' in main
    assert "welcome/dismiss" not in main  # nothing to hide for visitors: there is no account
    # The page leads with the welcome, not with who is on duty.
    assert main.index("<h1") < main.index("<h2") and "moderator is on duty" not in main


def test_a_member_hides_the_welcome_with_a_csrf_checked_form_and_it_stays_hidden(
        app, client, member):
    login(client, member)
    assert _welcome_shown(client.get("/"))
    refused = client.post("/welcome/dismiss", data={})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).welcome_dismissed_at is None
    token = csrf_from(client, "/")
    response = client.post("/welcome/dismiss", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    home = client.get("/")
    assert not _welcome_shown(home)
    assert f"Welcome back, {member.pseudonym}" in page_text(home)
    # Another device, another session: still hidden, for this account only.
    assert not _welcome_shown(client_for(app, member).get("/"))
    assert _welcome_shown(app.test_client().get("/"))


def test_visitors_cannot_dismiss(client):
    token = csrf_from(client, "/login")
    response = client.post("/welcome/dismiss", data={"csrf_token": token})
    assert response.status_code in (302, 401) and "/login" in response.headers["Location"]


@pytest.fixture
def soon_meeting(app, facilitator):
    """A one-off meeting by the real clock, starting in five minutes: its room is open."""
    start = clock.now() + timedelta(minutes=5)
    return meetings_support.schedule(
        facilitator, title="Starting-soon circle", start_date=start.date().isoformat(),
        start_time=start.strftime("%H:%M"), timezone="UTC", duration="60",
        recurrence="once", weekdays=[])


def test_a_member_joins_a_meeting_in_one_tap_and_a_visitor_is_asked_to_log_in(
        app, client, member, soon_meeting):
    room = f"/rooms/{soon_meeting.room.slug}"
    html = client.get("/").get_data(as_text=True)
    assert "Starting-soon circle" in html and re.search(r"Starting in [45] minutes", html)
    assert f'href="/login?next={room}"' in html
    assert f'href="{room}"' not in html
    mine = client_for(app, member).get("/").get_data(as_text=True)
    assert re.search(rf'<a class="button home-join" href="{room}"[^>]*>Join now</a>', mine)
    assert client_for(app, member).get(room).status_code == 200


def test_times_are_in_the_members_zone(app, member, soon_meeting):
    member.timezone = "Asia/Tokyo"
    db.session.commit()
    page = page_text(client_for(app, member).get("/"))
    assert "Times in Asia/Tokyo." in page
    start = soon_meeting.start_time.strftime("%H:%M")
    tokyo = f"{(int(start[:2]) + 9) % 24:02d}:{start[3:]}"
    assert tokyo in page


def test_rooms_show_how_many_but_never_who_and_no_support_room(
        app, member, second_member, facilitator):
    chat_support.make_room()
    anon = chat_support.make_room("anonymous-share", "Anonymous share", anonymous=True)
    sitting = chat_support.connect(app, member)  # a real member, sitting in the room
    assert chat_support.emit(sitting, "join", {"room": "coffee-room"})["ok"]
    presence.join(chat.room_audience(anon), "sid-2")
    presence.join(chat.room_audience(anon), "sid-3")
    on_duty(facilitator)
    request = support.check_open(acting_user=member).request
    private = support.room_of(support.check_accept(request.id, acting_user=facilitator))
    presence.join(chat.room_audience(private), "sid-4")
    for viewer in (second_member, facilitator):
        main = _main(client_for(app, viewer).get("/"))
        assert "1 person here now" in main and "2 people here now" in main
        assert private.slug not in main
        # The count only: no one in the room is named.
        assert member.pseudonym not in main
    assert private.slug not in _main(client_for(app, member).get("/"))
    spanish = _main(app.test_client().get("/", headers=SPANISH))
    assert "1 persona aquí ahora" in spanish and "2 personas aquí ahora" in spanish


def test_boards_show_what_is_new_and_the_latest_activity(app, board, member, second_member):
    thread = new_thread(board, second_member, title="Evening walk").post.thread
    new_reply(thread, second_member, "And back again.")
    main = _main(client_for(app, member).get("/"))
    assert "1 thread with new posts" in main
    assert re.search(r"Last post (just now|1 minute ago)", main)
    assert f'href="/t/{thread.id}"' in main and "Evening walk" in main
    client = client_for(app, member)
    client.get(f"/t/{thread.id}")
    assert "thread with new posts" not in _main(client.get("/"))
    visitor = _main(app.test_client().get("/", headers=SPANISH))
    assert re.search(r"Último mensaje (hace un momento|hace 1 minuto)", visitor)
    assert "con mensajes nuevos" not in visitor  # visitors have nothing unread


@pytest.mark.parametrize("viewer", ["visitor", "second_member", "admin"])
def test_the_anonymous_author_is_never_named_in_latest_activity(app, board, member, request,
                                                                 viewer):
    thread = new_thread(board, member, title="Said without my name", anonymous=True).post.thread
    new_reply(thread, member, "And once more, still without it.", anonymous=True)
    client = app.test_client() if viewer == "visitor" else client_for(
        app, request.getfixturevalue(viewer))
    main = _main(client.get("/"))
    assert "Said without my name" in main
    assert member.pseudonym not in main
    assert f'href="/t/{thread.id}"' in main


def test_the_home_in_spanish(app, member):
    visitor = _main(app.test_client().get("/", headers=SPANISH))
    for text in ("Te damos la bienvenida", "Apoyo entre pares.", "Normas de la comunidad",
                 "Recursos de crisis y tratamiento", "Próximas reuniones", "Salas de chat"):
        assert text in visitor, text
    member.locale = "es"
    db.session.commit()
    client = client_for(app, member)
    assert "Entendido, ocultar" in _main(client.get("/"))
    client.post("/welcome/dismiss", data={"csrf_token": csrf_from(client, "/")})
    assert f"Hola de nuevo, {member.pseudonym}" in _main(client.get("/"))
