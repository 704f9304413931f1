"""The consented check-in: opt-in, the four-week interval, the member's own trend, withdrawal
and account deletion erase, export, aggregates, and that the database alone cannot link
answers to accounts."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from forum.errors import NotFound, ValidationFailed
from forum.extensions import db
from forum.models import CheckinAnswer, CheckinConsent
from forum.services.accounts import privacy
from forum.services.measures import checkins, report as measures
from tests.conftest import PERSONAS

DAY = date(2026, 11, 4)  # a Wednesday


def answers(connected: int = 4, barc: int = 5) -> dict[str, str]:
    data = {"connected": str(connected)}
    data.update({f"barc_{i}": str(barc) for i in range(1, 11)})
    return data


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckinAnswer))


def test_nothing_is_stored_without_opting_in(member):
    assert not checkins.is_opted_in(member) and checkins.next_due(member) is None
    with pytest.raises(ValidationFailed):
        checkins.check_submit(answers(), acting_user=member, today=DAY)
    assert _count() == 0


def test_answers_are_kept_by_week_and_offered_every_four_weeks(member):
    checkins.do_opt_in(acting_user=member)
    assert checkins.is_due(member, DAY)
    row = checkins.check_submit(answers(3, 4), acting_user=member, today=DAY)
    assert (row.week, row.connected, row.barc) == (date(2026, 11, 2), 3, [4] * 10)
    for later in (DAY, DAY + timedelta(days=20)):
        assert not checkins.is_due(member, later)
        with pytest.raises(ValidationFailed) as exc:
            checkins.check_submit(answers(), acting_user=member, today=later)
        assert "2026-11-30" in str(exc.value)
    assert checkins.next_due(member, DAY) == date(2026, 11, 30)
    checkins.check_submit(answers(5, 6), acting_user=member, today=date(2026, 11, 30))
    trend = checkins.own_trend(acting_user=member)
    assert [(p.week, p.connected, p.barc_total) for p in trend] == [
        (date(2026, 11, 2), 3, 40), (date(2026, 11, 30), 5, 60)]


@pytest.mark.parametrize("bad", [
    {"connected": "6"}, {"connected": "0"}, {"barc_3": "7"}, {"barc_10": ""},
    {"barc_1": "strongly"}, {"connected": None},
])
def test_every_item_needs_one_answer_on_its_scale(member, bad):
    checkins.do_opt_in(acting_user=member)
    data = {**answers(), **bad}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationFailed) as exc:
        checkins.check_submit(data, acting_user=member, today=DAY)
    assert set(exc.value.reasons) == set(bad)
    assert _count() == 0


def test_withdrawing_erases_only_this_members_answers(member, second_member):
    for user in (member, second_member):
        checkins.do_opt_in(acting_user=user)
        checkins.check_submit(answers(), acting_user=user, today=DAY)
    assert checkins.do_withdraw(acting_user=member) == 1
    assert not checkins.is_opted_in(member) and _count() == 1
    assert checkins.own_trend(acting_user=member) == []
    assert len(checkins.own_trend(acting_user=second_member)) == 1
    # Opting in again starts afresh with a new salt: nothing old comes back.
    checkins.do_opt_in(acting_user=member)
    assert checkins.own_trend(acting_user=member) == []


def test_deleting_the_account_erases_answers_and_salt(member, second_member):
    for user in (member, second_member):
        checkins.do_opt_in(acting_user=user)
        checkins.check_submit(answers(), acting_user=user, today=DAY)
    privacy.do_delete_account(member, keep_posts=True)
    assert _count() == 1
    assert db.session.scalar(select(func.count()).select_from(CheckinConsent)) == 1


def test_the_members_export_holds_their_own_answers(member, second_member):
    checkins.do_opt_in(acting_user=member)
    checkins.check_submit(answers(2, 3), acting_user=member, today=DAY)
    checkins.do_opt_in(acting_user=second_member)
    checkins.check_submit(answers(5, 6), acting_user=second_member, today=DAY)
    assert privacy.export_account(member)["checkins"] == [
        {"week": "2026-11-02", "connected": 2, "barc_10": [3] * 10, "barc_10_total": 30}]


def test_the_database_alone_cannot_link_answers_to_accounts(app, member, second_member):
    for user in (member, second_member):
        checkins.do_opt_in(acting_user=user)
        checkins.check_submit(answers(), acting_user=user, today=DAY)
    schema = inspect(db.engine)
    # No account column, no foreign key, no time finer than the week.
    assert {c["name"] for c in schema.get_columns("checkin_answers")} == {
        "id", "member_key", "week", "connected", "barc"}
    assert schema.get_foreign_keys("checkin_answers") == []
    # The consent row holds only the account and its salt: no timestamp to line up.
    assert {c["name"] for c in schema.get_columns("checkin_consents")} == {"user_id", "salt"}
    keys = set(db.session.scalars(select(CheckinAnswer.member_key)))
    for consent in db.session.scalars(select(CheckinConsent)):
        message = f"checkin:{consent.user_id}:{consent.salt}".encode()
        # Everything computable from the database alone misses the stored keys...
        for guess in (hashlib.sha256(message).hexdigest(),
                      hashlib.sha256(f"{consent.user_id}{consent.salt}".encode()).hexdigest(),
                      hmac.new(b"", message, hashlib.sha256).hexdigest(),
                      hmac.new(consent.salt.encode(), message, hashlib.sha256).hexdigest()):
            assert guess not in keys
        assert consent.salt not in keys and str(consent.user_id) not in keys
        # ...while the app, holding the secret, finds each member's own.
        secret = app.config["SECRET_KEY"].encode()
        assert hmac.new(secret, message, hashlib.sha256).hexdigest() in keys
    ids = sorted(db.session.scalars(select(CheckinAnswer.id)))
    assert all(len(i) == 32 and not i.isdigit() for i in ids)


def test_a_dedicated_secret_keys_the_answers(app, member):
    app.config["CHECKIN_KEY_SECRET"] = "another-long-secret-for-check-ins-only-0123456789"
    checkins.do_opt_in(acting_user=member)
    key = checkins.member_key(member)
    app.config["CHECKIN_KEY_SECRET"] = None
    assert checkins.member_key(member) != key


@pytest.mark.parametrize("persona", PERSONAS)
def test_any_member_may_take_part(request, persona):
    user = request.getfixturevalue(persona)
    checkins.do_opt_in(acting_user=user)
    checkins.check_submit(answers(), acting_user=user, today=DAY)
    assert len(checkins.own_trend(acting_user=user)) == 1


def test_anonymous_visitors_cannot_take_part(app):
    with pytest.raises(NotFound):
        checkins.do_opt_in(acting_user=None)
    with pytest.raises(NotFound):
        checkins.check_submit(answers(), acting_user=None, today=DAY)


def test_aggregates_are_means_over_the_members_who_answered(make_user):
    period = measures.make_period(date(2026, 11, 2), date(2026, 11, 15))
    for i in range(10):
        user = make_user(f"checker-{i:02d}")
        checkins.do_opt_in(acting_user=user)
        checkins.check_submit(answers(1 + i % 5, 1 + i % 6), acting_user=user,
                              today=DAY if i < 6 else DAY + timedelta(days=7))
    (connected,) = checkins.connectedness(period).series
    # Answers 1,2,3,4,5,1 in the first week, 2,3,4,5 in the second.
    assert [(v.value, v.people) for v in connected.weekly] == [
        (pytest.approx(16 / 6), 6), (3.5, 4)]
    assert (connected.total.value, connected.total.people) == (3.0, 10)
    (barc,) = checkins.recovery_capital(period).series
    # Item answers 1..6 then 1..4: totals 10..60 then 10..40.
    assert [(v.value, v.people) for v in barc.weekly] == [(35.0, 6), (25.0, 4)]
    report = measures.build_report(period)
    (shown,) = [f for f in report.figures if f.key == "checkin_barc"]
    assert [v.value for _, v in shown.series[0].weekly] == ["fewer than 10"] * 2
    assert shown.series[0].total == measures.Shown(31.0, 10)


def test_answering_rewrites_every_consent_row_in_the_same_transaction(app, member,
                                                                     second_member):
    from sqlalchemy import event, text

    for user in (member, second_member):
        checkins.do_opt_in(acting_user=user)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        checkins.check_submit(answers(), acting_user=second_member, today=DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    def first(prefix: str) -> int:
        return next(i for i, s in enumerate(statements) if s.startswith(prefix))

    insert, rewrite = first("insert into checkin_answers"), first("update checkin_consents")
    assert insert < rewrite and " where " not in statements[rewrite]
    if db.engine.dialect.name == "postgresql":
        versions = set(db.session.scalars(text("SELECT xmin::text FROM checkin_consents")))
        answer = db.session.scalar(text("SELECT xmin::text FROM checkin_answers"))
        assert versions == {answer}
