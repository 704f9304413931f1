"""The rooms pages: the list, a room's page (log, form, presence, privacy), front page links."""

from __future__ import annotations

from tests.conftest import login, page_text
from tests.fixtures import chat as chat_support, rooms as room_support

room = chat_support.room
meeting_room = room_support.meeting_room


def test_rooms_list_links_each_room(client, room):
    response = client.get("/rooms")
    assert response.status_code == 200
    assert 'href="/rooms/coffee-room"' in response.get_data(as_text=True)
    assert "stays in the room" in page_text(response)


def test_front_page_links_rooms(client, room):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/rooms/coffee-room"' in html and 'href="/rooms"' in html


def test_room_page_needs_login(client, room):
    response = client.get("/rooms/coffee-room")
    assert response.status_code in (302, 401)


def test_room_page(client, room, member):
    login(client, member)
    response = client.get("/rooms/coffee-room")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'role="log"' in html
    assert 'data-room="coffee-room"' in html
    assert "What is said in the room stays in the room." in page_text(response)
    assert "js/chat.js" in html and "socket.io.min.js" in html
    assert "chat-presence" in html and 'class="chat-form"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_unknown_room_is_404(client, member):
    login(client, member)
    assert client.get("/rooms/nowhere").status_code == 404


def test_muted_member_sees_no_form(client, room, member, moderator):
    from forum.services.review import sanctions

    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    login(client, member)
    html = client.get("/rooms/coffee-room").get_data(as_text=True)
    assert 'class="chat-form"' not in html


def test_facilitator_sees_the_panel_and_members_do_not(client, app, room, member, facilitator):
    login(client, member)
    html = client.get("/rooms/coffee-room").get_data(as_text=True)
    assert "chat-panel" not in html and "chat-host.js" not in html
    assert 'data-facilitator="false"' in html
    host = app.test_client()
    login(host, facilitator)
    response = host.get("/rooms/coffee-room")
    html = response.get_data(as_text=True)
    assert "js/chat-host.js" in html and 'class="chat-panel panel"' in html
    for label in ("Lock the room (no one new can join)", "Waiting room (let members in one by one)",
                  "Slow mode", "Announcement to the room", "End the meeting"):
        assert label in page_text(response)
    assert '<label for="chat-slow-mode">' in html and 'id="chat-slow-mode"' in html
    assert '<label for="chat-announce-text">' in html and 'id="chat-announce-text"' in html
    assert "<script>" not in html


def test_room_page_shows_the_pinned_message(client, room, member, facilitator):
    from forum.services.chat import facilitation as room_controls, messages as chat

    message = chat.check_send(room, "Today's reading: **step one**", "p-1",
                              acting_user=member).message
    room_controls.check_pin(room, message.id, acting_user=facilitator)
    login(client, member)
    html = client.get("/rooms/coffee-room").get_data(as_text=True)
    pinned = html[html.index('class="chat-pinned"'):html.index('class="chat-log"')]
    assert "hidden" not in pinned.split(">")[0]
    assert "<strong>step one</strong>" in pinned


def test_closed_room_page_offers_a_facilitator_to_open_it(client, room, facilitator):
    from forum.services.chat import facilitation as room_controls

    room_controls.check_close(room, acting_user=facilitator)
    login(client, facilitator)
    response = client.get("/rooms/coffee-room")
    assert "This room is closed right now." in page_text(response)
    html = response.get_data(as_text=True)
    open_button = html[html.index('data-action="room_open"') - 60:html.index("Open the room")]
    assert "hidden" not in open_button


def test_a_knocking_member_does_not_see_the_pinned_message(client, meeting_room, member,
                                                           facilitator):
    from forum.services.chat import (
        entry as room_entry,
        facilitation as room_controls,
        messages as chat,
    )

    room_controls.check_open(meeting_room, acting_user=facilitator)
    message = chat.check_send(meeting_room, "Tonight's reading", "p-1",
                              acting_user=facilitator).message
    room_controls.check_pin(meeting_room, message.id, acting_user=facilitator)
    assert room_entry.check_enter(meeting_room, acting_user=member).waiting
    login(client, member)
    assert "Tonight's reading" not in page_text(client.get("/rooms/tuesday-circle"))
    (knock,) = room_entry.knocks(meeting_room)
    room_entry.check_admit(meeting_room, {"token": knock["token"]}, acting_user=facilitator)
    assert "Tonight's reading" in page_text(client.get("/rooms/tuesday-circle"))
