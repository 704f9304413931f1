"""The waiting room and slow mode against a served forum, with real python-socketio clients
logged in through the real form (the demo community's accounts)."""

from __future__ import annotations

import http.cookiejar
import queue
import re
import urllib.parse
import urllib.request

import pytest

from tests.e2e.flows import DEMO_PASSWORD
from tests.livesrv import live_forum

# Starts the forum in a subprocess on SQLite: run once, not again per database.
pytestmark = pytest.mark.live

ROOM = "coffee-room"
EVENTS = ("knock", "knock_resolved", "admitted", "room_state", "message")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One served forum for this module."""
    with live_forum(tmp_path_factory.mktemp("rooms-live")) as base:
        yield base


def _session_cookie(base: str, pseudonym: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"pseudonym": pseudonym, "password": DEMO_PASSWORD,
                                   "csrf_token": token}).encode()
    opener.open(base + "/login", data=form, timeout=10)
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookies or "remember_token=" in cookies, "login failed"
    return cookies


class Person:
    """A logged-in python-socketio client that records the room events it receives."""

    def __init__(self, base: str, pseudonym: str):
        import socketio

        self.client = socketio.Client(reconnection=False)
        self.got: dict[str, queue.Queue] = {name: queue.Queue() for name in EVENTS}
        for name in EVENTS:
            self.client.on(name, self.got[name].put, namespace="/chat")
        self.client.connect(base, namespaces=["/chat"], transports=["websocket"],
                            headers={"Cookie": _session_cookie(base, pseudonym)},
                            wait_timeout=10)

    def call(self, event: str, data: dict) -> dict:
        """Emit and wait for the ack."""
        return self.client.call(event, data, namespace="/chat", timeout=10)

    def next(self, name: str) -> dict:
        """The next event of this name (waits up to 10 s)."""
        return self.got[name].get(timeout=10)

    def none(self, name: str) -> bool:
        """True when no event of this name arrived within a short wait."""
        try:
            self.got[name].get(timeout=1)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()


def test_waiting_room_and_slow_mode_live(served):
    host, inside, knocker = (Person(served, "sam-lantern"), Person(served, "morning-cedar"),
                             Person(served, "steady-heron"))
    try:
        assert host.call("join", {"room": ROOM})["facilitator"] is True
        assert inside.call("join", {"room": ROOM})["ok"]
        ack = host.call("waiting_room", {"room": ROOM, "on": True})
        assert ack["ok"] and ack["controls"]["waiting_room"] is True
        assert inside.next("room_state")["waiting_room"] is True

        # The member knocks: the host hears it, the member already inside does not.
        assert knocker.call("join", {"room": ROOM}) == {"ok": True, "room": ROOM,
                                                        "waiting": True}
        knock = host.next("knock")
        assert knock["pseudonym"] == "steady-heron" and knock["room"] == ROOM
        assert inside.none("knock")
        refused = knocker.call("send", {"room": ROOM, "client_id": "k-0", "text": "hello?"})
        assert refused["error"] == "not_joined" and refused["text"] == "hello?"

        assert "user" not in knock  # a token, never an account id
        assert host.call("admit", {"room": ROOM, "token": knock["token"]})["ok"]
        assert knocker.next("admitted") == {"room": ROOM}
        assert host.next("knock_resolved")["admitted"] is True
        assert inside.none("admitted")
        joined = knocker.call("join", {"room": ROOM})
        assert joined["ok"] and "history" in joined and not joined.get("waiting")

        # Slow mode: one message per 20 seconds for members; the host is exempt.
        assert host.call("slow_mode", {"room": ROOM, "seconds": 20})["controls"]["slow_mode"] == 20
        assert knocker.next("room_state")["slow_mode"] == 20
        first = knocker.call("send", {"room": ROOM, "client_id": "s-1", "text": "Hi all"})
        assert first["ok"] and first["state"] == "published"
        assert inside.next("message")["client_id"] == "s-1"
        too_soon = knocker.call("send", {"room": ROOM, "client_id": "s-2", "text": "Me again"})
        assert too_soon["ok"] is False and too_soon["error"] == "slow_mode"
        assert too_soon["text"] == "Me again" and 0 < too_soon["retry_after"] <= 20
        assert inside.none("message")  # the refused message reached nobody
        for i in range(2):
            assert host.call("send", {"room": ROOM, "client_id": f"h-{i}",
                                      "text": f"Host note {i}"})["ok"]
    finally:
        for person in (host, inside, knocker):
            person.close()


def test_back_to_back_sends_are_handled_in_the_order_sent(served):
    """A connection's events run one after another as they arrive: ten sends emitted without
    waiting are stored and broadcast in the order the member wrote them."""
    room = "night-owls"
    writer, reader = Person(served, "morning-cedar"), Person(served, "steady-heron")
    try:
        for person in (writer, reader):
            assert person.call("join", {"room": room})["ok"]
        acks: queue.Queue = queue.Queue()
        for i in range(10):
            writer.client.emit("send", {"room": room, "client_id": f"o-{i}",
                                        "text": f"Line {i} of my share"}, namespace="/chat",
                               callback=lambda answer, i=i: acks.put((i, answer)))
        answers = dict(acks.get(timeout=10) for _ in range(10))
        assert all(answers[i]["ok"] for i in range(10)), answers
        ids = [answers[i]["message"]["id"] for i in range(10)]
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert [reader.next("message")["client_id"] for _ in range(10)] == \
            [f"o-{i}" for i in range(10)]
    finally:
        for person in (writer, reader):
            person.close()
