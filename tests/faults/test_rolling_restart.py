"""A rolling restart with 100 members connected: every member ends up connected again, and
nothing acknowledged is lost or shown twice.

Two gunicorn processes share PostgreSQL and Redis; 100 members in 4 rooms are spread over both,
and some of them keep sending. Process A gets SIGTERM (its worker closes every chat socket) and
is started again, then the same for B, as a deploy does it (docs/deploy.md, "Upgrading while
old processes still serve").

Members reach the processes as through the reverse proxy of docs/deploy.md: nginx pins each
client to one process (`hash ... consistent`) and, when that process refuses the connection,
passes it to the other (`proxy_next_upstream`). Each member here has its own process and tries
the other when its own refuses. A member reconnects as the browser does: the page's Socket.IO
client (static/js/vendor/socket.io.min.js) tries again 0.5 to 1.5 s after the connection
closes, doubling up to 5 s, and static/js/chat.js then joins the room, syncs from the last
message id it saw and resends what was never acknowledged with the same client_id. (The
python-socketio client does not reconnect after a server's goodbye, the browser's does: so the
members here run that loop themselves.)

Reconnect times (from the drop to joined and synced again) are printed (pytest -s), not
asserted.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures import faults as fs, scaleout as so

pytestmark = [
    # Real clients of servers that were stopped leave sockets the garbage collector closes.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.live,
    pytest.mark.skipif(not so.services_up() and not os.environ.get("CI"),
                       reason="PostgreSQL and Redis are not running"),
]
NAMESPACE = "/chat"
MEMBERS = 100
ROOMS = [f"rolling-room-{r}" for r in range(1, 5)]
SENDERS_PER_ROOM = 2
SEND_INTERVAL_S = 1.0
PSEUDONYMS = [f"rolling-member-{i:03d}" for i in range(MEMBERS)]


def _backoff(attempt: int) -> float:
    """The browser client's delay before reconnect attempt n (socket.io-client's Backoff:
    1 s doubling, at most 5 s, give or take half)."""
    base = min(1.0 * 2 ** attempt, 5.0)
    return min(base + base * 0.5 * random.uniform(-1, 1), 5.0)


class Member:
    """One member's page: a Socket.IO connection kept up through the proxy, the messages it
    shows (one line per message id), and what it has sent."""

    def __init__(self, index: int, cookie: str, room: str, urls: list[str]) -> None:
        self.index, self.cookie, self.room = index, cookie, room
        self.urls = urls  # its own process first (the proxy's hash), then the other
        self.lock = threading.Lock()
        self.shown: dict[int, dict] = {}      # message id -> the message, as the page shows it
        self.clashes: list[tuple] = []        # one id arriving with different content
        self.last_id = 0
        self.pending: dict[str, str] = {}     # client_id -> text, until acknowledged
        self.acked: dict[str, int] = {}       # client_id -> message id
        self.refused: list[dict] = []
        self.reconnect_s: list[float] = []
        self.on_url: str | None = None
        self.joined = threading.Event()
        self.dropped = threading.Event()
        self.dropped_at: float | None = None
        self.stopping = threading.Event()
        self.failure: str | None = None
        self.sio = self._new_client()
        self.thread = threading.Thread(target=self._run, name=f"member-{index}", daemon=True)

    def _new_client(self):
        import socketio

        client = socketio.Client(reconnection=False)
        client.on("message", self._show, namespace=NAMESPACE)
        # Only the connection in use drops the member: an abandoned one ending later doesn't.
        client.on("disconnect", lambda *reason: client is self.sio and self._on_disconnect(),
                  namespace=NAMESPACE)
        return client

    # -- what the page shows
    def _show(self, message: dict) -> None:
        if message.get("room", self.room) != self.room:
            return
        with self.lock:
            seen = self.shown.setdefault(message["id"], message)
            if (seen["client_id"], seen["text_html"]) != (message["client_id"],
                                                          message["text_html"]):
                self.clashes.append((seen, message))
            self.last_id = max(self.last_id, message["id"])

    def _on_disconnect(self, *_reason) -> None:
        self.joined.clear()
        self.dropped_at = time.monotonic()
        self.dropped.set()

    # -- the connection, as the browser and chat.js keep it
    def _connect(self) -> bool:
        for url in self.urls:  # the proxy: its own process, else the other
            # A new engine for each attempt, as socket.io-client makes on a reconnect: nothing
            # of a connection given up on is left to answer for it.
            self._quiet_disconnect()
            self.sio = self._new_client()
            try:
                self.sio.connect(url, headers={"Cookie": self.cookie}, transports=["websocket"],
                                 namespaces=[NAMESPACE], wait_timeout=10)
            except Exception:  # refused, reset or timed out: the proxy tries the next
                self._quiet_disconnect()
                continue
            self.on_url = url
            return True
        return False

    def _join(self) -> bool:
        since = self.last_id
        answer = self.sio.call("join", {"room": self.room}, namespace=NAMESPACE, timeout=15)
        if not answer or not answer.get("ok") or answer.get("waiting"):
            raise RuntimeError(f"join refused: {answer and answer.get('error')}")
        for message in answer["history"]:
            self._show(message)
        if since:
            synced = self.sio.call("sync", {"room": self.room, "after_id": since},
                                   namespace=NAMESPACE, timeout=15)
            if not synced or not synced.get("ok"):
                raise RuntimeError(f"sync refused: {synced and synced.get('error')}")
            for message in synced["messages"]:
                self._show(message)
        return True

    def _quiet_disconnect(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # already gone
            pass

    def _run(self) -> None:
        attempt = 0
        while not self.stopping.is_set():
            self.dropped.clear()
            try:
                if not self._connect():
                    raise ConnectionError("no process took the connection")
                self._join()
            except Exception as exc:  # a drop mid-join included: try again, as the page does
                self._quiet_disconnect()
                self.failure = f"{type(exc).__name__}: {exc}"
                if self.stopping.wait(_backoff(attempt)):
                    return
                attempt += 1
                continue
            if self.dropped_at is not None:
                self.reconnect_s.append(time.monotonic() - self.dropped_at)
            attempt, self.failure = 0, None
            self.joined.set()
            self._resend_pending()
            while not self.dropped.wait(0.5):
                if self.stopping.is_set():
                    return
            if self.stopping.wait(_backoff(0)):
                return

    # -- sending, as chat.js does: pending until acknowledged, resent after a rejoin
    def send(self, client_id: str, words: str) -> None:
        with self.lock:
            self.pending[client_id] = words
        self._emit(client_id, words)

    def _emit(self, client_id: str, words: str | None) -> None:
        if words is None or not self.joined.is_set():
            return  # acknowledged meanwhile, or sent after the rejoin
        try:
            self.sio.emit("send", {"room": self.room, "client_id": client_id, "text": words},
                          namespace=NAMESPACE, callback=lambda ack, c=client_id: self._ack(c, ack))
        except Exception:  # the connection just went: still pending
            pass

    def _ack(self, client_id: str, ack: dict) -> None:
        if not ack.get("ok") and ack.get("error") == "unavailable" and ack.get("retry"):
            # The database was away for a moment: still "Sending…", the same client_id again.
            retry = threading.Timer(1.0, self._emit, (client_id, self.pending.get(client_id)))
            retry.daemon = True
            retry.start()
            return
        with self.lock:
            self.pending.pop(client_id, None)
            if ack.get("ok") and ack.get("state") == "published":
                self.acked[client_id] = ack["message"]["id"]
            else:
                self.refused.append(ack)
        if ack.get("ok"):
            self._show(ack["message"])

    def _resend_pending(self) -> None:
        with self.lock:
            waiting = list(self.pending.items())
        for client_id, words in waiting:
            self._emit(client_id, words)

    def close(self) -> None:
        self.stopping.set()
        self._quiet_disconnect()
        self.thread.join(timeout=10)


def _sender(member: Member, stop: threading.Event) -> None:
    n = 0
    while not stop.wait(SEND_INTERVAL_S * random.uniform(0.8, 1.2)):
        n += 1
        member.send(f"rolling-{member.index}-{n}", f"Checking in, note {n} from member "
                                                   f"{member.index}.")


def _presence_entries(url: str, room: str) -> dict[str, list[float]]:
    """Who holds the room's presence entries: seconds each has left, by process."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        now = time.time()
        held: dict[str, list[float]] = {}
        for member, expires in client.zrange(f"forum:presence:room-{room}", 0, -1,
                                             withscores=True):
            holder = member.decode().rsplit("/", 1)[0]
            held.setdefault(holder, []).append(round(expires - now, 1))
        return held
    finally:
        client.close()


