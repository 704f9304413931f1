"""Chat benchmark across two forum processes joined by Redis: `python bench/chat_bench_redis.py`
(or `make bench`; `--quick` for a short smoke run).

The same members, rooms, clients, metrics and targets as bench/chat_bench.py, with two forum
processes (gunicorn, one gthread worker each, on two loopback ports) sharing one database and
one Redis (FORUM_REDIS_URL, database 12, flushed before and after). Member i connects to process
(i // rooms) mod 2, so every room has members on both and each message reaches half of its
room through Redis. The database is PostgreSQL (a bench database created and dropped here, as
two processes would share in production) unless --database sqlite. The bare python-socketio
server the forum is compared with runs in the same run and in the same shape: two processes
joined by the same Redis (socketio.RedisManager), members spread the same way, so the ratio
measures what the forum adds, not what the second process and Redis cost. The bare server on
one process, the one-process benchmark's reference, runs too and its ratio is reported beside
(not a target). Also records each forum worker's resident memory (VmRSS now, VmHWM at its
peak, from /proc/<pid>/status) once everyone is connected and at the end.

Writes bench/results/chat-redis.json (chat-redis-quick.json for --quick).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from chat_bench import (
    ROOT,
    _print_row,
    bounded,
    build_database,
    finish,
    forum_env,
    options,
    serve_and_measure,
)
from chat_driver import Abort, plan_members

RESULTS = ROOT / "bench" / "results" / "chat-redis.json"
QUICK_RESULTS = ROOT / "bench" / "results" / "chat-redis-quick.json"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "forum_chat_bench_redis"
PASSWORD = "a calm river at dawn"
PROCESSES = 2


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


def _pg_admin(statement: str) -> None:
    import psycopg

    dsn = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def _database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'chat.sqlite3'}"
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_DATABASE}")
    return f"{PG_SERVER}/{PG_DATABASE}"


def run(args, tmp: Path) -> dict:
    """The forum on two processes through Redis, then the bare server the same way, then the
    bare server on one process."""
    try:
        _flush_redis()
        url = _database(args.database, tmp)
    except Exception as exc:  # no Redis or PostgreSQL here: nothing to measure
        raise Abort(f"needs Redis at {REDIS_URL} and PostgreSQL at {PG_SERVER}: {exc}") from exc
    try:
        print(f"-- building {args.database} database ({args.members} members, "
              f"{args.rooms} rooms) ...", flush=True)
        results: dict = {"data": build_database(url, args.members, args.rooms),
                         "database": args.database, "redis": REDIS_URL,
                         "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
        plan = plan_members(args.members, args.rooms, args.processes, PASSWORD)
        env = forum_env(url, FORUM_REDIS_URL=REDIS_URL)
        results["forum"] = serve_and_measure("forum", env, plan, args, tmp, copies=PROCESSES)
        _flush_redis()
        results["bare"] = serve_and_measure("bare", dict(os.environ, BARE_REDIS_URL=REDIS_URL),
                                            plan, args, tmp, copies=PROCESSES)
        _flush_redis()
        results["bare_one_process"] = serve_and_measure("bare", dict(os.environ), plan, args,
                                                        tmp)
        forum_max, one_max = results["forum"]["max_steady_rate"], \
            results["bare_one_process"]["max_steady_rate"]
        results["ratio_to_bare_one_process"] = (round(forum_max / one_max, 2)
                                                if forum_max and one_max else None)
    finally:
        _flush_redis()
        if args.database == "postgresql":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    return results


def _summary(results: dict, verdicts: list[dict], output: Path) -> None:
    forum = results["forum"]
    print(f"\nsteady {forum['steady']['rate']:.0f} messages/s, {results['clients']['members']} "
          f"members in {results['clients']['rooms']} rooms; forum and bare: {PROCESSES} "
          f"processes joined by Redis (forum on {results['database']}); bare one: one process")
    for name, label in (("forum", "forum"), ("bare", "bare"), ("bare_one_process", "bare one")):
        r = results[name]
        _print_row(label, r["steady"])
        print(f"   {label} highest steady rate {r['max_steady_rate']} msg/s, first failing "
              f"{r['first_failing_rate']}")
    print(f"   forum / bare on one process (not a target): "
          f"{results['ratio_to_bare_one_process']}")
    for m in forum["memory"]:
        print(f"   forum worker {m['pid']}: VmRSS {m['rss_mib']} MiB, VmHWM {m['hwm_mib']} MiB")
    print(f"load average (1, 5, 15 min) at the end: {results['machine']['loadavg_1_5_15']}, "
          f"at the start: {results['loadavg_start']}\n")
    for check in verdicts:
        print(f"{'PASS' if check['pass'] else 'FAIL'}  {check['target']}: {check['value']}")
    print(f"\nresults: {output.relative_to(ROOT)}")


def main() -> int:
    """Command-line entry point."""
    def extra(parser):
        parser.add_argument("--database", choices=("postgresql", "sqlite"),
                            default="postgresql")

    args = options(__doc__.splitlines()[0], extra)
    started = time.monotonic()
    results = bounded(args, run, Path(tempfile.mkdtemp(prefix="chat-bench-redis-")))
    if results is None:
        return 2
    return finish(
        results, args, started, (RESULTS, QUICK_RESULTS), _summary,
        server_note=f"forum and bare: {PROCESSES} gunicorn processes (one gthread worker each) "
                    f"joined by Redis (the forum's FORUM_REDIS_URL, the bare server's "
                    f"RedisManager), the forum sharing one database; member i on process "
                    f"(i // rooms) mod {PROCESSES}; bare_one_process: the bare server on one "
                    f"process, reported beside (ratio_to_bare_one_process), not a target",
        memory_note="per forum worker process, MiB: VmRSS and VmHWM from /proc/<pid>/status "
                    "(memory_connected: everyone connected; memory: at the end)")


if __name__ == "__main__":
    sys.exit(main())
