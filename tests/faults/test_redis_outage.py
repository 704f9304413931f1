"""Redis stops for 30 seconds under two forum processes, and comes back empty.

Members chat on both processes throughout. Pages keep serving and /healthz says Redis is down
(still 200); a message sent during the outage is stored and acknowledged, heard at once on its
own process and on the other one from the database; rate limits keep counting in each process,
then in Redis again; presence is right within a heartbeat of Redis returning; nothing
acknowledged is lost and nobody hears a message twice.
"""

from __future__ import annotations

import os
import time
import urllib.request
import uuid

import pytest
from sqlalchemy import bindparam, create_engine, text

from tests.fixtures import faults as fs, scaleout as so

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.live,
    pytest.mark.skipif(not (so.services_up() and fs.tools_present()) and not os.environ.get("CI"),
                       reason="PostgreSQL, Redis or their server programs are missing"),
]
ROOM = "coffee-room"
OUTAGE_S = 30
LIMIT = 8  # per minute, for every member, in this deployment


def _send(listener, words: str) -> tuple[str, dict]:
    client_id = str(uuid.uuid4())
    return client_id, listener.call("send", {"room": ROOM, "client_id": client_id,
                                             "text": words})


def _ids(listener) -> list[int]:
    return [m["id"] for m in listener.events.get("message", [])]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read()


def _stored(env, client_ids: list[str]) -> dict[str, int]:
    engine = create_engine(env["FORUM_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT client_id, count(*) FROM chat_messages WHERE client_id IN :ids "
                "GROUP BY client_id").bindparams(bindparam("ids", expanding=True)),
                {"ids": client_ids}).all()
    finally:
        engine.dispose()
    return {client_id: count for client_id, count in rows}


def _last_count(listener) -> int | None:
    counts = listener.events.get("presence", [])
    return counts[-1]["count"] if counts else None


