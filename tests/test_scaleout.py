"""Several forum processes behind one PostgreSQL and one Redis behave as one forum.

Two gunicorn processes on two loopback ports, real python-socketio clients on each: chat crosses
processes, a moderator's approval on one reaches the sender on the other, urgent alerts reach
on-duty moderators everywhere, presence is summed, a facilitator's removal takes the member out
of the room on whichever process holds them, a scheduled job runs once, and members of a
process killed with SIGKILL catch up on the survivor without loss or duplicates.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures import scaleout as so

pytestmark = [
    # Real HTTP and socket clients of servers that were killed leave sockets the garbage
    # collector closes; collect them here (see _collect) so they never surface elsewhere.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.services,
    pytest.mark.live,
    pytest.mark.skipif(not so.services_up() and not os.environ.get("CI"),
                       reason="PostgreSQL and Redis are not running"),
]
# One deployment serves the module (a fresh one costs about 35 s of CPU): each test has a room
# of its own, so presence counts, removals and message counts of one never reach another.
ROOM = "coffee-room"
REMOVAL_ROOM = "night-owls"
KILL_ROOM = "scaleout-kill-room"


@pytest.fixture(scope="module")
def _forum(tmp_path_factory):
    with so.deployment(tmp_path_factory.mktemp("scaleout"), "forum_scaleout") as (env, procs):
        # No service creates rooms (the demo seed adds its own the same way).
        _execute(env, "INSERT INTO rooms (slug, title, description, always_open, anonymous, "
                      "created_at) VALUES (:slug, 'Scale-out room', '', true, false, "
                      "CURRENT_TIMESTAMP)", slug=KILL_ROOM)
        yield env, procs


@pytest.fixture
def deployed(_forum):
    """The module's deployment with every process running: one a test killed starts again."""
    env, processes = _forum
    for process in processes:
        if process.proc.poll() is not None:
            process.start()
    yield env, processes
    so.close_sessions()


