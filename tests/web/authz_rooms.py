"""The matrix's meeting, support request and check-in objects, and the walk of the facilitator
tools on /chat: the objects are made through the services, the events are sent in a meeting's
room whose host is the facilitator persona, so the host rule decides the facilitator's rows."""

from __future__ import annotations

from datetime import timedelta

from forum.services import chat, clock, duty, meetings, room_controls, room_entry
from forum.services import support_requests as support
from tests.meetings_support import meeting_data, running_meeting_data

CLIENT_ID = "5b0c3f7e-9d4e-4d7a-8f61-00000000beef"


def meeting_form_data() -> dict:
    """A weekly meeting from tomorrow, as the scheduling form posts it."""
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    return meeting_data(title="Matrix evening circle", start_date=tomorrow, timezone="UTC")


def build_rooms(world, make_user) -> None:
    """A running meeting hosted by the facilitator, with a message, two members knocking and one
    inside; a support request by a third member, waiting, with the facilitator on duty."""
    users = world.users
    meeting = meetings.check_schedule(running_meeting_data(title="Matrix circle"),
                                      acting_user=users["facilitator"])
    room = meeting.room
    inside, admit_me, decline_me = (make_user(name) for name in
                                    ("circle-regular", "knocking-ash", "knocking-bay"))
    room_entry.check_enter(room, acting_user=inside)
    message = chat.check_send(room, "Glad to be here.", "0f6d1c8e-2a11-4c55-9a51-000000000002",
                              acting_user=inside).message
    room_controls.check_waiting_room(room, True, acting_user=users["facilitator"])
    for knocker in (admit_me, decline_me):
        assert room_entry.check_enter(room, acting_user=knocker).waiting
    room_controls.check_waiting_room(room, False, acting_user=users["facilitator"])

    asker = make_user("needs-a-listener")
    request = support.check_open("Rough evening, could use a friendly voice.",
                                 acting_user=asker).request
    duty.check_set_duty(True, acting_user=users["facilitator"])
    world.ids.update(
        meeting_id=meeting.id, meeting_room=room.slug, meeting_message=message.id,
        inside_id=inside.id, admit_id=admit_me.id, decline_id=decline_me.id,
        request_id=request.id,
    )


ROOM_EVENTS = ("slow_mode", "waiting_room", "room_lock", "room_unlock", "pin", "unpin",
               "announce", "admit", "decline", "mute", "remove", "room_close", "room_open",
               "end_meeting")


# The facilitator tools in the order a session would use them; closing and ending come last.
def _steps(ids: dict) -> list[tuple[str, dict]]:
    return [
        ("slow_mode", {"seconds": 10}),
        ("waiting_room", {"on": False}),
        ("room_lock", {}),
        ("room_unlock", {}),
        ("pin", {"message_id": ids["meeting_message"]}),
        ("unpin", {}),
        ("announce", {"text": "Five minutes left, everyone.", "client_id": CLIENT_ID}),
        ("admit", {"user": ids["admit_id"]}),
        ("decline", {"user": ids["decline_id"]}),
        ("mute", {"user": ids["inside_id"], "minutes": 5}),
        ("remove", {"user": ids["inside_id"]}),
        ("room_close", {}),
        ("room_open", {}),
        ("end_meeting", {}),
    ]


def walk_room_controls(sock, world, ack_outcome) -> dict[str, str]:
    """Every facilitator tool in the meeting's room, after joining it, for one persona."""
    ids = world.ids
    slug = ids["meeting_room"]
    seen = {}
    joined = sock.emit("join", {"room": slug}, namespace="/chat", callback=True)
    assert ack_outcome(joined) == "ok", joined
    for event, payload in _steps(ids):
        ack = sock.emit(event, {"room": slug, **payload}, namespace="/chat", callback=True)
        seen[f"/chat {event}"] = ack_outcome(ack)
    return seen
