"""The backstop for a room exit that never arrived: each process's scheduler takes out of a
room the connections it still holds there for a member removed from it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import RoomParticipant
from forum.models.room_controls import REMOVED
from forum.realtime import room_exits
from forum.services import clock, jobs
from forum.services.accounts import roles
from forum.services.chat import entry as room_entry, facilitation as room_controls
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.chat import connect, emit

room = chat_support.room
screener = threads_support.screener
SLUG = "coffee-room"


def _names(sock) -> list[tuple[str, object]]:
    return [(r["name"], r["args"]) for r in sock.get_received("/chat")]


def _messages(events) -> list[str]:
    """The words of each message event (its rendered HTML without the markup)."""
    return [re.sub(r"<[^>]+>", "", (args if isinstance(args, dict) else args[0])["text_html"])
            .strip() for name, args in events if name == "message"]


def _send(sock, text, client_id, slug=SLUG):
    ack = emit(sock, "send", {"room": slug, "client_id": client_id, "text": text})
    assert ack["ok"], ack
    return ack


@pytest.fixture
def lost_exits(monkeypatch):
    """Every room exit is lost on its way, as when a process's queue listener reconnects."""
    monkeypatch.setattr(room_exits, "take_out", lambda user_id, slug: None)


def test_a_lost_exit_is_caught_by_the_sweep(app, room, member, second_member, facilitator,
                                            screener, lost_exits):
    chat_support.make_room("garden", "Garden")
    host, target, second_tab = connect(app, facilitator), connect(app, member), connect(app, member)
    other = connect(app, second_member)
    for sock in (host, target, other, second_tab):
        assert emit(sock, "join", {"room": SLUG})["ok"]
    assert emit(target, "join", {"room": "garden"})["ok"]
    assert emit(other, "join", {"room": "garden"})["ok"]
    assert emit(host, "remove", {"room": SLUG, "user": member.id}) == {"ok": True}
    for sock in (host, target, other, second_tab):
        sock.get_received("/chat")

    # The gap this closes: without the exit, the removed member still hears the room.
    _send(other, "Before the sweep", "s-1")
    assert _messages(_names(target)) == ["Before the sweep"]
    second_tab.get_received("/chat")
    host.get_received("/chat")

    assert room_exits.sweep() == 1
    host_got = _names(host)
    assert ("presence", [{"room": SLUG, "count": 2}]) in host_got
    # Each of the member's connections in the room is told, as the lost exit would have.
    notice = ("removed_from_room", [{"room": SLUG}])  # names no one
    assert _names(target) == [notice]
    assert _names(second_tab) == [notice]
    assert notice not in host_got
    _send(other, "After the sweep", "s-2")
    assert _messages(_names(target)) == []
    assert _messages(_names(second_tab)) == []
    assert _messages(_names(host)) == ["After the sweep"]
    # Only the room they were removed from: the garden still reaches them.
    _send(other, "In the garden", "s-3", slug="garden")
    assert _messages(_names(target)) == ["In the garden"]
    # Nothing left to do: a second sweep takes no one out.
    assert room_exits.sweep() == 0


def test_the_sweep_leaves_members_in_good_standing_alone(app, room, member, second_member,
                                                         facilitator, screener):
    host, a, b = connect(app, facilitator), connect(app, member), connect(app, second_member)
    for sock in (host, a, b):
        assert emit(sock, "join", {"room": SLUG})["ok"]
    # Muted is not removed.
    assert emit(host, "mute", {"room": SLUG, "user": member.id, "minutes": 5})["ok"]
    assert room_exits.sweep() == 0
    for sock in (host, a, b):
        sock.get_received("/chat")
    _send(b, "Still here together", "g-1")
    assert _messages(_names(a)) == ["Still here together"]
    assert _messages(_names(host)) == ["Still here together"]


def test_the_sweep_is_a_local_job_with_no_lease(app, room, member, facilitator, screener,
                                                lost_exits):
    # Process-local: no lease, so a second process's run does not stop this one's.
    host, target = connect(app, facilitator), connect(app, member)
    for sock in (host, target):
        assert emit(sock, "join", {"room": SLUG})["ok"]
    assert emit(host, "remove", {"room": SLUG, "user": member.id}) == {"ok": True}
    assert jobs.run_local()["chat.room_exits"] == 1
    assert jobs.run_local()["chat.room_exits"] == 0
    assert "chat.room_exits" not in jobs.registered()  # no lease row, never run_due's
    target.get_received("/chat")
    _send(host, "Welcome back, everyone", "h-1")
    assert _messages(_names(target)) == []


def test_the_scheduler_runs_local_jobs_each_tick_and_survives_a_failure(app, monkeypatch):
    ticks = threading.Semaphore(0)

    def counted(now):
        ticks.release()
        return 0

    def escapes(*_args, **_kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(jobs, "_LOCAL", {"test.count": counted})
    monkeypatch.setattr(jobs, "run_due", escapes)  # as if the lease table were unreachable
    thread = jobs.start_scheduler(app, interval_s=0.05)
    try:
        for _ in range(3):  # a failed due run ends neither the tick's local jobs nor the loop
            assert ticks.acquire(timeout=5)
    finally:
        thread.stop.set()
        thread.join(timeout=5)


def test_a_failing_local_job_does_not_stop_the_others(app, monkeypatch):
    ran = []

    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs._LOCAL, "test.broken", broken)
    monkeypatch.setitem(jobs._LOCAL, "test.fine", lambda now: ran.append(now) or 1)
    done = jobs.run_local()
    assert "test.broken" not in done and done["test.fine"] == 1 and len(ran) == 1


def test_removed_among_reads_only_the_current_session(app, room, member, second_member,
                                                      monkeypatch):
    # A removal from an earlier session of a scheduled meeting has lapsed: no sweep for it.
    now = clock.now()
    began = now - timedelta(hours=1)
    monkeypatch.setattr(room_controls, "_SESSION_STARTS",
                        [lambda r, _now: began if r.id == room.id else None])
    db.session.add_all([
        RoomParticipant(room_id=room.id, user_id=member.id, status=REMOVED, updated_at=now),
        RoomParticipant(room_id=room.id, user_id=second_member.id, status=REMOVED,
                        updated_at=began - timedelta(days=7)),
    ])
    db.session.commit()
    found = room_entry.removed_among({SLUG: {member.id, second_member.id}})
    assert [(r.slug, uid) for r, uid in found] == [(SLUG, member.id)]
    # Only those asked about, in the rooms asked about.
    assert room_entry.removed_among({SLUG: {second_member.id}}) == []
    assert room_entry.removed_among({"elsewhere": {member.id}}) == []
    assert room_entry.removed_among({}) == []


def test_a_removed_member_who_now_facilitates_is_left_in(app, room, member, make_user, admin,
                                                        screener):
    # Removed earlier as a member, then given the moderator role: check_enter lets them back
    # in, so the sweep must not take them out again at every tick.
    host_user = make_user("host-hazel", roles_=("facilitator",))
    host, target = connect(app, host_user), connect(app, member)
    for sock in (host, target):
        assert emit(sock, "join", {"room": SLUG})["ok"]
    assert emit(host, "remove", {"room": SLUG, "user": member.id}) == {"ok": True}
    roles.check_grant_role(member, "moderator", acting_user=admin)
    db.session.commit()
    assert emit(target, "join", {"room": SLUG})["ok"]
    assert room_entry.removed_among({SLUG: {member.id}}) == []
    assert room_exits.sweep() == 0
    target.get_received("/chat")
    _send(host, "Glad you're with us", "f-1")
    assert _messages(_names(target)) == ["Glad you're with us"]
