"""Soak: two forum processes under steady chat and page traffic for 30 minutes, measured each
minute. `python bench/soak.py` (or `make soak`); `--minutes N` for a shorter run, `--redraw` to
write the summary and chart again from the last results.

The deployment is the scale-out one (tests/fixtures/scaleout.py): two gunicorn processes as
`make serve` runs them (forum.gunicorn_conf, the production thread count and scheduler tick),
sharing one PostgreSQL database (created and dropped here, `forum_soak`) and one Redis database
(SOAK_REDIS_URL, database 10 by default, flushed before and after). The classifier is the
embedded fallback and the semantic layer is off, as in the chat benchmarks.

Load, all of it at once for the whole run:
- chat: 200 members in 10 rooms (real python-socketio clients in 4 client processes, the chat
  benchmark's, bench/chat_clients.py), member i on process (i // rooms) mod 2 so every room
  spans both and every message crosses Redis; 20 messages/s in all, evenly spaced, each
  delivered to the 20 members of its room;
- pages: 20 requests/s of signed-in members reading the home page, boards, threads and the
  room list, on keep-alive connections to both processes, on a fixed schedule (a request's
  latency counts from when it was due, so a stall is not hidden by the requests queued
  behind it).

Each minute records, per process, the worker's resident memory (VmRSS), open file
descriptors and threads (from /proc), and its CPU seconds; chat latency p50/p99 (send →
received, every member of the room, the sender's own copy included: 1 delivery in 20, as in
bench/chat_bench.py); page latency p50/p99; errors (refused or failed sends, lost or
duplicated deliveries, dropped chat connections, pages not answered 200). The summary checks,
from the baseline minute (5; 1 in runs under 10 minutes) to the last: resident memory growth of
each process at most 10 %, file descriptors and threads flat (within 5 % or 10, whichever is
more), the last minute's chat p99 within 1.5x of the baseline's, and zero errors.

Writes bench/results/soak.json after every minute (a stopped run keeps what it measured) and
bench/results/soak.png at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from chat_bench import PASSWORD, TEXTS
from chat_driver import Clients, assign_ports, plan_members
from serving import ROOT, machine, percentile

sys.path.insert(0, str(ROOT))

from tests.fixtures import scaleout as so

RESULTS = ROOT / "bench" / "results" / "soak.json"
CHART = ROOT / "bench" / "results" / "soak.png"
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/10")
DATABASE = "forum_soak"
READERS = 4  # page-reading members, two on each process
RSS_GROWTH_MAX = 0.10
FLAT_SHARE, FLAT_ABSOLUTE = 0.05, 10
P99_RATIO_MAX = 1.5


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def sample(pid: int | None) -> dict:
    """Resident memory (MiB), open file descriptors, threads and CPU seconds of one worker."""
    if pid is None:
        return {"pid": None}
    try:
        status = _status(pid)
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return {"pid": pid}
    return {"pid": pid, "rss_mib": round(int(status["VmRSS"].split()[0]) / 1024, 1),
            "fds": fds, "threads": int(status["Threads"].strip()),
            "cpu_s": round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)}


class Pages:
    """Signed-in members reading pages at a steady rate over keep-alive connections."""

    def __init__(self, readers: list[tuple[str, str]], paths: list[str], rate: float) -> None:
        self.readers, self.paths, self.rate = readers, paths, rate  # (base URL, cookie)
        self.lock = threading.Lock()
        self.latencies_ms: list[float] = []
        self.errors: dict[str, int] = {}
        self.requests = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(n,), daemon=True)
                        for n in range(len(readers))]

    def start(self) -> None:
        self.begin = time.monotonic() + 0.5
        for thread in self.threads:
            thread.start()

    def take(self) -> dict:
        """What was measured since the last take."""
        with self.lock:
            latencies, self.latencies_ms = sorted(self.latencies_ms), []
            errors, self.errors = self.errors, {}
            requests, self.requests = self.requests, 0
        return {"requests": requests, "errors": errors,
                "p50_ms": _round(percentile(latencies, 0.50)),
                "p99_ms": _round(percentile(latencies, 0.99)),
                "max_ms": _round(latencies[-1] if latencies else None)}

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def _read(self, n: int) -> None:
        base, cookie = self.readers[n]
        host, port = base.removeprefix("http://").split(":")
        readers = len(self.readers)
        interval = readers / self.rate  # each reader takes every readers-th slot
        rng = random.Random(n)
        conn = None
        k = 0
        while not self.stopping.is_set():
            due = self.begin + (k * readers + n) / self.rate
            k += 1
            wait = due - time.monotonic()
            if wait > 0 and self.stopping.wait(wait):
                break
            if wait < -interval * 50:  # far behind (the machine stalled): skip ahead
                k += int(-wait / interval)
            path = rng.choice(self.paths)
            error = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=30)
                conn.request("GET", path, headers={"Cookie": cookie,
                                                   "Accept-Encoding": "gzip"})
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    error = f"http {answer.status}"
                if answer.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            elapsed_ms = (time.monotonic() - due) * 1000
            with self.lock:
                self.requests += 1
                if error:
                    self.errors[error] = self.errors.get(error, 0) + 1
                else:
                    self.latencies_ms.append(elapsed_ms)
        if conn is not None:
            conn.close()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _page_paths(base: str, cookie: str, rooms: int) -> list[str]:
    """Pages a signed-in member reads: home, boards, threads found on them, the rooms."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/", headers={"Cookie": cookie})
        home = conn.getresponse().read().decode()
        boards = sorted(set(re.findall(r'href="(/c/[a-z0-9-]+)"', home)))[:6]
        threads: set[str] = set()
        for board in boards:
            conn.request("GET", board, headers={"Cookie": cookie})
            threads |= set(re.findall(r'href="(/t/\d+)"', conn.getresponse().read().decode()))
    finally:
        conn.close()
    paths = ["/", "/rooms"] + boards + sorted(threads)[:10] + [
        f"/rooms/bench-room-{r}" for r in range(1, min(rooms, 3) + 1)]
    if not boards or not threads:
        raise RuntimeError("the demo boards and threads were not found on the home page")
    return paths


