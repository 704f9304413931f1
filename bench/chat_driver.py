"""The chat benchmark's parent side: plans who is where, drives the client processes
(bench/chat_clients.py) through one phase at a time and turns their answers into numbers."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from pathlib import Path

from chat_clients import worker_main
from serving import percentile


class Abort(Exception):
    """The run cannot go on (a client process failed, or the time budget ran out)."""


def plan_members(members: int, rooms: int, processes: int, password: str) -> list[list[dict]]:
    """Member i is in room i mod rooms, in client process i mod processes; logins come from
    several loopback addresses, 25 each, under the login form's per-address limit.
    assign_ports(plan, ports) then spreads members over several server processes."""
    plan: list[list[dict]] = [[] for _ in range(processes)]
    for i in range(members):
        plan[i % processes].append({
            "index": i, "pseudonym": f"bench-member-{i:03d}", "password": password,
            "room": f"bench-room-{i % rooms + 1}", "source_ip": f"127.0.0.{2 + i // 25}",
        })
    return plan


def assign_ports(plan: list[list[dict]], ports: list[int], rooms: int) -> None:
    """Member i goes to server (i // rooms) mod len(ports): every room then has members on
    every server (room i mod rooms alone would keep a room's members on one server whenever
    the counts share a factor), so each message crosses processes."""
    for members in plan:
        for member in members:
            member["port"] = ports[(member["index"] // rooms) % len(ports)]


def _arbiters(proc) -> list:
    return list(proc) if isinstance(proc, list | tuple) else [proc]


def worker_pids(proc) -> list[int]:
    """The gunicorn worker processes (children of each arbiter) of one or several servers."""
    pids = []
    for arbiter in _arbiters(proc):
        try:
            pids += [int(p) for p in Path(f"/proc/{arbiter.pid}/task/{arbiter.pid}/children")
                     .read_text().split()]
        except OSError:
            pass
    return pids


def _server_cpu_s(proc) -> float:
    """User + system CPU seconds of the gunicorn worker processes (children of the arbiter)."""
    total = 0.0
    for pid in worker_pids(proc):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def memory(proc) -> list[dict]:
    """Resident memory of each worker process now (VmRSS) and at its peak (VmHWM), in MiB."""
    out = []
    for pid in worker_pids(proc):
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status if ":" in line)
        kib = {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM") if k in fields}
        out.append({"pid": pid, "rss_mib": round(kib.get("VmRSS", 0) / 1024, 1),
                    "hwm_mib": round(kib.get("VmHWM", 0) / 1024, 1)})
    return out


class Clients:
    """The client processes of one server under test, driven over pipes."""

    def __init__(self, port: int, plan: list[list[dict]], use_login: bool, texts: list[str]):
        ctx = multiprocessing.get_context("spawn")
        self.rooms_by_worker = [Counter(m["room"] for m in members) for members in plan]
        self.room_sizes = sum(self.rooms_by_worker, Counter())
        self.procs, self.pipes = [], []
        for w, members in enumerate(plan):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(w, port, members, use_login, texts,
                                                         child), daemon=True)
            proc.start()
            child.close()
            self.procs.append(proc)
            self.pipes.append(parent)
        self.cpu_marks = [0.0] * len(plan)

    def _gather(self, expected: str, timeout: float) -> list[dict]:
        answers = []
        for pipe in self.pipes:
            try:
                if not pipe.poll(timeout):
                    raise Abort(f"a client process did not answer ({expected})")
                kind, body = pipe.recv()
            except (EOFError, OSError) as exc:
                raise Abort(f"a client process is gone ({expected})") from exc
            if kind == "error":
                raise Abort(f"client process failed: {body}")
            answers.append(body)
        return answers

    def ready(self, timeout: float = 180.0) -> dict:
        """Wait until every member is logged in, connected and in its room."""
        answers = self._gather("ready", timeout)
        return {"connected": sum(a["connected"] for a in answers),
                "connect_s": max(a["connect_s"] for a in answers)}

    def phase(self, phase_id: int, rate: float, duration: float, proc) -> dict:
        """One steady phase at `rate` messages/s (spread over the processes); its numbers."""
        total, workers = int(round(rate * duration)), len(self.pipes)
        cpu_before = _server_cpu_s(proc)
        # One schedule for every process (CLOCK_MONOTONIC is shared): send n of the phase is
        # due at start + n / rate and goes from process n mod workers, so the server sees
        # evenly spaced messages. Started separately, the processes sent in step, one burst
        # of `workers` messages per tick.
        start_ns = time.monotonic_ns() + 100_000_000
        for w, pipe in enumerate(self.pipes):
            count = total // workers + (1 if w < total % workers else 0)
            pipe.send(("phase", {"id": phase_id, "count": count, "rate": rate / workers,
                                 "duration": duration, "offset": phase_id,
                                 "start_ns": start_ns, "slot": w, "slots": workers}))
        sent = self._gather("phase", duration + 60)
        published: Counter = Counter()
        for s in sent:
            published.update(s["published_by_room"])
        expected_by_worker = [sum(published[room] * n for room, n in rooms.items())
                              for rooms in self.rooms_by_worker]
        for pipe, count in zip(self.pipes, expected_by_worker, strict=True):
            pipe.send(("expect", {"id": phase_id, "count": count, "timeout": 5.0}))
        received = self._gather("expect", 30)
        server_cpu = _server_cpu_s(proc) - cpu_before
        latencies = sorted(x for r in received for x in r["latencies_us"])
        acks = sorted(x for s in sent for x in s["ack_us"])
        lags = sorted(x for s in sent for x in s["lag_us"])
        client_cpu = sum(r["cpu_total_s"] for r in received) - sum(self.cpu_marks)
        self.cpu_marks = [r["cpu_total_s"] for r in received]
        errors: Counter = Counter()
        for s in sent:
            errors.update(s["errors"])
        messages = sum(s["sent"] for s in sent)
        expected = sum(expected_by_worker)
        got = sum(r["received"] for r in received)
        elapsed = max(s["send_elapsed_s"] for s in sent)

        def ms(values, q):
            value = percentile(values, q)
            return None if value is None else round(value / 1000, 2)

        return {
            "rate": rate, "duration_s": duration, "messages": messages,
            "achieved_rate": round(messages / elapsed, 1) if elapsed else 0.0,
            "acked": sum(s["acked"] for s in sent), "errors": dict(errors),
            "deliveries_expected": expected, "deliveries_received": got,
            "lost": max(0, expected - got), "duplicates": sum(r["duplicates"] for r in received),
            "p50_ms": ms(latencies, 0.50), "p99_ms": ms(latencies, 0.99),
            "max_ms": ms(latencies, 1.0), "ack_p50_ms": ms(acks, 0.50),
            "ack_p99_ms": ms(acks, 0.99), "send_lag_p99_ms": ms(lags, 0.99),
            "disconnected": max(s["disconnected"] for s in sent),
            "server_cpu_s": round(server_cpu, 2), "client_cpu_s": round(client_cpu, 2),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }

    def close(self) -> None:
        """Tell every process to stop; terminate the ones that do not."""
        for pipe in self.pipes:
            try:
                pipe.send(("stop", None))
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
