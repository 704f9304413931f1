"""The chat benchmark's client processes: real python-socketio clients over WebSocket.

Each process logs its members in through the /login form (the session cookie is the only
credential the /chat namespace accepts), connects one socketio.Client per member, joins the
member's room, then runs phases on command from the parent (bench/chat_driver.py) over a Pipe:

  ("phase", {"id", "count", "rate", "duration", "offset", "start_ns", "slot", "slots"}) ->
      send `count` messages at a steady rate, round-robin over this process's members; the
      processes take turns on one schedule (send n of the whole run is due at start_ns + n
      intervals, and this process sends every slots-th one from its slot), so together they
      send evenly spaced messages, not one burst per process at each tick; answer with what
      was sent and acked, per room.
  ("expect", {"id", "count", "timeout"}) -> wait until this process's members have received
      `count` deliveries of that phase (or the timeout); answer with counts and latencies.
  ("stop", None) -> disconnect everyone and exit.

Every message's client_id carries its phase and its send time from time.monotonic_ns(), which
reads CLOCK_MONOTONIC, one clock for every process on a Linux machine, so a receiver in another
process computes the delivery latency directly.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

import socketio

NAMESPACE = "/chat"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CONNECT_TIMEOUT = 15.0


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def login(port: int, pseudonym: str, password: str, source_ip: str) -> str:
    """Log in through the real form (GET for the CSRF token, then POST); the Cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20,
                                      source_address=(source_ip, 0))
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read().decode()
        cookie = _session_cookie(page.getheaders())
        match = CSRF_RE.search(body)
        if page.status != 200 or cookie is None or match is None:
            raise RuntimeError(f"login page answered {page.status}")
        form = urllib.parse.urlencode({"pseudonym": pseudonym, "password": password,
                                       "csrf_token": match.group(1)})
        conn.request("POST", "/login", body=form, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        cookie = _session_cookie(answer.getheaders())
        if answer.status != 302 or cookie is None:
            raise RuntimeError(f"login answered {answer.status}")
        return cookie
    finally:
        conn.close()


@dataclass
class Member:
    """One connected client and the room it joined."""

    index: int
    room: str
    sio: socketio.Client
    disconnected: bool = False


@dataclass
class Deliveries:
    """What one process's clients received, per phase (appends are atomic under the GIL)."""

    latencies_us: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    seen: dict[int, set] = field(default_factory=lambda: defaultdict(set))
    duplicates: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, receiver: int, client_id: str) -> None:
        """Note one `message` event received by member `receiver`."""
        now = time.monotonic_ns()
        try:
            tag, _worker, _seq, sent_ns = client_id.split(".")
            phase = int(tag[1:])
            latency = (now - int(sent_ns)) // 1000
        except ValueError:
            return
        key = (receiver, client_id)
        with self.lock:
            if key in self.seen[phase]:
                self.duplicates[phase] += 1
                return
            self.seen[phase].add(key)
            self.latencies_us[phase].append(latency)

    def count(self, phase: int) -> int:
        """Deliveries received so far in a phase."""
        return len(self.latencies_us[phase])


def _connect(port: int, member: dict, index: int, cookie: str | None,
             deliveries: Deliveries) -> Member:
    sio = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
    entry = Member(index=index, room=member["room"], sio=sio)

    @sio.on("message", namespace=NAMESPACE)
    def on_message(data):
        deliveries.record(index, data.get("client_id", ""))

    @sio.on("disconnect", namespace=NAMESPACE)
    def on_disconnect(*_args):
        entry.disconnected = True

    headers = {"Cookie": cookie} if cookie else {}
    sio.connect(f"http://127.0.0.1:{port}", headers=headers, transports=["websocket"],
                namespaces=[NAMESPACE], wait_timeout=CONNECT_TIMEOUT)
    answer = sio.call("join", {"room": member["room"]}, namespace=NAMESPACE,
                      timeout=CONNECT_TIMEOUT)
    if not answer or not answer.get("ok"):
        sio.disconnect()
        raise RuntimeError(f"join refused: {answer and answer.get('error')}")
    return entry


@dataclass
class Sending:
    """One phase's sends from this process, filled in by ack callbacks."""

    sent: int = 0
    acked: int = 0
    published_by_room: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ack_us: list[int] = field(default_factory=list)
    lag_us: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack_callback(self, room: str, sent_ns: int):
        """The callback for one emit: counts the ack and what it said."""
        def on_ack(answer=None):
            elapsed = (time.monotonic_ns() - sent_ns) // 1000
            with self.lock:
                self.acked += 1
                self.ack_us.append(elapsed)
                if isinstance(answer, dict) and answer.get("ok"):
                    if answer.get("state") == "published":
                        self.published_by_room[room] += 1
                    else:
                        self.errors[f"state:{answer.get('state')}"] += 1
                else:
                    code = answer.get("error") if isinstance(answer, dict) else "no-answer"
                    self.errors[str(code)] += 1
        return on_ack