def _scalar(env, sql: str, **params):
    engine = create_engine(env["FORUM_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _execute(env, sql: str, **params) -> None:
    engine = create_engine(env["FORUM_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def _send(listener, words: str, room: str = ROOM) -> dict:
    ack = listener.call("send", {"room": room, "client_id": str(uuid.uuid4()), "text": words})
    assert ack["ok"], ack
    return ack


def _go_on_duty(process, session) -> None:
    token = so.csrf_token(session, process.url + "/review")
    answer = session.post(process.url + "/review/duty", data={"on": "1", "csrf_token": token},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302


def _approve(process, session, item_id: int) -> None:
    page = f"{process.url}/review/{item_id}"
    for action, data in (("claim", {}),
                         ("decide", {"decision": "approve", "followup_needed": "no",
                                     "reason": "A number shared with care; fine to show."})):
        token = so.csrf_token(session, page)
        answer = session.post(f"{page}/{action}", data={**data, "csrf_token": token},
                              allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:300]


def test_two_processes_act_as_one_forum(deployed):
    env, (a, b) = deployed
    heron = so.Listener(a.url, so.login(a.url, "steady-heron"), "/chat")
    cedar = so.Listener(b.url, so.login(b.url, "morning-cedar"), "/chat")
    try:
        assert heron.call("join", {"room": ROOM})["presence"] == 1
        # Presence is summed across both processes, and the update reaches process A.
        assert cedar.call("join", {"room": ROOM})["presence"] == 2
        assert heron.wait_for("presence", lambda p: p["count"] == 2)

        # A message sent through A reaches a member connected to B.
        said = _send(heron, "Glad to see you both tonight.")
        assert said["state"] == "published"
        assert cedar.wait_for("message", lambda m: m["id"] == said["message"]["id"])

        # On-duty trained moderators connected to different processes.
        rowan_http = so.login(a.url, "rowan-pine")
        jo_http = so.login(b.url, "jo-meadow")
        _go_on_duty(a, rowan_http)
        _go_on_duty(b, jo_http)
        mod_a = so.Listener(a.url, rowan_http, "/mod")
        mod_b = so.Listener(b.url, jo_http, "/mod")

        # Held on B, approved through A, delivered to the sender on B (and to A's member).
        held = _send(cedar, "You can text me at 555-201-3344 if it gets bad tonight")
        assert held["state"] == "held"
        held_id = held["message"]["id"]
        time.sleep(0.5)
        assert not [m for m in heron.events.get("message", []) if m["id"] == held_id]
        item_id = _scalar(env, "SELECT id FROM review_items WHERE content_kind = 'chat' "
                          "AND content_id = :id", id=held_id)
        assert item_id is not None
        _approve(a, rowan_http, item_id)
        assert cedar.wait_for("message", lambda m: m["id"] == held_id)
        assert heron.wait_for("message", lambda m: m["id"] == held_id)

        # An urgent disclosure sent through A alerts the on-duty moderators on both.
        crisis = _send(heron, "I want to end it all tonight")
        urgent = _scalar(env, "SELECT id FROM review_items WHERE content_kind = 'chat' "
                         "AND content_id = :id", id=crisis["message"]["id"])
        assert mod_a.wait_for("queue_item", lambda q: q["id"] == urgent)
        assert mod_b.wait_for("queue_item", lambda q: q["id"] == urgent)

        # Leaving on B lowers the count everyone sees.
        cedar.call("leave", {"room": ROOM})
        assert heron.wait_for("presence", lambda p: p["count"] == 1)
    finally:
        for listener in [heron, cedar] + [v for k, v in locals().items()
                                           if k in ("mod_a", "mod_b")]:
            listener.close()

    # Both processes run the scheduler every second; the 15-minute snapshot job runs once.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
            _scalar(env, "SELECT count(*) FROM queue_snapshots") < 1
            or _scalar(env, "SELECT count(*) FROM job_leases "
                            "WHERE last_run_at IS NOT NULL") < 3):
        time.sleep(0.2)
    assert _scalar(env, "SELECT count(*) FROM job_leases WHERE last_run_at IS NOT NULL") >= 3
    time.sleep(2)  # two more ticks of each scheduler, which must not run the job again
    assert _scalar(env, "SELECT count(*) FROM queue_snapshots") == 1


def test_a_removal_through_one_process_takes_the_member_out_on_the_other(deployed):
    # The facilitator and one member are on A, the removed member on B: B's connection must
    # leave the room, not only hear that it was removed.
    env, (a, b) = deployed
    heron = so.Listener(a.url, so.login(a.url, "steady-heron"), "/chat")
    sam = so.Listener(a.url, so.login(a.url, "sam-lantern"), "/chat")
    cedar = so.Listener(b.url, so.login(b.url, "morning-cedar"), "/chat")
    try:
        for listener in (heron, sam, cedar):
            assert listener.call("join", {"room": REMOVAL_ROOM})["ok"]
        assert heron.wait_for("presence", lambda p: p["count"] == 3)
        cedar_id = _scalar(env, "SELECT id FROM users WHERE pseudonym = 'morning-cedar'")
        with heron.changed:
            heron.events.pop("presence", None)  # only counts sent after the removal
        assert sam.call("remove", {"room": REMOVAL_ROOM, "user": cedar_id})["ok"]
        assert cedar.wait_for("removed_from_room", lambda r: r["room"] == REMOVAL_ROOM)
        assert heron.wait_for("presence", lambda p: p["count"] == 2)

        said = _send(heron, "Thank you for keeping this space safe.", REMOVAL_ROOM)
        assert sam.wait_for("message", lambda m: m["id"] == said["message"]["id"])
        time.sleep(0.5)  # B had as long as A to deliver it
        assert not [m for m in cedar.events.get("message", [])
                    if m["id"] == said["message"]["id"]]
        refused = cedar.call("send", {"room": REMOVAL_ROOM, "client_id": str(uuid.uuid4()),
                                      "text": "hello?"})
        assert refused["ok"] is False

        # A removal whose exit reached no process (stored, never announced: what a queue
        # listener reconnecting at that moment leaves). A's scheduler takes heron out.
        heron_id = _scalar(env, "SELECT id FROM users WHERE pseudonym = 'steady-heron'")
        with sam.changed:
            sam.events.pop("presence", None)
        _execute(env, "INSERT INTO room_participants (room_id, user_id, updated_at) "
                      "SELECT r.id, :user, CURRENT_TIMESTAMP FROM rooms r WHERE r.slug = :slug"
                      " AND NOT EXISTS (SELECT 1 FROM room_participants p"
                      " WHERE p.room_id = r.id AND p.user_id = :user)",
                 user=heron_id, slug=REMOVAL_ROOM)
        _execute(env, "UPDATE room_participants SET status = 'removed', "
                      "updated_at = CURRENT_TIMESTAMP WHERE user_id = :user "
                      "AND room_id = (SELECT id FROM rooms WHERE slug = :slug)",
                 user=heron_id, slug=REMOVAL_ROOM)
        assert sam.wait_for("presence", lambda p: p["count"] == 1, timeout=15)
        assert heron.wait_for("removed_from_room", lambda r: r["room"] == REMOVAL_ROOM)
        later = _send(sam, "Still here for whoever needs it.", REMOVAL_ROOM)
        assert sam.wait_for("message", lambda m: m["id"] == later["message"]["id"])
        time.sleep(0.5)
        assert not [m for m in heron.events.get("message", [])
                    if m["id"] == later["message"]["id"]]
    finally:
        for listener in (heron, sam, cedar):
            listener.close()


class Sender:
    """Sends a message every interval until stopped; remembers what was acknowledged."""

    def __init__(self, listener, label: str, room: str, interval: float = 0.05) -> None:
        self.listener, self.label, self.room, self.interval = listener, label, room, interval
        self.acked: dict[str, int] = {}      # client_id → message id
        self.unacked: dict[str, str] = {}    # client_id → text, sent but never acknowledged
        self.refused: list[dict] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            client_id, words = f"{self.label}-{n}", f"Checking in, note {n} from {self.label}."
            try:
                ack = self.listener.call("send", {"room": self.room, "client_id": client_id,
                                                  "text": words}, timeout=3)
            except Exception:  # the process went away: keep it to resend
                self.unacked[client_id] = words
                return
            if not ack.get("ok"):
                self.refused.append(ack)
            else:
                self.acked[client_id] = ack["message"]["id"]
            time.sleep(self.interval)


def _ids(listener) -> list[int]:
    return [m["id"] for m in listener.events.get("message", [])]


def test_sigkill_of_one_process_loses_nothing_acknowledged(deployed):
    env, (a, b) = deployed
    heron_http, sam_http = so.login(a.url, "steady-heron"), so.login(a.url, "sam-lantern")
    cedar_http = so.login(b.url, "morning-cedar")
    heron = so.Listener(a.url, heron_http, "/chat")
    sam = so.Listener(a.url, sam_http, "/chat")
    cedar = so.Listener(b.url, cedar_http, "/chat")
    rejoined = None
    try:
        for listener in (heron, sam, cedar):
            assert listener.call("join", {"room": KILL_ROOM})["ok"]
        senders = [Sender(heron, "heron", KILL_ROOM), Sender(cedar, "cedar", KILL_ROOM)]
        for sender in senders:
            sender.thread.start()
        time.sleep(4)
        assert not senders[0].refused and not senders[1].refused
        b.kill()  # mid-load, without warning
        time.sleep(1)
        senders[1].stop.set()
        senders[1].thread.join(timeout=10)
        seen_before = _ids(cedar)
        cedar.close()

        # The killed process's member reconnects to the survivor, catches up, resends.
        rejoined = so.Listener(a.url, cedar_http, "/chat")
        assert rejoined.call("join", {"room": KILL_ROOM})["ok"]
        last = max(seen_before) if seen_before else 0
        caught_up = rejoined.call("sync", {"room": KILL_ROOM, "after_id": last})["messages"]
        for client_id, words in list(senders[1].unacked.items()):
            ack = rejoined.call("send", {"room": KILL_ROOM, "client_id": client_id,
                                         "text": words})
            assert ack["ok"], ack
            senders[1].acked[client_id] = ack["message"]["id"]
        time.sleep(1.5)
        senders[0].stop.set()
        senders[0].thread.join(timeout=10)

        in_room = " FROM chat_messages WHERE room_id = (SELECT id FROM rooms WHERE slug = :slug)"
        stored = _scalar(env, "SELECT count(*)" + in_room, slug=KILL_ROOM)
        distinct = _scalar(env, "SELECT count(DISTINCT client_id)" + in_room, slug=KILL_ROOM)
        assert stored == distinct  # no message stored twice
        acked = set(senders[0].acked.values()) | set(senders[1].acked.values())
        assert len(acked) >= 20 and len(senders[1].acked) >= 5
        for survivor in (heron, sam):
            # An ack means stored and published; delivery through the queue may lag.
            survivor.wait_until(lambda s=survivor: acked <= set(_ids(s)), timeout=15)
            # A resend is broadcast again (its first broadcast may have died with B), so
            # a survivor may hear a message twice: the same message, shown once by id.
            got: dict[int, dict] = {}
            for m in survivor.events.get("message", []):
                assert got.setdefault(m["id"], m) == m, "two different messages, one id"
            assert acked <= set(got), "a survivor lost an acknowledged message"
        # The reconnected member has everything: what it saw, what it caught up, what came.
        before_and_caught_up = set(seen_before) | {m["id"] for m in caught_up}
        rejoined.wait_until(lambda: acked <= before_and_caught_up | set(_ids(rejoined)),
                            timeout=15)
        everything = set(seen_before) | {m["id"] for m in caught_up} | set(_ids(rejoined))
        assert acked <= everything
        assert not set(seen_before) & {m["id"] for m in caught_up}
    finally:
        for listener in (heron, sam, cedar, rejoined):
            if listener is not None:
                listener.close()


@pytest.fixture(autouse=True)
def _collect():
    """Collect this module's leftover client sockets before the next module's tests run."""
    yield
    import gc

    gc.collect()
