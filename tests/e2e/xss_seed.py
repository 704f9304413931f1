"""Put every XSS vector into a live forum's database through the services, before it serves.

`python -m tests.e2e.xss_seed MANIFEST.json` (with the live server's FORUM_* environment) writes
thread titles and bodies, anonymous replies, chat messages, room titles, report reasons and
meeting titles and descriptions, all screened as members' text is, and records what was stored
(and what the pipeline refused) in the manifest for the browser test. The HTTP path of each kind
is exercised by the test itself.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from forum import create_app
from forum.errors import ForumError
from forum.extensions import db
from forum.models import Board, Room
from forum.moderation.verdict import Reason, Verdict
from forum.services import clock, review_queue
from forum.services.accounts import account as accounts
from forum.services.chat import messages as chat
from forum.services.meetings import schedule as meetings
from forum.services.meetings.plan import DESCRIPTION_MAX, TITLE_MAX
from forum.services.threads import boards, posts, reports
from tests.xss_vectors import VECTORS

BOARD = "xss-lab"
CHAT_ROOMS = 5  # the join history shows 50 messages: spread the vectors over a few rooms
REASON_MAX = 1000


def _try(outcomes: Counter, kind: str, action):
    try:
        result = action()
    except ForumError as exc:
        db.session.rollback()
        outcomes[f"{kind} refused ({exc.code})"] += 1
        return None
    outcomes[f"{kind} stored"] += 1
    return result


def _reasons(limit: int = REASON_MAX) -> list[str]:
    """The vectors joined into texts of at most `limit` characters (report reasons...)."""
    chunks, current = [], ""
    for vector in VECTORS:
        if current and len(current) + 1 + len(vector.text) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{vector.text}" if current else vector.text
    return chunks + [current]


def seed() -> dict:
    """Store every vector in every kind of text; return the manifest."""
    author = accounts.find_by_pseudonym("steady-heron")
    replier = accounts.find_by_pseudonym("morning-cedar")
    admin = accounts.find_by_pseudonym("jo-meadow")
    board = boards.check_save_board(None, slug=BOARD, name="XSS lab", description="",
                                    position=99, content_note=None, acting_user=admin)
    outcomes: Counter = Counter()
    threads, posts_to_report, opening = [], [], {}
    for vector in VECTORS:
        result = _try(outcomes, "thread", lambda v=vector: posts.check_create_thread(
            board, v.text, v.text, anonymous=False, content_note=None, acting_user=author,
            confirm_hold=True))
        if result is None:  # the title may be refused (too short, blocked): body alone then
            result = _try(outcomes, "thread (plain title)", lambda v=vector: (
                posts.check_create_thread(board, f"Vector {v.id}", v.text, anonymous=False,
                                          content_note=None, acting_user=author,
                                          confirm_hold=True)))
        if result is None:
            continue
        thread = result.post.thread
        threads.append(thread.id)
        posts_to_report.append(result.post.id)
        opening[vector.id] = result.post.id
        if thread.visible:
            _try(outcomes, "reply", lambda v=vector, t=thread: posts.check_reply(
                t, v.text, anonymous=True, content_note=None, acting_user=replier,
                confirm_hold=True))

    chat_rooms = []
    for index in range(CHAT_ROOMS):
        room = Room(slug=f"xss-chat-{index}", title=VECTORS[index].text, description="",
                    anonymous=False, always_open=True)
        db.session.add(room)
        chat_rooms.append(room)
    # Every other vector becomes a room title, listed on /rooms.
    for vector in VECTORS[CHAT_ROOMS:]:
        db.session.add(Room(slug=f"xss-room-{vector.id}", title=vector.text[:200],
                            description=vector.text, anonymous=False, always_open=True))
    db.session.commit()
    outcomes["room title stored"] += len(VECTORS)
    per_room = -(-len(VECTORS) // CHAT_ROOMS)
    in_room: Counter = Counter()
    for position, vector in enumerate(VECTORS):
        room = chat_rooms[position // per_room]
        if _try(outcomes, "chat message", lambda v=vector, r=room: chat.check_send(
                r, v.text, str(uuid.uuid4()), acting_user=author)):
            in_room[room.slug] += 1

    review_items = []
    flagged = Verdict(action="flag", categories=("harassment",), priority="normal",
                      reasons=(Reason("rule", "xss-lab", "harassment"),))
    for reason, post_id in zip(_reasons(), posts_to_report, strict=False):
        report = _try(outcomes, "report reason", lambda r=reason, p=post_id: (
            reports.check_report(p, r, acting_user=replier)))
        if report is not None:
            # Show each reason on a review page of its own, as a flagged reason would be.
            item = review_queue.do_enqueue("report", report.id, verdict=flagged)
            db.session.commit()
            review_items.append(item.id)
    return {
        "meetings": _seed_meetings(outcomes),
        "board": BOARD,
        "threads": threads,
        "opening_posts": opening,
        "chat_rooms": {room.slug: in_room[room.slug] for room in chat_rooms},
        "review_items": review_items,
        "outcomes": dict(sorted(outcomes.items())),
        "vectors": len(VECTORS),
    }


def _meeting(title: str, description: str) -> dict:
    # One session tomorrow: every meeting is listed on /meetings, in one page.
    tomorrow = clock.now().date() + timedelta(days=1)
    return {"title": title, "description": description, "start_date": tomorrow.isoformat(),
            "start_time": "12:00", "timezone": "UTC", "duration": "60", "recurrence": "once",
            "weekdays": [], "format": "topic", "language": "en", "accessibility": [],
            "capacity": "10", "cohost": ""}


def _seed_meetings(outcomes: Counter) -> dict:
    """A meeting per vector as its title; the vectors joined into a few descriptions."""
    host = accounts.find_by_pseudonym("sam-lantern")
    # An established facilitator: a brand-new account's links wait for a moderator, and a
    # meeting that would wait is refused, which would keep the link vectors out.
    host.created_at = clock.now() - timedelta(days=90)
    db.session.commit()
    titles: dict[str, int] = {}
    for vector in VECTORS:
        meeting = _try(outcomes, "meeting title", lambda v=vector: meetings.check_schedule(
            _meeting(v.text[:TITLE_MAX], ""), acting_user=host))
        if meeting is not None:
            titles[str(vector.id)] = meeting.id
    described = []
    for number, text in enumerate(_reasons(DESCRIPTION_MAX), start=1):
        meeting = _try(outcomes, "meeting description", lambda t=text, n=number: (
            meetings.check_schedule(_meeting(f"Described {n}", t), acting_user=host)))
        if meeting is not None:
            described.append(meeting.id)
    return {"host": host.pseudonym, "titles": titles, "descriptions": described,
            "description_batches": len(_reasons(DESCRIPTION_MAX))}


def main() -> None:
    """Seed and write the manifest to the path given on the command line."""
    app = create_app()
    with app.app_context():
        assert db.session.scalar(select(Board.id).where(Board.slug == BOARD)) is None
        manifest = seed()
    with open(sys.argv[1], "w") as out:
        json.dump(manifest, out, indent=2)


if __name__ == "__main__":
    main()