def _errors(chat: dict, pages: dict) -> int:
    return (sum(chat["errors"].values()) + chat["lost"] + chat["duplicates"]
            + chat["disconnected"] + sum(pages["errors"].values()))


def checks(minutes: list[dict]) -> tuple[int, list[dict]]:
    """The soak's checks, from the baseline minute to the last."""
    last = minutes[-1]
    baseline_minute = 5 if len(minutes) >= 10 else 1
    base = minutes[baseline_minute - 1]
    out = []
    for i, (p0, p1) in enumerate(zip(base["processes"], last["processes"], strict=True)):
        growth = (p1["rss_mib"] - p0["rss_mib"]) / p0["rss_mib"]
        out.append({"check": f"process {i}: resident memory growth <= 10 %",
                    "value": f"{p0['rss_mib']} -> {p1['rss_mib']} MiB ({growth:+.1%})",
                    "pass": growth <= RSS_GROWTH_MAX})
        for key in ("fds", "threads"):
            slack = max(FLAT_ABSOLUTE, FLAT_SHARE * p0[key])
            values = [m["processes"][i][key] for m in minutes[baseline_minute - 1:]]
            out.append({"check": f"process {i}: {key} flat (within {FLAT_SHARE:.0%} or "
                                 f"{FLAT_ABSOLUTE})",
                        "value": f"{p0[key]} -> {p1[key]} (range {min(values)}-{max(values)})",
                        "pass": abs(p1[key] - p0[key]) <= slack})
    p99_0, p99_1 = base["chat"]["p99_ms"], last["chat"]["p99_ms"]
    out.append({"check": "chat p99 in the last minute <= 1.5x the baseline minute's",
                "value": f"{p99_0} -> {p99_1} ms",
                "pass": bool(p99_0 and p99_1 and p99_1 <= P99_RATIO_MAX * p99_0)})
    errors = sum(m["errors"] for m in minutes)
    out.append({"check": "zero errors", "value": errors, "pass": errors == 0})
    return baseline_minute, out


