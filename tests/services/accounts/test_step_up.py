"""Step-up: a sign-in proves its owner for ten minutes; sensitive acts refuse a stale one and
write the proof's method in their audit row; outside a sign-in nothing is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.errors import ValidationFailed
from forum.models import AuditEvent, SignIn
from forum.services import clock
from forum.services.accounts import account as accounts, people, privacy, roles, sign_ins, step_up
from forum.services.accounts.step_up import StepUpRequired, TooManyProofs
from forum.services.threads import posts
from tests.conftest import PASSWORD
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import new_thread

screener = threads_support.screener
board = threads_support.board

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    """The services' clock, set by the test: now.at(minutes after START)."""

    class Clock:
        moment = START

        def at(self, minutes: float) -> datetime:
            self.moment = START + timedelta(minutes=minutes)
            return self.moment

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.moment)
    return fake


def signed_in(user, *, second_factor=None):
    """The account acting through a sign-in begun at the clock's now, as auth_loader sets it."""
    user.sign_in = sign_ins.do_start(user, second_factor=second_factor)
    return user


def _audit(db, action: str, *, by_anyone: bool = False) -> list[AuditEvent]:
    """The rows of an action, leaving out the fixtures' own (made from the command line)."""
    query = select(AuditEvent).where(AuditEvent.action == action)
    if not by_anyone:
        query = query.where(AuditEvent.actor_id.is_not(None))
    return list(db.session.scalars(query))


def test_signing_in_is_a_proof_for_nine_minutes_not_ten(now, member):
    signed_in(member)
    assert step_up.is_fresh(member, START + timedelta(minutes=9, seconds=59))
    assert not step_up.is_fresh(member, START + timedelta(minutes=10))
    now.at(9)
    assert step_up.require(member) == "password"
    now.at(10)
    with pytest.raises(StepUpRequired):
        step_up.require(member)


def test_a_sign_in_opened_with_a_second_factor_says_which(now, member):
    signed_in(member, second_factor="totp")
    assert step_up.require(member) == "totp"


def test_do_mark_refreshes_the_sign_in_and_keeps_the_method(now, member, db):
    signed_in(member)
    now.at(30)
    with pytest.raises(StepUpRequired):
        step_up.require(member)
    step_up.do_mark(member, "backup")
    assert step_up.require(member) == "backup"
    db.session.expire_all()  # committed: another request reads the same
    row = db.session.get(SignIn, member.sign_in.id)
    assert (row.stepped_up_at, row.step_up_method) == (now.moment, "backup")
    now.at(39)
    assert step_up.require(member) == "backup"
    now.at(40)
    with pytest.raises(StepUpRequired):
        step_up.require(member)


def test_only_known_methods_are_marked(now, member):
    signed_in(member)
    with pytest.raises(ValueError):
        step_up.do_mark(member, "guess")


def test_outside_a_sign_in_nothing_is_asked(now, member):
    assert member.sign_in is None  # the command line, jobs, direct service calls
    now.at(600)
    assert step_up.is_fresh(member)
    assert step_up.require(member) is None
    step_up.do_mark(member, "password")  # nothing to mark, nothing refused
    assert step_up.with_method({"role": "x"}, None) == {"role": "x"}


def test_the_password_is_a_proof_and_wrong_ones_slow_the_account(now, member):
    signed_in(member)
    now.at(20)
    with pytest.raises(ValidationFailed) as wrong:
        step_up.do_confirm_password(member, "not my password")
    assert "password" in wrong.value.reasons
    with pytest.raises(StepUpRequired):
        step_up.require(member)
    assert step_up.do_confirm_password(member, PASSWORD) == "password"
    assert step_up.require(member) == "password"
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            step_up.check_password(member, "still not it")
    # Past the free tries the account waits, whatever is typed: the right password too.
    with pytest.raises(TooManyProofs) as waiting:
        step_up.check_password(member, PASSWORD)
    assert waiting.value.retry_after > 0
    now.at(20 + 1)
    assert step_up.check_password(member, PASSWORD) == "password"


