"""What a chat send costs the database: the ack needs no reads after the commit, repeated
lookups inside one send are shared, and SQLite senders queue on one lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.services.accounts import standing
from forum.services.chat import memo as event_memo, messages as chat
from forum.services.meetings import access as meetings_access
from tests.fixtures import chat as chat_support, threads as threads_support

room = chat_support.room
screener = threads_support.screener


@pytest.fixture
def statements():
    """Every SQL statement run while the fixture is alive."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_ack_reads_nothing_after_the_commit(room, member, screener, statements):
    result = chat.check_send(room, "Hello all", "c-1", acting_user=member)
    statements.clear()
    ack = {"state": result.state, "message": result.to_dict(room)}
    assert statements == []
    assert ack["state"] == "published"
    assert ack["message"]["client_id"] == "c-1" and ack["message"]["author"] == "steady-heron"
    assert ack["message"] == chat.to_dict(result.message, room)  # the same as re-reading


def test_a_resend_acks_the_first_message(room, member, screener, statements):
    first = chat.check_send(room, "Hello all", "c-1", acting_user=member)
    again = chat.check_send(room, "Something else", "c-1", acting_user=member)
    assert again.duplicate
    assert again.to_dict(room)["id"] == first.message.id
    assert "Hello all" in again.to_dict(room)["text_html"]


def test_one_send_looks_its_rows_up_once(room, member, screener, statements):
    chat.check_send(room, "warming up", "c-0", acting_user=member)
    statements.clear()
    chat.check_send(room, "Hello all", "c-1", acting_user=member)
    meetings = [s for s in statements if "FROM meetings" in s]
    participants = [s for s in statements if "FROM room_participants" in s]
    controls = [s for s in statements if "FROM room_controls" in s]
    assert len(meetings) == 1, meetings
    assert len(participants) == 1 and len(controls) == 1


@pytest.mark.parametrize("muted", [True, False])
def test_the_account_comes_with_its_mutes(app, member, moderator, statements, muted):
    # Each request and event loads the account (auth_loader); a chat send then asks nothing
    # more to know whether a mute is in force.
    from forum.auth_loader import load_user
    from forum.services.review import sanctions

    if muted:
        sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator,
                                 days=1)
    from flask import session

    from forum.services.accounts import sign_ins

    session_id = member.get_id()
    sign_in_id = sign_ins.do_start(member, second_factor=None).id
    db.session.expunge_all()  # as a new event starts: nothing loaded yet
    statements.clear()
    with app.test_request_context():
        session["sign_in"] = sign_in_id
        user = load_user(session_id)
    with event_memo.reading():
        assert sanctions.is_muted(user) is muted
        assert standing.can_write(user) is not muted
    assert len(statements) == 1 and "FROM users" in statements[0]
    assert "sanctions" in statements[0]


def test_the_memo_only_lasts_while_reading(room, statements):
    def asked() -> int:
        return sum("FROM meetings" in s for s in statements)

    meetings_access.meeting_for_room(room)
    meetings_access.meeting_for_room(room)
    assert asked() == 2  # outside a send every call asks the database
    statements.clear()
    with event_memo.reading():
        assert meetings_access.meeting_for_room(room) is None
        assert meetings_access.meeting_for_room(room) is None
    assert asked() == 1
    statements.clear()
    meetings_access.meeting_for_room(room)
    assert asked() == 1


def test_sqlite_senders_take_turns_from_insert_to_commit(room, member, screener, monkeypatch):
    lock = _Recording()
    monkeypatch.setattr(chat, "_SQLITE_WRITE_LOCK", lock)
    at_insert: list[bool] = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO chat_messages"):
            at_insert.append(lock.held)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        chat.check_send(room, "Hello all", "c-1", acting_user=member)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    on_sqlite = db.engine.dialect.name == "sqlite"
    # SQLite: held at the INSERT, given back once the commit is done; elsewhere never taken.
    assert at_insert == [on_sqlite]
    assert lock.taken == (1 if on_sqlite else 0) and not lock.held


class _Recording:
    """A lock that tells whether it is held and how often it was taken."""

    def __init__(self):
        self.lock, self.held, self.taken = threading.RLock(), False, 0

    def __enter__(self):
        self.lock.acquire()
        self.held, self.taken = True, self.taken + 1
        return self

    def __exit__(self, *exc):
        self.held = False
        self.lock.release()


