"""Review queue benchmark: the /review page with 10,000 open items.

Run as `python bench/queue_bench.py` (or `make bench`). Builds a SQLite database with the
migrations, bulk-inserts 10,000 open review items (mixed priorities and categories, posts
behind them), logs a trained moderator in, and renders the first page of the queue (and a
filtered page) through the Flask test client. Prints a table with PASS/FAIL against the
target (median and p95 under 100 ms) and writes bench/results/queue.json.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "queue.json"
ITEMS = 10_000
RUNS = 40
TARGET_MS = 100.0
PASSWORD = "a calm river at dawn"
CATEGORIES = ("crisis", "crisis-method", "overdose", "relapse", "pii", "sourcing", "harassment",
              "hate", "sexual", "spam")
PRIORITIES = ("urgent", "high", "normal", "low")


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _migrate(path: Path) -> None:
    env = dict(os.environ, FORUM_DATABASE_URL=f"sqlite:///{path}", FORUM_CLASSIFIER="fallback")
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "forum", "db",
                    "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)


def _fill(path: Path, board_id: int, author_id: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    con = sqlite3.connect(path)
    cur = con.cursor()
    created = _ts(now - timedelta(days=2))
    cur.execute("INSERT INTO threads (board_id, author_id, anonymous, title, visible, created_at,"
                " last_activity_at, reply_count, last_post_id) VALUES (?, ?, 0, 'Bench', 1, ?,"
                " ?, 0, 0)", (board_id, author_id, created, created))
    thread_id = cur.lastrowid
    posts, items = [], []
    for n in range(ITEMS):
        posts.append((thread_id, author_id, 1 if n == 0 else 0, 0,
                      f"Bench post {n}: please call me on 555-01{n % 100:02d}", "", 0, "held",
                      0, created))
    cur.executemany("INSERT INTO posts (thread_id, author_id, is_opening, anonymous, body_md,"
                    " body_html, renderer_version, status, visible, created_at) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
    first_post = cur.execute("SELECT min(id) FROM posts").fetchone()[0]
    for n in range(ITEMS):
        cat = rng.choice(CATEGORIES)
        prio = "urgent" if cat in ("crisis", "crisis-method", "overdose") else rng.choice(
            PRIORITIES[1:])
        at = _ts(now - timedelta(minutes=rng.randint(1, 60 * 24 * 7)))
        reasons = json.dumps([{"source": "rule", "id": f"bench-{cat}", "category": cat,
                               "span": [12, 20], "score": None}])
        items.append(("post", first_post + n, "open", "hold", json.dumps([cat]), prio,
                      PRIORITIES.index(prio), json.dumps(["pipeline"]), reasons, 0, at, at,
                      author_id, board_id))
    cur.executemany("INSERT INTO review_items (content_kind, content_id, status, action,"
                    " categories, priority, priority_rank, sources, reasons, report_count,"
                    " created_at, updated_at, author_id, board_id) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    con.commit()
    cur.execute("ANALYZE")
    con.close()


def main() -> int:
    """Build, fill, render, report."""
    from forum import create_app
    from forum.extensions import db
    from forum.services.accounts import account as accounts, guidelines, roles
    from forum.services.threads import boards

    tmp = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    path = tmp / "queue.sqlite3"
    _migrate(path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "CLASSIFIER": "fallback",
                      "ARGON2_FAST": True, "RATELIMIT_ENABLED": False,
                      "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789"})
    with app.app_context():
        version = guidelines.current_version().id
        mod = accounts.check_signup("bench-mod", PASSWORD, PASSWORD,
                                    agreed_guidelines_version=version).user
        roles.check_grant_role(mod, "moderator", acting_user=None)
        roles.check_record_training(mod, "crisis-response", completed_on=date.today(),
                                    expires_on=None, acting_user=None)
        author = accounts.check_signup("bench-author", PASSWORD, PASSWORD,
                                       agreed_guidelines_version=version).user
        roles.check_grant_role(author, "admin", acting_user=None)
        board = boards.check_save_board(None, slug="bench", name="Bench", description="",
                                        position=1, content_note=None, acting_user=author)
        ids = (board.id, author.id)
        db.session.remove()
    _fill(path, *ids)

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"pseudonym": "bench-mod", "password": PASSWORD,
                                "csrf_token": token})
    rows = []
    for label, url in (("queue, first page", "/review"),
                       ("queue, category filter", "/review?category=pii"),
                       ("queue, page 50", "/review?page=50")):
        for _ in range(5):
            assert client.get(url).status_code == 200
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        times.sort()
        median = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        rows.append({"page": label, "url": url, "items": ITEMS, "runs": RUNS,
                     "median_ms": round(median, 2), "p95_ms": round(p95, 2),
                     "target_ms": TARGET_MS, "pass": p95 < TARGET_MS})
    result = {"when": datetime.now(UTC).isoformat(), "python": platform.python_version(),
              "database": "sqlite", "rows": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'page':28} {'items':>7} {'median ms':>10} {'p95 ms':>8} {'target':>7}  result")
    for r in rows:
        print(f"{r['page']:28} {r['items']:>7} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f}"
              f" {r['target_ms']:>7.0f}  {'PASS' if r['pass'] else 'FAIL'}")
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