def _wait(condition, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _add_members(env: dict) -> None:
    so.add_members(env, PSEUDONYMS, ROOMS)


def test_rolling_restart_keeps_every_member_and_every_acknowledged_message(tmp_path):
    # Every WebSocket holds a thread of its process, so while one process restarts the other
    # carries every member: threads for all of them (docs/deploy.md, FORUM_THREADS).
    # A Redis of its own: the shared one's scale-out database is flushed by other test
    # processes running at the same time.
    with fs.private_redis() as redis_server, so.deployment(
            tmp_path, "forum_rolling_restart", before_start=_add_members,
            redis_url=redis_server.url,
            extra_env={"FORUM_THREADS": str(MEMBERS + 50)}) as (env, (a, b)):
        processes = [a, b]
        members = []
        for i, name in enumerate(PSEUDONYMS):
            own = processes[i % 2]
            # 25 log-ins per loopback address: the log-in limit counts per address.
            cookie = so.login_cookie(own.url, name, source_ip=f"127.0.0.{2 + i // 25}")
            members.append(Member(i, cookie, ROOMS[(i // 2) % len(ROOMS)],
                                  [own.url, processes[1 - i % 2].url]))
        stop_sending = threading.Event()
        senders = []
        try:
            for member in members:
                member.thread.start()
            assert _wait(lambda: all(m.joined.is_set() for m in members), 60), \
                [m.failure for m in members if not m.joined.is_set()][:5]
            by_room = {room: [m for m in members if m.room == room] for room in ROOMS}
            for room in ROOMS:
                for member in by_room[room][:SENDERS_PER_ROOM]:
                    senders.append(threading.Thread(target=_sender, args=(member, stop_sending),
                                                    daemon=True))
            for sender in senders:
                sender.start()
            time.sleep(3)

            for process in (a, b):
                worker = process.worker_pid()
                process.stop()  # SIGTERM: its members' sockets closed with a goodbye
                # The worker closed every connection and ended by itself, within the graceful
                # timeout (not killed by its master at the end of it).
                assert f"Worker exiting (pid: {worker})" in process.log_path.read_text()
                process.start()  # back on the same port, answering /healthz
                time.sleep(3)  # members keep chatting on the restarted pair

            stop_sending.set()
            for sender in senders:
                sender.join(timeout=10)
            # Every member is back and every send was acknowledged, resends included.
            assert _wait(lambda: all(m.joined.is_set() and not m.pending for m in members), 45), (
                [(m.index, m.failure, len(m.pending)) for m in members
                 if not m.joined.is_set() or m.pending][:10])
            assert not [m.refused for m in members if m.refused]

            acked = {}  # client_id -> message id, every member's
            for member in members:
                acked.update(member.acked)
            assert len(acked) >= 60, len(acked)
            room_of = {client_id: m.room for m in members for client_id in m.acked}
            expected = {room: {acked[c] for c in acked if room_of[c] == room} for room in ROOMS}
            # Every member shows every acknowledged message of its room once: by what it was
            # sent live, the join's history and the sync after a reconnect.
            assert _wait(lambda: all(expected[m.room] <= set(m.shown) for m in members), 20), [
                (m.index, len(expected[m.room] - set(m.shown))) for m in members
                if not expected[m.room] <= set(m.shown)][:10]
            for member in members:
                assert not member.clashes, member.clashes[:2]
                client_ids = [m["client_id"] for m in member.shown.values()]
                assert len(client_ids) == len(set(client_ids)), "a message shown twice"

            # Stored exactly once, under the id its sender was given.
            engine = create_engine(env["FORUM_DATABASE_URL"])
            try:
                with engine.connect() as conn:
                    rows = conn.execute(text(
                        "SELECT m.client_id, m.id FROM chat_messages m JOIN rooms r "
                        "ON r.id = m.room_id WHERE r.slug LIKE 'rolling-room-%'")).all()
            finally:
                engine.dispose()
            stored = {}
            for client_id, message_id in rows:
                assert client_id not in stored, f"{client_id} stored twice"
                stored[client_id] = message_id
            assert stored == acked

            # A stopped process counted its own connections out as it stopped: every presence
            # entry left is held by a process running now (entries of a stopped one would
            # linger until they expire, TTL_S later).
            live = {a.worker_pid(), b.worker_pid()}
            for room in ROOMS:
                entries = _presence_entries(redis_server.url, room)
                assert {int(holder.split(":")[1]) for holder in entries} <= live, (room, entries)

            # And each room counts its members again. A connection its client gave up on while
            # the server was busy (a join that timed out) is counted until the server notices
            # it is gone: at the latest when its pings go unanswered (ping_interval 25 s +
            # ping_timeout 20 s), and its entry goes at that disconnect, not when it expires.
            def counted(room: str) -> int:
                again = by_room[room][0].sio.call("join", {"room": room}, namespace=NAMESPACE,
                                                  timeout=15)
                return again["presence"]

            for room in ROOMS:
                assert _wait(lambda room=room: counted(room) == len(by_room[room]), 60,
                             every=1.0), (room, counted(room), len(by_room[room]),
                                          _presence_entries(redis_server.url, room))

            reconnects = [s for m in members for s in m.reconnect_s]
            on = {p.url: sum(1 for m in members if m.on_url == p.url) for p in processes}
            print(f"\nrolling restart: {len(members)} members, {len(acked)} messages "
                  f"acknowledged, {len(reconnects)} reconnects; reconnect time p50 "
                  f"{statistics.median(reconnects):.2f} s, p99 "
                  f"{_percentile(reconnects, 0.99):.2f} s, max {max(reconnects):.2f} s; "
                  f"members per process at the end {sorted(on.values())}")
            # A's half moved to B, then B's restart moved everyone: each member came back.
            assert all(m.reconnect_s for m in members)
        finally:
            stop_sending.set()
            for member in members:
                member.close()


@pytest.fixture(autouse=True)
def _collect():
    """Collect this module's leftover client sockets before the next module's tests run."""
    yield
    import gc

    gc.collect()