def run_phase(worker: int, members: list[Member], spec: dict) -> dict:
    """Send spec["rate"] messages a second for spec["duration"] seconds, open loop: each send
    is due at a fixed time, whatever happened to the earlier ones."""
    phase, rate, duration, texts = spec["id"], spec["rate"], spec["duration"], spec["texts"]
    sending = Sending()
    live = [m for m in members if not m.disconnected]
    total = spec.get("count", int(round(rate * duration)))
    slot, slots, begin = spec["slot"], spec["slots"], spec["start_ns"]
    step_ns = 1e9 / rate if rate else 0  # this process's own interval
    interval_ns = step_ns / slots  # the interval of all processes' sends together
    for seq in range(total):
        if not live:
            break
        due = begin + int((seq * slots + slot) * interval_ns)
        wait = (due - time.monotonic_ns()) / 1e9
        if wait > 0:
            time.sleep(wait)
        member = live[(seq + spec.get("offset", 0)) % len(live)]
        now = time.monotonic_ns()
        sending.lag_us.append(max(0, now - due) // 1000)
        client_id = f"p{phase}.{worker}.{seq}.{now}"
        text = texts[(seq * 7 + worker) % len(texts)]
        try:
            member.sio.emit("send", {"room": member.room, "client_id": client_id, "text": text},
                            namespace=NAMESPACE, callback=sending.ack_callback(member.room, now))
        except Exception as exc:  # a dropped connection: counted, the phase goes on
            sending.errors[f"emit:{type(exc).__name__}"] += 1
            continue
        with sending.lock:
            sending.sent += 1
    # n sends at a steady rate span n intervals (the last one's interval included), counted
    # from this process's first due time.
    elapsed = (time.monotonic_ns() - begin - slot * interval_ns + step_ns) / 1e9
    deadline = time.monotonic() + spec.get("ack_timeout", 10.0)
    while time.monotonic() < deadline:
        with sending.lock:
            if sending.acked >= sending.sent:
                break
        time.sleep(0.01)
    with sending.lock:
        return {
            "sent": sending.sent, "acked": sending.acked,
            "published_by_room": dict(sending.published_by_room),
            "errors": dict(sending.errors), "send_elapsed_s": elapsed,
            "ack_us": list(sending.ack_us), "lag_us": sending.lag_us,
            "disconnected": sum(1 for m in members if m.disconnected),
        }


def wait_deliveries(deliveries: Deliveries, spec: dict) -> dict:
    """Wait (bounded) until the expected deliveries of a phase are in; report them."""
    deadline = time.monotonic() + spec["timeout"]
    while deliveries.count(spec["id"]) < spec["count"] and time.monotonic() < deadline:
        time.sleep(0.01)
    with deliveries.lock:
        return {"received": deliveries.count(spec["id"]),
                "duplicates": deliveries.duplicates[spec["id"]],
                "latencies_us": list(deliveries.latencies_us[spec["id"]]),
                "cpu_total_s": time.process_time()}


def worker_main(worker: int, port: int, members: list[dict], use_login: bool, texts: list[str],
                conn) -> None:
    """A client process: connect everyone, then obey the parent until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    deliveries = Deliveries()
    connected: list[Member] = []
    try:
        started = time.monotonic()
        for member in members:
            # With several server processes the plan names each member's own (a proxy pins a
            # client to one process); its login session is that process's too.
            own = member.get("port", port)
            cookie = (login(own, member["pseudonym"], member["password"], member["source_ip"])
                      if use_login else None)
            connected.append(_connect(own, member, member["index"], cookie, deliveries))
        conn.send(("ready", {"connected": len(connected),
                             "connect_s": round(time.monotonic() - started, 2)}))
        while True:
            if not conn.poll(600):
                break  # the parent is gone
            command, spec = conn.recv()
            if command == "phase":
                conn.send(("sent", run_phase(worker, connected, dict(spec, texts=texts))))
            elif command == "expect":
                conn.send(("received", wait_deliveries(deliveries, spec)))
            else:
                break
    except Exception as exc:  # the parent reports it and stops the run
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        for member in connected:
            try:
                member.sio.disconnect()
            except Exception:  # already gone
                pass
        conn.close()