def test_a_stale_admin_grants_and_records_nothing(now, admin, member, db):
    signed_in(admin)
    now.at(10)
    with pytest.raises(StepUpRequired):
        roles.check_grant_role(member, "moderator", acting_user=admin)
    with pytest.raises(StepUpRequired):
        roles.check_revoke_role(admin, "admin", acting_user=admin)
    with pytest.raises(StepUpRequired):
        roles.check_record_training(member, "privacy", completed_on=now.moment.date(),
                                    expires_on=None, acting_user=admin)
    db.session.rollback()
    assert not member.holds_role("moderator") and admin.holds_role("admin")
    assert roles.training_of(member) == []
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id.is_not(None))).all() == []


def test_an_admin_s_password_on_the_form_is_the_step_up(now, admin, member, db):
    signed_in(admin)
    now.at(45)
    assert people.check_change_role(member, "moderator", grant=True, password=PASSWORD,
                                    acting_user=admin)
    people.check_record_training(member, "privacy", completed_on=now.moment.date(),
                                 expires_on=None, password=PASSWORD, acting_user=admin)
    (grant,) = _audit(db, "role.grant")
    (training,) = _audit(db, "training.record")
    assert grant.details == {"role": "moderator", "step_up": "password"}
    assert training.details["step_up"] == "password"


def test_the_command_line_grants_without_a_step_up(now, member, db):
    now.at(600)
    roles.check_grant_role(member, "facilitator", acting_user=None)
    (grant,) = _audit(db, "role.grant", by_anyone=True)
    assert grant.details == {"role": "facilitator"}


def test_a_stale_moderator_reveals_nobody(now, screener, board, member, trained_moderator, db):
    post = new_thread(board, member, anonymous=True).post
    signed_in(trained_moderator, second_factor="totp")
    now.at(10)
    with pytest.raises(StepUpRequired):
        posts.check_reveal_author(post.id, acting_user=trained_moderator)
    assert _audit(db, "post.reveal_author") == []
    step_up.do_mark(trained_moderator, "passkey")
    assert posts.check_reveal_author(post.id, acting_user=trained_moderator).id == member.id
    (reveal,) = _audit(db, "post.reveal_author")
    assert (reveal.actor_id, reveal.details) == (trained_moderator.id, {"step_up": "passkey"})


def test_export_needs_a_recent_proof_and_is_audited(now, member, db):
    signed_in(member)
    now.at(10)
    with pytest.raises(StepUpRequired):
        privacy.check_export_account(member)
    assert _audit(db, "account.exported") == []
    step_up.do_mark(member, "password")
    assert privacy.check_export_account(member)["account"]["id"] == member.id
    (row,) = _audit(db, "account.exported")
    assert (row.actor_id, row.target_id, row.details) == (member.id, member.id,
                                                          {"step_up": "password"})


def test_changing_the_password_counts_the_current_one_as_the_proof(now, member, db):
    signed_in(member)
    now.at(60)
    with pytest.raises(ValidationFailed):
        accounts.check_change_password(member, "not my password", "a new calm lake at noon",
                                       "a new calm lake at noon")
    assert _audit(db, "account.password_changed") == []
    accounts.check_change_password(member, PASSWORD, "a new calm lake at noon",
                                   "a new calm lake at noon")
    (row,) = _audit(db, "account.password_changed")
    assert row.details == {"step_up": "password"}
    assert step_up.require(member) == "password"


def test_deleting_counts_the_password_as_the_proof_and_keeps_only_the_id(now, member, db):
    signed_in(member)
    member_id = member.id
    now.at(60)
    with pytest.raises(ValidationFailed):
        privacy.check_delete_account(member, "not my password", keep_posts=True)
    privacy.check_delete_account(member, PASSWORD, keep_posts=True)
    (row,) = _audit(db, "account.deleted", by_anyone=True)
    assert (row.actor_id, row.target_id) == (None, member_id)  # the account is gone
    assert row.details == {"keep_posts": True, "step_up": "password"}