def test_a_30_second_redis_outage_loses_and_repeats_nothing(tmp_path):
    listeners = []
    with fs.private_redis() as redis_server, so.deployment(
            tmp_path, "forum_fault_redis", redis_url=redis_server.url,
            extra_env={"FORUM_CHAT_RATE_LIMIT": f"{LIMIT} per minute"}) as (env, (a, b)):
        try:
            heron = so.Listener(a.url, so.login(a.url, "steady-heron"), "/chat")
            sam = so.Listener(a.url, so.login(a.url, "sam-lantern"), "/chat")
            cedar = so.Listener(b.url, so.login(b.url, "morning-cedar"), "/chat")
            listeners += [heron, sam, cedar]
            for listener in listeners:
                assert listener.call("join", {"room": ROOM})["ok"]
            acked: list[tuple[str, int]] = []
            client_id, ack = _send(heron, "Checking in before the storm.")
            assert ack["ok"], ack
            acked.append((client_id, ack["message"]["id"]))
            assert cedar.wait_for("message", lambda m: m["id"] == ack["message"]["id"])

            redis_server.stop()
            stopped = time.monotonic()

            # Pages keep serving, and /healthz says Redis is down while still answering 200.
            for process in (a, b):
                status, body = _get(process.url + "/healthz")
                assert status == 200 and b'"redis":"error"' in body.replace(b" ", b"")
                assert _get(process.url + "/")[0] == 200
            # Logging in counts failures in the process while Redis is away.
            rowan_http = so.login(b.url, "rowan-pine")
            assert rowan_http.get(b.url + "/review", timeout=10).status_code == 200

            # Sent on A during the outage: acknowledged, heard at once on A.
            client_id, ack = _send(heron, "Still here, the lights flickered.")
            assert ack["ok"] and ack["state"] == "published", ack
            outage_ids = [ack["message"]["id"]]
            acked.append((client_id, ack["message"]["id"]))
            assert sam.wait_for("message", lambda m: m["id"] == outage_ids[0], timeout=2)
            # Sent on B during the outage: heard at once on B.
            client_id, ack = _send(cedar, "Same here, holding on.")
            assert ack["ok"], ack
            outage_ids.append(ack["message"]["id"])
            acked.append((client_id, ack["message"]["id"]))
            assert cedar.wait_for("message", lambda m: m["id"] == outage_ids[1], timeout=2)
            # Each process reads what the other stored from the database while Redis is away.
            assert cedar.wait_for("message", lambda m: m["id"] == outage_ids[0], timeout=8)
            assert heron.wait_for("message", lambda m: m["id"] == outage_ids[1], timeout=8)

            # The chat limit still holds, counted in A alone: the text comes back.
            for n in range(LIMIT):
                client_id, ack = _send(sam, f"Breathing, count {n}.")
                assert ack["ok"], ack
                outage_ids.append(ack["message"]["id"])
                acked.append((client_id, ack["message"]["id"]))
            _, refused = _send(sam, "One more breath.")
            assert refused["error"] == "rate_limited" and refused["text"] == "One more breath."

            # A member who joins on B during the outage gets in and hears the room.
            rowan = so.Listener(b.url, rowan_http, "/chat")
            listeners.append(rowan)
            joined = rowan.call("join", {"room": ROOM})
            assert joined["ok"]
            in_history = {m["id"] for m in joined["history"]}

            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
            redis_server.start()
            back = time.monotonic()

            # Everything said during the outage reaches everyone within 10 s of Redis.
            # (The member who joined during it read the earlier ones in the room's history.)
            for listener in listeners:
                had = in_history if listener is rowan else set()
                assert listener.wait_until(
                    lambda listener=listener, had=had: set(outage_ids) <= set(_ids(listener)) | had,
                    timeout=max(0.1, back + 10 - time.monotonic())), (
                    listeners.index(listener), sorted(set(outage_ids) - set(_ids(listener))))

            # Presence is right again within one heartbeat: four connections in the room.
            for listener in listeners:
                assert listener.wait_until(
                    lambda listener=listener: _last_count(listener) == 4, timeout=20), (
                    listener.events.get("presence", [])[-3:])

            # After it, messages cross the queue again (once each process has stopped reading
            # the database), and the limit counts in Redis again (a restarted Redis starts
            # every window empty; asked again after shared_store.RETRY_S).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not all(
                    "catch-up finished" in p.log_path.read_text() for p in (a, b)):
                time.sleep(0.5)
            client_id, ack = _send(sam, "Back to normal, it seems.")
            assert ack["ok"], ack
            acked.append((client_id, ack["message"]["id"]))
            for listener in listeners:
                assert listener.wait_for("message", lambda m: m["id"] == ack["message"]["id"],
                                         timeout=10)
            healthz = _get(a.url + "/healthz")[1].replace(b" ", b"")
            assert b'"redis":"ok"' in healthz

            # Nothing acknowledged lost, nothing stored or heard twice.
            assert _stored(env, [c for c, _ in acked]) == {c: 1 for c, _ in acked}
            for listener in listeners:
                ids = _ids(listener)
                assert len(ids) == len(set(ids)), listener.namespace
        finally:
            for listener in listeners:
                listener.close()

    logs = {name: process.log_path.read_text() for name, process in (("a", a), ("b", b))}
    # Each process says once that the chat limit counts alone, and once that it is back.
    assert logs["a"].count("chat rate limit: Redis unreachable") == 1, logs["a"][-3000:]
    assert logs["a"].count("chat rate limit: Redis answers again") == 1
    for log in logs.values():
        for line in ("message queue: subscription lost", "message queue: subscribed again",
                     "message queue back: catch-up finished"):
            assert log.count(line) == 1, line
        assert "Traceback" not in log, log[-4000:]
        for line in log.splitlines():  # ids and event names only, never member text
            assert "lights flickered" not in line and "holding on" not in line