def test_history_reads_its_authors_in_one_query(room, member, make_user, screener, statements):
    authors = [member] + [make_user(f"quiet-author-{i}") for i in range(4)]
    for i, author in enumerate(authors * 2):
        chat.check_send(room, f"Message {i}", f"h-{i}", acting_user=author)
    names, viewer_id, room_id = [a.pseudonym for a in authors * 2], member.id, room.id
    db.session.expunge_all()  # nothing left in the session: every author must be read
    viewer, room = db.session.get(type(member), viewer_id), db.session.get(type(room), room_id)
    statements.clear()
    shown = chat.history(room, viewer)
    assert [m["author"] for m in shown] == names
    assert sum("FROM users" in s for s in statements) == 1, statements
    assert len(statements) <= 3, statements  # messages, authors (roles only if asked)
    statements.clear()
    caught_up = chat.messages_since(room, shown[1]["id"], viewer)
    assert len(caught_up) == len(shown) - 2
    assert sum("FROM users" in s for s in statements) <= 1, statements


def test_a_room_read_for_chat_brings_its_meeting_and_settings(room, member, screener,
                                                               statements):
    chat.check_send(room, "warming up", "c-0", acting_user=member)
    slug, member_id = room.slug, member.id
    db.session.expunge_all()
    member = db.session.get(type(member), member_id)
    statements.clear()
    loaded = chat.access_room(slug, member)
    chat.check_send(loaded, "Hello all", "c-1", acting_user=member)
    assert sum("FROM rooms" in s for s in statements) == 1
    assert not [s for s in statements if s.lstrip().startswith("SELECT meetings")]
    assert not [s for s in statements if s.lstrip().startswith("SELECT room_controls")]


def test_outside_a_send_the_room_s_loaded_meeting_is_not_trusted(app, room, statements):
    """A row read with the room answers only inside a send's reads: a meeting added since
    (here, in the same session) is found by every later call outside one."""
    from datetime import date, time

    from forum.models import Meeting

    loaded = chat.access_room(room.slug)
    assert meetings_access.meeting_for_room(loaded) is None
    db.session.add(Meeting(room_id=loaded.id, title="Tuesday circle", timezone="UTC",
                           start_date=date(2026, 12, 1), start_time=time(19, 0),
                           duration_minutes=60, rrule="FREQ=WEEKLY;BYDAY=TU",
                           format="check-in", language="en", capacity=20))
    db.session.flush()
    assert meetings_access.meeting_for_room(loaded) is not None
    with event_memo.reading():
        assert loaded.meeting is None  # what was read with the room, before the meeting
        assert meetings_access.meeting_for_room(loaded) is None


def _load_as_a_new_event(app, user):
    """The account as a new event loads it: through auth_loader, for a browser signed in with
    a sign-in of its own, nothing in the session."""
    from flask import session

    from forum.auth_loader import load_user
    from forum.services.accounts import sign_ins

    session_id = user.get_id()
    sign_in_id = sign_ins.do_start(user, second_factor=None).id
    db.session.expunge_all()
    with app.test_request_context():
        session["sign_in"] = sign_in_id
        return load_user(session_id)


@pytest.fixture
def fresh_account(app):
    """The account as a new event loads it: through auth_loader, nothing in the session."""
    return lambda user: _load_as_a_new_event(app, user)


def test_a_loaded_mute_stops_sending_until_it_ends(member, moderator, fresh_account,
                                                   monkeypatch):
    from datetime import timedelta

    from forum.services import clock
    from forum.services.review import sanctions

    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    user = fresh_account(member)
    with event_memo.reading():
        assert not standing.can_write(user)
    later = clock.now() + timedelta(days=1, minutes=1)
    with event_memo.reading():  # the same loaded mute, asked about a time after its end
        assert sanctions.is_muted(user, now=later) is False
    monkeypatch.setattr(clock, "now", lambda: later)
    user = fresh_account(member)
    assert user.unrevoked_mutes == []  # an ended mute is not even read
    with event_memo.reading():
        assert standing.can_write(user)


def test_a_loaded_overturned_mute_does_not_stop_sending(member, moderator, trained_moderator,
                                                        fresh_account):
    from forum.services.review import sanctions

    strike = sanctions.check_sanction(member, "mute", "Please take a day.",
                                      acting_user=moderator, days=1)
    appeal = sanctions.check_appeal(strike.id, "I was sharing my own story.", acting_user=member)
    sanctions.check_decide_appeal(appeal.id, True, "Relapse talk is welcome here.",
                                  acting_user=trained_moderator)
    user = fresh_account(member)
    assert user.unrevoked_mutes == []
    with event_memo.reading():
        assert standing.can_write(user)


def test_the_memo_sees_through_current_user(app, member):
    # Handlers pass current_user, a proxy: its row's loaded relationships still answer.
    from werkzeug.local import LocalProxy

    user = _load_as_a_new_event(app, member)
    proxy = LocalProxy(lambda: user)
    with event_memo.reading():
        assert event_memo.cached_or_loaded(("unrevoked_mutes", user.id), proxy,
                                           "unrevoked_mutes", lambda: pytest.fail("queried")) == []
