"""The rooms pages: the list, a room's page (log, form, presence, privacy), front page links."""

from __future__ import annotations

from tests import chat_support
from tests.conftest import login, page_text

room = chat_support.room


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
    from forum.services import sanctions

    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    login(client, member)
    html = client.get("/rooms/coffee-room").get_data(as_text=True)
    assert 'class="chat-form"' not in html