def chart(results: dict, path: Path) -> None:
    """The per-minute figures as a PNG: memory, descriptors and threads, latencies, errors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = results["minutes"]
    x = [m["minute"] for m in minutes]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    (mem, res), (chat, pages) = axes
    for i in range(len(minutes[0]["processes"])):
        mem.plot(x, [m["processes"][i]["rss_mib"] for m in minutes], marker=".",
                 label=f"process {i}")
        res.plot(x, [m["processes"][i]["fds"] for m in minutes], marker=".",
                 label=f"process {i} fds")
        res.plot(x, [m["processes"][i]["threads"] for m in minutes], marker=".", ls="--",
                 label=f"process {i} threads")
    base = minutes[results["summary"]["baseline_minute"] - 1]
    for i, process in enumerate(base["processes"]):
        mem.axhline(process["rss_mib"] * (1 + RSS_GROWTH_MAX), ls=":", lw=1, color=f"C{i}",
                    label=f"process {i}: +10 % of minute {base['minute']}")
    mem.set_title("worker resident memory (MiB)")
    res.set_title("open file descriptors and threads")
    chat.plot(x, [m["chat"]["p50_ms"] for m in minutes], marker=".", label="p50")
    chat.plot(x, [m["chat"]["p99_ms"] for m in minutes], marker=".", label="p99")
    chat.set_title(f"chat latency, send to received (ms), {results['config']['chat_rate']} msg/s")
    pages.plot(x, [m["pages"]["p50_ms"] for m in minutes], marker=".", label="p50")
    pages.plot(x, [m["pages"]["p99_ms"] for m in minutes], marker=".", label="p99")
    errors = pages.twinx()
    errors.bar(x, [m["errors"] for m in minutes], alpha=0.3, color="red", label="errors")
    errors.set_ylabel("errors per minute")
    errors.set_ylim(bottom=0, top=max(1, *(m["errors"] for m in minutes)) * 1.2)
    pages.set_title(f"page latency (ms), {results['config']['page_rate']} req/s; errors")
    for ax in (mem, res, chat, pages):
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left" if ax is mem else "upper left", fontsize=8)
        ax.set_ylim(bottom=0)
    # Room above the +10 % lines, so they show.
    mem.set_ylim(0, 1.2 * max([p["rss_mib"] for m in minutes for p in m["processes"]]
                              + [p["rss_mib"] for p in base["processes"]]))
    for ax in (chat, pages):
        ax.set_xlabel("minute")
    verdict = "all checks pass" if all(c["pass"] for c in results["summary"]["checks"]) \
        else "checks failed: " + "; ".join(c["check"] for c in results["summary"]["checks"]
                                           if not c["pass"])
    fig.suptitle(f"Soak: {results['config']['members']} members, two processes, "
                 f"{len(minutes)} minutes ({results['started_at'][:16]} UTC) - {verdict}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    members = [f"bench-member-{i:03d}" for i in range(args.members)]
    readers = [f"soak-reader-{n}" for n in range(READERS)]
    rooms = [f"bench-room-{r}" for r in range(1, args.rooms + 1)]

    def add_people(env: dict) -> None:
        so.add_members(env, members + readers, rooms, password=PASSWORD)

    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"members": args.members, "rooms": args.rooms, "processes": 2,
                   "chat_rate": args.rate, "page_rate": args.page_rate,
                   "minutes": args.minutes, "client_processes": args.client_processes,
                   "database": "postgresql", "redis": REDIS_URL,
                   "classifier": "fallback", "semantic": "off"},
        "note": ("The machine is shared: other work may run at the same time (see loadavg "
                 "per minute); latencies move with it, memory, descriptors and threads much "
                 "less."),
        "machine": machine(), "minutes": [],
    }
    # Production settings where the scale-out tests shorten them: threads, scheduler tick and
    # the chat rate limit (each member sends every 10 s here, under it).
    production = {"FORUM_THREADS": "200", "FORUM_JOBS_TICK_S": "30",
                  "FORUM_CHAT_RATE_LIMIT": "12 per 10 seconds", "FORUM_GRACEFUL_TIMEOUT": "20"}
    print(f"-- starting two processes ({DATABASE}, {REDIS_URL}) and "
          f"{args.members + READERS} members ...", flush=True)
    with so.deployment(tmp, DATABASE, redis_url=REDIS_URL, extra_env=production,
                       before_start=add_people) as (_env, processes):
        ports = [p.port for p in processes]
        plan = plan_members(args.members, args.rooms, args.client_processes, PASSWORD)
        assign_ports(plan, ports, args.rooms)
        clients = Clients(ports[0], plan, True, TEXTS)
        pages = None
        try:
            results["connect"] = clients.ready()
            print(f"-- {results['connect']['connected']} members connected in "
                  f"{results['connect']['connect_s']} s", flush=True)
            cookies = [so.login_cookie(processes[n % 2].url, name, PASSWORD,
                                       source_ip="127.0.0.30") for n, name in enumerate(readers)]
            paths = _page_paths(processes[0].url, cookies[0], args.rooms)
            results["config"]["page_paths"] = len(paths)
            pages = Pages([(processes[n % 2].url, c) for n, c in enumerate(cookies)], paths,
                          args.page_rate)
            pages.start()
            arbiters = [p.proc for p in processes]
            before = [sample(p.worker_pid()) for p in processes]
            for minute in range(1, args.minutes + 1):
                chat = clients.phase(minute, args.rate, 60.0, arbiters)
                now = [sample(p.worker_pid()) for p in processes]
                for s, b in zip(now, before, strict=True):
                    s["cpu_s_minute"] = round(s.get("cpu_s", 0) - b.get("cpu_s", 0), 2)
                before = now
                page = pages.take()
                record = {
                    "minute": minute, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "processes": now,
                    "chat": {k: chat[k] for k in (
                        "messages", "achieved_rate", "acked", "errors", "deliveries_expected",
                        "deliveries_received", "lost", "duplicates", "disconnected", "p50_ms",
                        "p99_ms", "max_ms", "ack_p99_ms")},
                    "pages": page, "loadavg_1m": round(os.getloadavg()[0], 2),
                }
                record["errors"] = _errors(chat, page)
                results["minutes"].append(record)
                _write(results, args.output)
                print(f"minute {minute:>2}: rss {[s.get('rss_mib') for s in now]} MiB, fds "
                      f"{[s.get('fds') for s in now]}, threads {[s.get('threads') for s in now]}"
                      f"; chat p50/p99 {chat['p50_ms']}/{chat['p99_ms']} ms; pages p50/p99 "
                      f"{page['p50_ms']}/{page['p99_ms']} ms ({page['requests']} requests); "
                      f"errors {record['errors']}; load {record['loadavg_1m']}", flush=True)
        finally:
            if pages is not None:
                pages.stop()
            clients.close()
    return results


def _write(results: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0, help="chat messages per second")
    parser.add_argument("--page-rate", type=float, default=20.0, help="page requests per second")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument("--redraw", action="store_true",
                        help="only the summary and chart again, from --output's results")
    args = parser.parse_args()
    if not so.services_up():
        print("the soak needs PostgreSQL and Redis on loopback", file=sys.stderr)
        return 2
    if args.redraw:  # the summary and chart again from a run's results
        results = json.loads(args.output.read_text())
        results["summary"] = dict(results.get("summary", {}), **summary(results["minutes"]))
        return finish(results, args)
    started = time.monotonic()
    results = run(args)
    if not results["minutes"]:
        return 2
    results["summary"] = summary(results["minutes"])
    results["summary"]["wall_s"] = round(time.monotonic() - started, 1)
    return finish(results, args)


def summary(minutes: list[dict]) -> dict:
    """The checks, and the chat p99 over five minutes at each end (one minute's p99 on a
    shared machine can be one burst of other work: shown beside the check, not a check)."""
    baseline, verdicts = checks(minutes)
    out = {"baseline_minute": baseline, "last_minute": len(minutes), "checks": verdicts,
           "all_pass": all(c["pass"] for c in verdicts)}
    if len(minutes) >= baseline + 9:
        p99 = [m["chat"]["p99_ms"] or 0.0 for m in minutes]
        out["chat_p99_median_ms"] = {
            f"minutes {baseline}-{baseline + 4}": statistics.median(p99[baseline - 1:baseline + 4]),
            f"last five, {len(p99) - 4}-{len(p99)}": statistics.median(p99[-5:])}
    return out


def finish(results: dict, args: argparse.Namespace) -> int:
    """Write the results and the chart, print the checks; exit status 1 if one failed."""
    verdicts = results["summary"]["checks"]
    _write(results, args.output)
    chart(results, args.chart)
    print()
    for check in verdicts:
        print(f"{'PASS' if check['pass'] else 'FAIL'}  {check['check']}: {check['value']}")
    print(f"\nresults: {args.output}, chart: {args.chart}")
    return 0 if results["summary"]["all_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
