"""A small demo community for first runs: boards, rooms and a few accounts."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import date

import pyotp
from sqlalchemy import select

from ..extensions import db
from ..models import Board, Room
from . import clock, transaction
from .accounts import account as accounts, guidelines, roles, staff_gate, two_factor
from .meetings import schedule as meetings
from .threads import posts, reading as threads

log = logging.getLogger("forum.demo")

BOARDS = [
    ("introductions", "Introductions", "Say hello and share as much or as little as you like."),
    ("daily-check-ins", "Daily check-ins", "How are you today? One line is enough."),
    (
        "setbacks-and-relapse",
        "Setbacks and relapse",
        "Slips and relapses happen. Talk about them here without shame.",
    ),
    ("wins-and-milestones", "Wins and milestones", "Days, months, years, and small wins."),
    ("family-and-friends", "Family and friends", "For the people who love someone in recovery."),
    ("ask-the-community", "Ask the community", "Questions for people further along the road."),
]
ROOMS = [
    ("coffee-room", "Coffee room", "Always open. Pull up a chair.", True, False),
    ("night-owls", "Night owls", "For the hard hours. Always open.", True, False),
    (
        "anonymous-share",
        "Anonymous share",
        "Every author here shows as Anonymous member.",
        True,
        True,
    ),
]
# No name says a role (pseudonyms.ROLE_WORDS): roles change, names stay, and the staff badge
# beside a name is what tells members who is staff.
ACCOUNTS = [
    ("steady-heron", ()),
    ("morning-cedar", ()),
    ("sam-lantern", ("facilitator",)),
    ("rowan-pine", ("moderator",)),
    ("jo-meadow", ("admin", "moderator", "supervisor")),
]


def totp_secret(pseudonym: str, password: str) -> str:
    """The demo staff accounts' authenticator secret: derived from the public demo password,
    so `flask --app forum demo-code NAME` can show a code without reading the database."""
    digest = hashlib.sha256(f"demo-totp:{pseudonym}:{password}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def demo_code(pseudonym: str, password: str) -> str | None:
    """The current sign-in code of a demo staff account (None for any other name)."""
    if not any(name == pseudonym and set(granted) & set(staff_gate.ALWAYS)
               for name, granted in ACCOUNTS):
        return None
    return pyotp.TOTP(totp_secret(pseudonym, password)).now()


def seed_demo(password: str) -> bool:
    """Create the demo community once; returns False when it already exists."""
    if db.session.scalar(select(Board.id).limit(1)) is not None:
        return False
    for position, (slug, name, description) in enumerate(BOARDS):
        db.session.add(Board(slug=slug, name=name, description=description, position=position))
    for slug, title, description, always_open, anonymous in ROOMS:
        db.session.add(
            Room(
                slug=slug,
                title=title,
                description=description,
                always_open=always_open,
                anonymous=anonymous,
            )
        )
    transaction.commit()
    version = guidelines.current_version().id
    for pseudonym, granted in ACCOUNTS:
        if accounts.find_by_pseudonym(pseudonym) is not None:
            continue
        user = accounts.check_signup(
            pseudonym, password, password, agreed_guidelines_version=version
        ).user
        for role in granted:
            roles.check_grant_role(user, role, acting_user=None)
        if staff_gate.second_factor_required(user):
            # Staff need a second factor; the demo's is an app holding a public secret.
            two_factor.enrol_known_secret(user, totp_secret(pseudonym, password))
            transaction.commit()
        if "moderator" in granted:
            roles.check_record_training(
                user,
                "crisis-response",
                completed_on=date.today(),
                expires_on=None,
                acting_user=None,
            )
    _seed_threads()
    _seed_meetings()
    log.info("demo community created")
    return True


DEMO_THREADS = [
    ("introductions", "steady-heron", "Hello from a first-timer",
     "I'm a few weeks in and mostly reading. Glad this place exists.", False, None,
     [("morning-cedar", "Welcome! Reading is a fine way to start. Post whenever you like.")]),
    ("daily-check-ins", "morning-cedar", "Tuesday check-in",
     "Slept badly but went to my meeting. One day at a time.", False, None,
     [("steady-heron", "Proud of you for going anyway.")]),
    ("setbacks-and-relapse", "steady-heron", "I slipped last weekend",
     "I had a drink at a wedding. I'm back at day one and trying not to hate myself.", True,
     "relapse", [("morning-cedar", "Coming back is the brave part. Day one counts.")]),
    ("wins-and-milestones", "morning-cedar", "90 days today",
     "**Ninety days.** I didn't think I'd see this. Thank you all.", False, None, []),
]


def _seed_threads() -> None:
    """A few demo conversations, written through the same screened services as members'."""
    for slug, author, title, body, anonymous, note, replies in DEMO_THREADS:
        user = accounts.find_by_pseudonym(author)
        board = db.session.scalar(select(Board).where(Board.slug == slug))
        if user is None or board is None:
            continue
        result = posts.check_create_thread(
            board, title, body, anonymous=anonymous, content_note=note, acting_user=user,
            confirm_hold=True,
        )
        thread = threads.access_thread(result.post.thread_id, user)
        for replier, text in replies:
            other = accounts.find_by_pseudonym(replier)
            if other is not None and thread.visible:
                posts.check_reply(thread, text, anonymous=False, content_note=None,
                                  acting_user=other, confirm_hold=True)


DEMO_MEETINGS = [
    {"title": "Evening check-in circle",
     "description": "A round of check-ins: how today went, in a line or a paragraph. Passing is"
                    " always fine. Newcomers welcome.",
     "start_time": "19:00", "timezone": "Europe/London", "duration": "60",
     "recurrence": "weekly", "weekdays": ["MO", "WE", "FR"], "format": "check-in",
     "language": "en", "accessibility": ["newcomer", "text-only", "captions"],
     "capacity": "25"},
    {"title": "Saturday topic: handling cravings",
     "description": "A small topic meeting. The facilitator opens with a question about"
                    " cravings and what helps; then we share.",
     "start_time": "11:00", "timezone": "America/New_York", "duration": "45",
     "recurrence": "weekly", "weekdays": ["SA"], "format": "topic", "language": "en",
     "accessibility": ["text-only"], "capacity": "12"},
]


def _seed_meetings() -> None:
    """Two weekly meetings hosted by sam-lantern, a facilitator, scheduled through the screened
    service."""
    host = accounts.find_by_pseudonym("sam-lantern")
    if host is None:
        return
    for plan in DEMO_MEETINGS:
        data = dict(plan, start_date=clock.now().date().isoformat(), cohost="")
        meetings.check_schedule(data, acting_user=host)
