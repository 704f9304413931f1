"""Random payloads to every /chat event and to the /mod handshake: always an ack, never a crash.

Every /chat event handler is fuzzed (the list is read from the Socket.IO server, so a new event
without a case fails). An error ack has the documented shape and is never `server_error` (an
exception the handler caught); the connection stays up; a refused event writes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forum.extensions import socketio
from tests.chat_support import connect, emit, make_room
from tests.conftest import login
from tests.fuzz_support import EXAMPLES, json_values, row_counts, values

FIELDS = {"join": ("room",), "leave": ("room",), "send": ("room", "client_id", "text"),
          "sync": ("room", "after_id"), "delete": ("id",)}
ROOM = "coffee-room"

field_value = st.one_of(st.just(ROOM), values, json_values, st.integers())


def payloads(event: str):
    """Anything at all, or the event's own keys (some missing) with hostile values."""
    keys = FIELDS[event]
    shaped = st.fixed_dictionaries({}, optional={k: field_value for k in keys})
    full = st.fixed_dictionaries({k: field_value for k in keys})
    return st.one_of(json_values, shaped, full)


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    print(f"\n[fuzz] socket: cases={len(EXAMPLES)} examples={sum(EXAMPLES.values())}")


def test_every_chat_event_is_fuzzed(app):
    handlers = set(socketio.server.handlers["/chat"]) - {"connect", "disconnect"}
    assert handlers == set(FIELDS), f"add fuzz cases for {sorted(handlers - set(FIELDS))}"


@pytest.mark.parametrize("event", sorted(FIELDS))
def test_chat_event_answers_every_payload_with_an_ack(app, member, second_member, event):
    make_room(ROOM)
    make_room("night-room", "Night room", always_open=False)
    sock = connect(app, member)
    # Something to delete and to sync past: a message by someone else.
    other = connect(app, second_member)
    assert emit(other, "join", {"room": ROOM})["ok"]
    assert emit(other, "send", {"room": ROOM, "client_id": "c-1", "text": "Hello"})["ok"]

    @given(payloads(event))
    def send(payload):
        EXAMPLES[f"/chat {event}"] += 1
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
            assert ack["text"] == (sent if isinstance(sent, str) else None)
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
