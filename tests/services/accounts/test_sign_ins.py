"""Sign-ins: staff sessions end after FORUM_STAFF_IDLE_MINUTES without a request or an event
(on their next request, or by the `accounts.idle_sign_ins` job), members' never do; the row is
written at most once a minute and keeps the hour it was last seen, not the minute. Only an admin,
freshly confirmed, ends another account's sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import AuditEvent, SignIn
from forum.services import clock, jobs
from forum.services.accounts import sign_ins, step_up
from tests.conftest import login

START = datetime(2026, 3, 2, 9, 17, 42, tzinfo=UTC)


@pytest.fixture
def moment(monkeypatch):
    """A settable clock: moment[0] is now."""
    now = [START]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _sign_in_of(client) -> int:
    with client.session_transaction() as session:
        return session["sign_in"]


def _row(sign_in_id: int) -> SignIn | None:
    db.session.expire_all()
    return db.session.get(SignIn, sign_in_id)


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_an_idle_staff_session_ends_on_its_next_request(app, moderator, moment):
    client = _client(app, moderator)
    sign_in_id = _sign_in_of(client)
    assert _row(sign_in_id).idle_deadline == START + timedelta(minutes=60)
    moment[0] = START + timedelta(minutes=59)
    assert _logged_in(client)  # used in time: the deadline moves on
    moment[0] = START + timedelta(minutes=59 + 60)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _row(sign_in_id) is None


def test_the_job_ends_idle_staff_sessions_and_leaves_members_alone(app, moderator, admin,
                                                                   member, moment):
    staff, boss, person = _client(app, moderator), _client(app, admin), _client(app, member)
    assert _row(_sign_in_of(person)).idle_deadline is None
    moment[0] = START + timedelta(minutes=30)
    assert _logged_in(boss)  # the admin was here half an hour later
    moment[0] = START + timedelta(minutes=61)
    assert "accounts.idle_sign_ins" in jobs.registered()
    done = jobs.run_due(clock.now(), force=True)
    assert done["accounts.idle_sign_ins"] == 1
    assert _row(_sign_in_of(staff)) is None
    assert _row(_sign_in_of(boss)) is not None
    moment[0] = START + timedelta(hours=30)  # a member's session has no idle deadline
    assert sign_ins.end_idle(clock.now()) == 1  # the admin's, now idle too
    assert _logged_in(person)
    assert not _logged_in(staff)


def test_the_idle_limit_follows_the_setting(app, moderator, moment):
    app.config["STAFF_IDLE_MINUTES"] = 15
    client = _client(app, moderator)
    moment[0] = START + timedelta(minutes=16)
    assert not _logged_in(client)


def test_a_staff_session_is_written_at_most_once_a_minute(app, moderator, moment):
    client = _client(app, moderator)
    sign_in_id = _sign_in_of(client)
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE SIGN_INS"):
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for seconds in (5, 20, 40, 59):
            moment[0] = START + timedelta(seconds=seconds)
            assert _logged_in(client)
        assert updates == []
        moment[0] = START + timedelta(seconds=61)
        assert _logged_in(client)
        assert len(updates) == 1
        assert _row(sign_in_id).idle_deadline == START + timedelta(seconds=61, minutes=60)
        moment[0] = START + timedelta(seconds=90)
        assert _logged_in(client)
        assert len(updates) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_members_session_is_written_once_an_hour_at_most(app, member, moment):
    client = _client(app, member)
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE SIGN_INS"):
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for minutes in (1, 10, 42):  # 09:17 to 09:59
            moment[0] = START + timedelta(minutes=minutes)
            assert _logged_in(client)
        assert updates == []
        moment[0] = START + timedelta(minutes=43)  # 10:00
        assert _logged_in(client)
        assert len(updates) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_last_seen_is_kept_to_the_hour(app, member, moment):
    client = _client(app, member)
    sign_in_id = _sign_in_of(client)
    row = _row(sign_in_id)
    assert row.created_at == START
    assert row.last_seen_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    moment[0] = datetime(2026, 3, 2, 13, 48, 5, tzinfo=UTC)
    assert _logged_in(client)
    assert _row(sign_in_id).last_seen_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def test_open_among_leaves_out_ended_and_idle_sign_ins(app, moderator, member, moment):
    staff, person, gone = _client(app, moderator), _client(app, member), _client(app, member)
    ids = [_sign_in_of(staff), _sign_in_of(person), _sign_in_of(gone)]
    assert sign_ins.do_end(member, ids[2])
    assert sign_ins.open_among(ids) == set(ids[:2])
    assert sign_ins.open_among(ids, START + timedelta(minutes=61)) == {ids[1]}
    assert sign_ins.open_among([]) == set()


# --- An admin ends every session of an account -------------------------------------------


@pytest.mark.parametrize("persona", ["member", "second_member", "facilitator", "moderator",
                                     "trained_moderator"])
def test_only_admins_may_end_an_accounts_sessions(app, request, make_user, persona):
    target = make_user("target-person")
    client = _client(app, target)
    acting = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        sign_ins.do_end_all_by_admin(acting, target)
    with pytest.raises(PermissionDenied):
        sign_ins.do_end_all_by_admin(None, target)
    assert _logged_in(client)


def test_an_admin_whose_roles_are_locked_may_not(app, admin, member):
    client = _client(app, member)
    admin.locked_roles = frozenset({"admin"})  # a sign-in without the second factor it needs
    try:
        with pytest.raises(PermissionDenied):
            sign_ins.do_end_all_by_admin(admin, member)
    finally:
        admin.locked_roles = frozenset()
    assert _logged_in(client)


def test_an_admin_must_have_confirmed_recently(app, admin, member, moment):
    client = _client(app, member)
    admin.sign_in = sign_ins.do_start(admin, second_factor=None)
    try:
        moment[0] = START + step_up.WINDOW + timedelta(seconds=1)
        with pytest.raises(step_up.StepUpRequired):
            sign_ins.do_end_all_by_admin(admin, member)
        assert _logged_in(client)
        step_up.do_mark(admin, "totp")
        assert sign_ins.do_end_all_by_admin(admin, member, reason="Lost phone") == 1
    finally:
        admin.sign_in = None
    assert not _logged_in(client)
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.sessions_ended"))
    assert audit.details["step_up"] == "totp" and audit.reason == "Lost phone"
