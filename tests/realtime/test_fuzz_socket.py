"""Random payloads to every /chat event and to the /mod handshake: always an ack, never a crash.

Every /chat event handler is fuzzed (the list is read from the Socket.IO server, so a new event
without a case fails). An error ack has the documented shape and is never `server_error` (an
exception the handler caught); the connection stays up; a refused event writes nothing. The
facilitator tools are sent by a facilitator, so the payload reaches the tool's own checks (a
member's are refused before that), with real member and message ids among the hostile values.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from forum.extensions import socketio
from forum.services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from tests.conftest import login
from tests.fixtures.chat import connect, emit, make_room
from tests.fixtures.fuzz import EXAMPLES, json_values, row_counts, values
from tests.fixtures.rooms import knock_token

MEMBER_EVENTS = {"join": ("room",), "leave": ("room",), "send": ("room", "client_id", "text"),
                 "sync": ("room", "after_id"), "delete": ("id",)}
# The facilitator tools (forum/realtime/room_controls.py), with every key they read.
TOOLS = {"room_open": ("room",), "room_close": ("room",), "room_lock": ("room",),
         "room_unlock": ("room",), "waiting_room": ("room", "on"),
         "slow_mode": ("room", "seconds"), "end_meeting": ("room",),
         "pin": ("room", "message_id"), "unpin": ("room",), "admit": ("room", "token"),
         "decline": ("room", "token"), "mute": ("room", "user", "message_id", "minutes"),
         "remove": ("room", "user", "message_id"), "announce": ("room", "text", "client_id")}
FIELDS = {**MEMBER_EVENTS, **TOOLS}
ROOM = "coffee-room"

field_value = st.one_of(st.just(ROOM), values, json_values, st.integers(), st.booleans(),
                        st.integers(min_value=0, max_value=10))


def _shown(text: str) -> str:
    """A refused text as the ack returns it: cut to a message's length, lone surrogates
    replaced, so the ack can always be encoded."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text[:chat.TEXT_MAX])


def payloads(event: str, known=None):
    """Anything at all, or the event's own keys (some missing) with hostile values (known ids
    of members and messages among them), often aimed at the real room so the event's own
    checks are reached."""
    keys = FIELDS[event]
    value = field_value if known is None else field_value | known
    shaped = st.fixed_dictionaries({}, optional={k: value for k in keys})
    full = st.fixed_dictionaries({k: value for k in keys})
    if "room" not in keys:
        return st.one_of(json_values, shaped, full)
    aimed = st.fixed_dictionaries({"room": st.just(ROOM)},
                                  optional={k: value for k in keys if k != "room"})
    return st.one_of(json_values, shaped, full, aimed, aimed)


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    mine = {case: n for case, n in EXAMPLES.items() if " " in case}  # "/chat send", not a path
    print(f"\n[fuzz] socket: cases={len(mine)} examples={sum(mine.values())}")


def test_every_chat_event_is_fuzzed(app):
    handlers = set(socketio.server.handlers["/chat"]) - {"connect", "disconnect"}
    assert handlers == set(FIELDS), f"add fuzz cases for {sorted(handlers - set(FIELDS))}"


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_chat_event_answers_every_payload_with_an_ack(app, make_user, member, second_member,
                                                      facilitator, event):
    room = make_room(ROOM)
    make_room("night-room", "Night room", always_open=False)
    tool = event in TOOLS
    sock = connect(app, facilitator if tool else member)
    # Something to delete, pin and sync past: a message by someone else.
    other = connect(app, second_member)
    assert emit(other, "join", {"room": ROOM})["ok"]
    sent = emit(other, "send", {"room": ROOM, "client_id": "c-1", "text": "Hello"})
    assert sent["ok"]
    known = None
    if tool:
        # Two members at the door, for admit and decline.
        room_controls.check_waiting_room(room, True, acting_user=facilitator)
        knockers = [make_user(name) for name in ("knocking-ash", "knocking-bay")]
        for knocker in knockers:
            assert room_entry.check_enter(room, acting_user=knocker).waiting
        room_controls.check_waiting_room(room, False, acting_user=facilitator)
        known = st.sampled_from([sent["message"]["id"], second_member.id, member.id,
                                 facilitator.id, *(k.id for k in knockers),
                                 *(knock_token(room, k) for k in knockers)])

    @given(payloads(event, known))
    def send(payload):
        EXAMPLES[f"/chat {event}"] += 1
        if not chat.is_open(room):  # closed or ended by an earlier example
            room_controls.check_open(room, acting_user=facilitator)
        assert emit(sock, "join", {"room": ROOM})["ok"]
        before = row_counts()
        ack = emit(sock, event, payload)
        assert sock.is_connected("/chat"), (event, payload)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, payload, ack)
        if not ack["ok"]:
            assert set(ack) == {"ok", "error", "message", "text"}, ack
            assert ack["error"] != "server_error", (event, payload)
            assert isinstance(ack["message"], str) and ack["message"]
            sent = payload.get("text") if isinstance(payload, dict) else None
            assert ack["text"] == (_shown(sent) if isinstance(sent, str) else None)
            after = row_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, f"{event} refused {payload!r} but wrote {changed}"
        sock.get_received("/chat")

    send()


def test_mod_handshake_ignores_any_auth_payload(app, member, moderator):
    # /mod has no events of its own: its one input is the handshake's auth payload.
    members_http, moderators_http = app.test_client(), app.test_client()
    login(members_http, member)
    login(moderators_http, moderator)

    # The protocol's CONNECT payload is an object (or nothing); python-socketio's own packet
    # parser is not ours to fuzz.
    @given(st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=4))
    def handshake(auth):
        EXAMPLES["/mod connect"] += 1
        refused = socketio.test_client(app, namespace="/mod", auth=auth,
                                       flask_test_client=members_http)
        assert not refused.is_connected("/mod")
        allowed = socketio.test_client(app, namespace="/mod", auth=auth,
                                       flask_test_client=moderators_http)
        assert allowed.is_connected("/mod")
        allowed.disconnect("/mod")

    handshake()
