"""Page benchmark: thread page (20 posts) and board page, 10,000 and 1,000,000 posts.

Run as `python bench/pages_bench.py` (or `make bench`). For each size it builds a SQLite
database with the migrations, fills it with bulk inserts (not through the services), serves it
with gunicorn (gthread workers, the production-style server: 2 workers x 4 threads) on loopback,
and drives it as a logged-out visitor over a fixed number of keep-alive connections (8). Writes
bench/results/pages.json and prints a table with PASS/FAIL against the targets:
p99 at 1M posts <= 1.5x p99 at 10k posts; >= 300 requests/s for the thread page.

Load generator. The server and the load generator share the machine's two cores, so every
CPU cycle the generator spends is taken from the pages. The default is wrk (Debian's `wrk`
package, installed here when missing and run as root, as scripts/browser.sh does for Chromium),
one thread, with a small Lua script that picks the paths and reports p50/p99 from wrk's latency
histogram. Measured on this machine, wrk spends 0.09-0.13 ms of CPU per request against
0.16-0.20 ms for the asyncio client (the "generator_cpu_ms_per_request" field), and it records
latency in C, away from the Python event loop. The asyncio client stays available
(`--generator python`, also used when wrk cannot be had); the JSON records which one ran.

Server configuration. On two cores 2 workers x 4 threads cost the least server CPU per request
of 2x1, 2x2, 2x4, 3x2 and 4x2 (measured with wrk, 10,000 posts): fewer threads leave
connections waiting behind a slow request, more processes only add switching. It stays the
default (--workers/--threads to try others).

Each page's entry also carries the server's CPU time per request (all gunicorn processes, read
from /proc) and the 1-minute load average: on a shared, busy machine requests per second swing
with the other load, CPU per request much less. The servers are measured only once every worker
has finished starting (the health check reaches one worker only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serving import ROOT, machine, migrate, start_gunicorn, stop

sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "pages.json"
DATA_VERSION = 1  # bump when the generated data's shape changes
POSTS_PER_THREAD = 20
USERS = 2000
BOARDS = 6
TARGET_THREAD_RPS = 300.0
TARGET_P99_RATIO = 1.5

WORDS = (
    "today meeting sponsor craving walk coffee sleep steps honest hope tired proud slip day "
    "week month call friend family grateful anxious calm morning night group share listen "
    "breathe journal gym rain tea music work kids home church park river"
).split()


def _fmt_ts(moment: datetime) -> str:
    # The text format SQLAlchemy's SQLite DateTime writes and compares.
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _body(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 5)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
        sentences.append(" ".join(words).capitalize() + ".")
    text = " ".join(sentences)
    if rng.random() < 0.2:
        text = "**" + text.split(".")[0] + ".**\n\n" + text
    return text


def generate(path: Path, posts: int, seed: int = 4) -> dict:
    """Build the schema with the migrations, then bulk-insert users, boards, threads, posts."""
    from forum.moderation.render import RENDERER_VERSION, render_markdown

    marker = path.with_suffix(".ok")
    if path.exists() and marker.exists() and marker.read_text() == f"{DATA_VERSION}:{posts}":
        migrate(path)  # a database kept from an earlier run gets the newer migrations
        return json.loads(path.with_suffix(".json").read_text())
    for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    migrate(path)
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    # Bulk load without the search triggers, then index the visible posts in one statement.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'search_%'"
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    now = datetime.now(UTC)
    conn.executemany(
        "INSERT INTO users (id, pseudonym, pseudonym_key, password_hash, created_at, timezone,"
        " session_generation) VALUES (?, ?, ?, 'x', ?, 'UTC', 0)",
        [(i, f"bench-{i}", f"bench-{i}", _fmt_ts(now - timedelta(days=400)))
         for i in range(1, USERS + 1)],
    )
    conn.executemany(
        "INSERT INTO boards (id, slug, name, description, position, created_at)"
        " VALUES (?, ?, ?, '', ?, ?)",
        [(b, f"board-{b}", f"Board {b}", b, _fmt_ts(now)) for b in range(1, BOARDS + 1)],
    )
    samples = [_body(rng) for _ in range(200)]
    rendered = [(text, str(render_markdown(text))) for text in samples]
    thread_count = max(1, posts // POSTS_PER_THREAD)
    start = now - timedelta(days=365)
    span = (now - start).total_seconds()
    post_id = 0
    batch: list[tuple] = []
    threads_rows: list[tuple] = []
    for thread_id in range(1, thread_count + 1):
        created = start + timedelta(seconds=span * thread_id / (thread_count + 1))
        board_id = rng.randint(1, BOARDS)
        author = rng.randint(1, USERS)
        anonymous = rng.random() < 0.1
        moment = created
        for n in range(POSTS_PER_THREAD):
            post_id += 1
            moment = moment + timedelta(seconds=rng.randint(30, 3600))
            text, html = rng.choice(rendered)
            batch.append((
                post_id, thread_id, author if n == 0 else rng.randint(1, USERS), n == 0,
                anonymous if n == 0 else rng.random() < 0.1, text, html, RENDERER_VERSION,
                _fmt_ts(moment), _fmt_ts(moment),
            ))
        threads_rows.append((
            thread_id, board_id, author, anonymous, f"Thread {thread_id}: " + " ".join(
                rng.choice(WORDS) for _ in range(5)), _fmt_ts(created), _fmt_ts(moment),
            POSTS_PER_THREAD - 1, post_id,
        ))
        if len(batch) >= 50_000:
            _flush(conn, threads_rows, batch)
    _flush(conn, threads_rows, batch)
    conn.execute(
        "INSERT INTO search_posts (rowid, title, body) SELECT p.id,"
        " CASE WHEN p.is_opening THEN t.title ELSE '' END, p.body_md"
        " FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.visible = 1"
    )
    for _name, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    info = {"posts": post_id, "threads": thread_count, "users": USERS, "boards": BOARDS,
            "generate_s": round(time.perf_counter() - started, 1),
            "size_mb": round(path.stat().st_size / 1e6, 1)}
    path.with_suffix(".json").write_text(json.dumps(info))
    marker.write_text(f"{DATA_VERSION}:{posts}")
    return info


def _flush(conn: sqlite3.Connection, threads_rows: list, posts_rows: list) -> None:
    conn.executemany(
        "INSERT INTO threads (id, board_id, author_id, anonymous, title, visible, created_at,"
        " last_activity_at, reply_count, last_post_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        threads_rows,
    )
    conn.executemany(
        "INSERT INTO posts (id, thread_id, author_id, is_opening, anonymous, body_md, body_html,"
        " renderer_version, status, visible, created_at, published_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'published', 1, ?, ?)",
        posts_rows,
    )
    threads_rows.clear()
    posts_rows.clear()


def serve(path: Path, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    """Start gunicorn (gthread) on loopback and wait until it answers."""
    env = dict(
        os.environ,
        FORUM_DATABASE_URL=f"sqlite:///{path}",
        FORUM_SECRET_KEY=secrets.token_urlsafe(48),
        FORUM_CLASSIFIER="fallback",
    )
    proc, port = start_gunicorn("forum:create_app()", env, workers=workers, threads=threads,
                                extra_args=["--keep-alive", "30"], settle_s=0)
    _settle(proc.pid)
    return proc, port


def _settle(pgid: int, timeout: float = 60.0) -> None:
    """Wait until every worker has finished starting: the health check reaches one worker
    only, and another one still loading would be measured as page latency."""
    deadline = time.time() + timeout
    time.sleep(1)
    while time.time() < deadline:
        before = _group_cpu_seconds(pgid)
        time.sleep(1)
        if _group_cpu_seconds(pgid) - before < 0.03:
            return




def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the server's process group (master and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ... utime is field 14 and stime 15 of stat(5).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def ensure_wrk() -> str | None:
    """The wrk binary, installed from Debian when missing and this user may (as scripts/*.sh
    do for Chromium); None when it cannot be had."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("-- installing wrk (Debian package) for the load generator ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False,
                   capture_output=True)
    return shutil.which("wrk")


WRK_SCRIPT = """
local paths = {%(paths)s}
local count = #paths
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(count)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d, "
    .. "\\"p50_us\\": %%d, \\"p99_us\\": %%d, \\"mean_us\\": %%.1f}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


def _wrk_load(wrk: str, port: int, paths: list[str], concurrency: int, duration: float) -> dict:
    """Drive the server with wrk (one thread, `concurrency` keep-alive connections)."""
    script = ROOT / "instance" / "bench" / f"wrk-{os.getpid()}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths),
                                    "seed": len(paths)})
    url = f"http://127.0.0.1:{port}"
    base = [wrk, "-t1", f"-c{concurrency}", "--timeout", "10s", "-s", str(script)]
    try:
        out = subprocess.run([*base, "--latency", f"-d{max(1, round(duration))}s", url],
                             check=True, capture_output=True, text=True).stdout
    finally:
        script.unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    return {
        "requests": raw["requests"],
        "errors": raw["errors"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
    }


def measure(generator: str, wrk: str | None, proc: subprocess.Popen, port: int,
            paths: list[str], args: argparse.Namespace) -> dict:
    """One page's load run, with the CPU the server and the load generator spent on it."""
    def run_load(duration: float) -> dict:
        if generator == "wrk":
            return _wrk_load(wrk, port, paths, args.concurrency, duration)
        return asyncio.run(_load(port, paths, args.concurrency, duration, 0.0))

    if args.warmup > 0:
        run_load(args.warmup)
    server_before = _group_cpu_seconds(proc.pid)
    own_before = time.process_time()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_load(args.duration)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = (time.process_time() - own_before + children.ru_utime + children.ru_stime
                     - children_before.ru_utime - children_before.ru_stime)
    server_cpu = _group_cpu_seconds(proc.pid) - server_before
    # CPU per request (measured run only): comparable between runs on a busy machine, where
    # requests per second are not.
    result["server_cpu_ms_per_request"] = round(server_cpu * 1000 / max(result["requests"], 1), 2)
    result["generator_cpu_ms_per_request"] = round(
        generator_cpu * 1000 / max(result["requests"], 1), 2)
    return result


async def _one_connection(port: int, paths: list[str], until: float, warm_until: float,
                          latencies: list[float], errors: list[int], rng: random.Random):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            path = rng.choice(paths)
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            finished = time.perf_counter()
            if status != 200:
                errors.append(status)
            if started >= warm_until:
                latencies.append(finished - started)
    finally:
        writer.close()


async def _load(port: int, paths: list[str], concurrency: int, duration: float,
                warmup: float) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    warm_until = begin + warmup
    until = warm_until + duration
    await asyncio.gather(*(
        _one_connection(port, paths, until, warm_until, latencies, errors, random.Random(i))
        for i in range(concurrency)
    ))
    elapsed = time.perf_counter() - warm_until
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }


def _paths(path: Path, rng: random.Random) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    count = conn.execute("SELECT max(id) FROM threads").fetchone()[0]
    conn.close()
    sample = sorted({rng.randint(1, count) for _ in range(500)})
    return {
        "thread": [f"/t/{t}" for t in sample],
        "board": [f"/c/board-{b}" for b in range(1, BOARDS + 1)],
    }


def run(args: argparse.Namespace) -> dict:
    """Generate, serve and measure each size; return the results."""
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict = {"sizes": {}}
    for size in sizes:
        db_path = data_dir / f"pages-{size}.sqlite3"
        print(f"-- {size:,} posts: generating {db_path} ...", flush=True)
        info = generate(db_path, size)
        proc, port = serve(db_path, args.workers, args.threads)
        try:
            paths = _paths(db_path, random.Random(size))
            entry = {"data": info}
            for page, urls in paths.items():
                entry[page] = measure(args.generator, args.wrk, proc, port, urls, args)
                entry[page]["loadavg_1m"] = round(os.getloadavg()[0], 2)
                print(f"   {page:6s} {entry[page]}", flush=True)
            results["sizes"][str(size)] = entry
        finally:
            stop(proc)
    return results


def verdicts(results: dict, small: str, large: str) -> list[dict]:
    """The targets, each with its measured value and PASS/FAIL."""
    out = []
    sizes = results["sizes"]
    for page in ("thread", "board"):
        if small in sizes and large in sizes:
            ratio = sizes[large][page]["p99_ms"] / max(sizes[small][page]["p99_ms"], 1e-6)
            out.append({"target": f"{page} p99 at {int(large):,} <= {TARGET_P99_RATIO}x p99 at "
                                  f"{int(small):,}", "value": round(ratio, 2),
                        "pass": ratio <= TARGET_P99_RATIO})
    for size in sizes:
        rps = sizes[size]["thread"]["rps"]
        out.append({"target": f"thread page >= {TARGET_THREAD_RPS:.0f} req/s at "
                              f"{int(size):,} posts", "value": rps,
                    "pass": rps >= TARGET_THREAD_RPS})
    for size in sizes:
        for page in ("thread", "board"):
            errors = sizes[size][page]["errors"]
            out.append({"target": f"{page} no errors at {int(size):,}", "value": errors,
                        "pass": errors == 0})
    return out


def _generator_label(args: argparse.Namespace) -> str:
    if args.generator == "wrk":
        version = subprocess.run([args.wrk, "-v"], capture_output=True, text=True)
        first = (version.stdout or version.stderr).strip().splitlines()[:1]
        return f"wrk -t1 -c{args.concurrency} ({first[0] if first else 'wrk'})"
    return f"python asyncio client, {args.concurrency} connections"


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per page")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--data-dir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator: wrk (installed when missing), or the Python client")
    args = parser.parse_args()
    args.wrk = ensure_wrk() if args.generator in ("auto", "wrk") else None
    if args.generator == "wrk" and args.wrk is None:
        parser.error("wrk is not installed and cannot be installed by this user")
    args.generator = "wrk" if args.wrk else "python"
    load_before = os.getloadavg()
    results = run(args)
    sizes = sorted(results["sizes"], key=int)
    checks = verdicts(results, sizes[0], sizes[-1])
    results.update({
        "machine": machine(),
        "server": f"gunicorn -k gthread -w {args.workers} --threads {args.threads}",
        "load": {"connections": args.concurrency, "duration_s": args.duration,
                 "warmup_s": args.warmup, "viewer": "logged-out visitor",
                 "generator": _generator_label(args)},
        "loadavg": {"before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in os.getloadavg()]},
        "checks": checks,
        "measured_at": datetime.now(UTC).isoformat(),
    })
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print()
    print(f"load generator: {results['load']['generator']}; load average before "
          f"{results['loadavg']['before'][0]}, after {results['loadavg']['after'][0]}")
    print(f"{'posts':>10} {'page':7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
          f" {'srv CPU ms/req':>15}")
    for size in sizes:
        for page in ("thread", "board"):
            r = results["sizes"][size][page]
            print(f"{int(size):>10,} {page:7} {r['rps']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8}"
                  f" {r['errors']:>6} {r['server_cpu_ms_per_request']:>15}")
    print()
    for check in checks:
        print(f"{'PASS' if check['pass'] else 'FAIL'}  {check['target']}: {check['value']}")
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    return 0 if all(c["pass"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
