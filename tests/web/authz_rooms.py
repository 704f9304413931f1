"""The matrix's meeting, support request and check-in objects, and the walk of the facilitator
tools on /chat: the objects are made through the services, the events are sent in a meeting's
room whose host is the facilitator persona, so the host rule decides the facilitator's rows;
then again in an anonymous room, which only moderators and admins host, naming members by
knock token and message id. Whatever a persona receives there is scanned for account ids."""

from __future__ import annotations

from datetime import timedelta

from forum.services import clock
from forum.services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from forum.services.meetings import schedule as meetings
from forum.services.review import duty
from forum.services.support import requests as support
from tests.e2e.privacy_scan import account_ids_in
from tests.fixtures.chat import make_room
from tests.fixtures.meetings import meeting_data, running_meeting_data
from tests.fixtures.rooms import knock_token

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
    _build_anonymous_room(world, make_user)

    asker = make_user("needs-a-listener")
    request = support.check_open("Rough evening, could use a friendly voice.",
                                 acting_user=asker).request
    duty.check_set_duty(True, acting_user=users["facilitator"])
    world.ids.update(
        meeting_id=meeting.id, meeting_room=room.slug, meeting_message=message.id,
        inside_id=inside.id, admit_token=knock_token(room, admit_me),
        decline_token=knock_token(room, decline_me), request_id=request.id,
    )


def _build_anonymous_room(world, make_user) -> None:
    """An anonymous room (always open): a member inside with a message, two knocking; the
    waiting room is then turned off so each persona comes straight in."""
    room = make_room(ANONYMOUS_ROOM, "Matrix quiet corner", anonymous=True)
    inside, admit_me, decline_me = (make_user(name) for name in
                                    ("corner-regular", "corner-ash", "corner-bay"))
    room_entry.check_enter(room, acting_user=inside)
    message = chat.check_send(room, "Glad this room is here.",
                              "0f6d1c8e-2a11-4c55-9a51-000000000003", acting_user=inside).message
    host = world.users["moderator"]
    room_controls.check_waiting_room(room, True, acting_user=host)
    for knocker in (admit_me, decline_me):
        assert room_entry.check_enter(room, acting_user=knocker).waiting
    room_controls.check_waiting_room(room, False, acting_user=host)
    world.ids.update(
        anonymous_message=message.id, anonymous_admit_token=knock_token(room, admit_me),
        anonymous_decline_token=knock_token(room, decline_me),
        anonymous_people=[inside.id, admit_me.id, decline_me.id],
    )


ROOM_EVENTS = ("slow_mode", "waiting_room", "room_lock", "room_unlock", "pin", "unpin",
               "announce", "admit", "decline", "mute", "remove", "room_close", "room_open",
               "end_meeting")
ANONYMOUS_ROOM = "matrix-quiet-corner"
# The matrix's keys for the walk in the anonymous room: "/chat <event> in an anonymous room".
IN_ANONYMOUS_ROOM = "in an anonymous room"


def anonymous_room_keys() -> list[str]:
    """The matrix rows of the anonymous room's walk (events that also have their own row)."""
    return [f"/chat {event} {IN_ANONYMOUS_ROOM}" for event in ("join", *ROOM_EVENTS)]


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
        ("admit", {"token": ids["admit_token"]}),
        ("decline", {"token": ids["decline_token"]}),
        ("mute", {"user": ids["inside_id"], "minutes": 5}),
        ("remove", {"user": ids["inside_id"]}),
        ("room_close", {}),
        ("room_open", {}),
        ("end_meeting", {}),
    ]


# The same session in the anonymous room: members named by knock token and message id only.
def _anonymous_steps(ids: dict) -> list[tuple[str, dict]]:
    message = {"message_id": ids["anonymous_message"]}
    return [
        ("slow_mode", {"seconds": 10}),
        ("waiting_room", {"on": False}),
        ("room_lock", {}),
        ("room_unlock", {}),
        ("pin", message),
        ("unpin", {}),
        ("announce", {"text": "Welcome to the quiet corner.",
                      "client_id": CLIENT_ID.replace("beef", "cafe")}),
        ("admit", {"token": ids["anonymous_admit_token"]}),
        ("decline", {"token": ids["anonymous_decline_token"]}),
        ("mute", {**message, "minutes": 5}),
        ("remove", message),
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


def walk_anonymous_room(sock, world, ack_outcome) -> dict[str, str]:
    """Join the anonymous room and use every facilitator tool there, for one persona; every
    ack and event the persona got in the room names no account (AssertionError otherwise)."""
    ids = world.ids
    sock.get_received("/chat")  # what the meeting room's walk left behind
    got = []

    def send(event: str, payload: dict) -> str:
        ack = sock.emit(event, {"room": ANONYMOUS_ROOM, **payload}, namespace="/chat",
                        callback=True)
        got.append(ack)
        return ack_outcome(ack)

    seen = {f"/chat join {IN_ANONYMOUS_ROOM}": send("join", {})}
    for event, payload in _anonymous_steps(ids):
        seen[f"/chat {event} {IN_ANONYMOUS_ROOM}"] = send(event, payload)
    got += [(r["name"], r["args"]) for r in sock.get_received("/chat")]
    accounts = {*ids["anonymous_people"], *(u.id for u in world.users.values())}
    leaks = account_ids_in(got, accounts)
    assert not leaks, f"account ids in the anonymous room: {leaks}"
    return seen
