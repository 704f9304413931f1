"""The second-factor service: a code works once and only near its time, the app's secret is
sealed at rest, a changed key refuses instead of crashing, and backup codes are stored hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from forum.errors import ValidationFailed
from forum.extensions import db
from forum.models import BackupCode, RoleGrant, TotpFactor
from forum.services.accounts import login_throttle, roles, two_factor
from tests.fixtures import two_factor as two_factor_support
from tests.fixtures.two_factor import code_at

frozen = two_factor_support.frozen
STEP = 30


def _enrolled(user) -> tuple[str, list[str]]:
    """An app added and confirmed with the code of the current step."""
    enrolment = two_factor.do_begin_totp(user)
    codes = two_factor.check_confirm_totp(user, code_at(enrolment.secret))
    return enrolment.secret, codes


def test_an_account_has_no_factor_until_a_code_confirms_the_app(member, frozen):
    assert not two_factor.has_second_factor(member)
    enrolment = two_factor.do_begin_totp(member)
    assert not two_factor.has_second_factor(member)  # begun, not confirmed
    assert two_factor.pending_enrolment(member).secret == enrolment.secret
    codes = two_factor.check_confirm_totp(member, code_at(enrolment.secret))
    assert two_factor.has_second_factor(member)
    assert two_factor.factors_of(member) == two_factor.Factors(True, 0, 10)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert two_factor.pending_enrolment(member) is None


def test_a_code_works_once_even_within_its_window(member, frozen):
    secret, _codes = _enrolled(member)  # the confirming code spent this step
    assert not two_factor.verify_totp(member, code_at(secret))
    frozen.advance(STEP)
    code = code_at(secret)
    assert two_factor.verify_totp(member, code)
    assert not two_factor.verify_totp(member, code)
    # An earlier step's code, still inside the window, is refused once a later one was used.
    frozen.advance(STEP)
    later = code_at(secret)
    assert two_factor.verify_totp(member, later)
    assert not two_factor.verify_totp(member, code)


def test_a_phone_a_step_off_works_two_steps_off_does_not(member, frozen):
    secret, _codes = _enrolled(member)
    frozen.advance(10 * STEP)
    step = timedelta(seconds=STEP)
    assert two_factor.verify_totp(member, code_at(secret, frozen.now - step))  # a step behind
    assert two_factor.verify_totp(member, code_at(secret, frozen.now + step))  # a step ahead
    frozen.advance(10 * STEP)
    assert not two_factor.verify_totp(member, code_at(secret, frozen.now - 2 * step))
    assert not two_factor.verify_totp(member, code_at(secret, frozen.now + 2 * step))
    assert two_factor.verify_totp(member, code_at(secret))


def test_the_secret_is_sealed_at_rest(member, frozen):
    secret, _codes = _enrolled(member)
    stored = db.session.execute(text("SELECT secret_sealed FROM totp_factors")).scalar_one()
    assert secret not in stored and secret.lower() not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_a_changed_secret_key_refuses_the_app_instead_of_crashing(app, member, frozen):
    secret, codes = _enrolled(member)
    app.config["SECRET_KEY"] = "another-key-after-a-rotation-0123456789-abcdefghijkl"
    frozen.advance(STEP)
    assert not two_factor.verify_totp(member, code_at(secret))
    with pytest.raises(ValidationFailed):
        two_factor.check_code(member, code_at(secret))
    # A backup code still lets the owner in, to enrol again.
    assert two_factor.check_code(member, codes[0]) == "backup"


def test_a_pending_enrolment_under_a_changed_key_asks_to_start_again(app, member, frozen):
    enrolment = two_factor.do_begin_totp(member)
    app.config["SECRET_KEY"] = "another-key-after-a-rotation-0123456789-abcdefghijkl"
    assert two_factor.pending_enrolment(member) is None
    with pytest.raises(ValidationFailed):
        two_factor.check_confirm_totp(member, code_at(enrolment.secret))
    assert not two_factor.has_second_factor(member)


def test_backup_codes_are_stored_hashed_and_work_once(member, frozen):
    _secret, codes = _enrolled(member)
    hashes = db.session.scalars(db.select(BackupCode.code_hash)).all()
    assert len(hashes) == 10
    assert all(h.startswith("$argon2") for h in hashes)
    assert not any(code in h for code in codes for h in hashes)
    assert two_factor.verify_backup_code(member, codes[3])
    assert not two_factor.verify_backup_code(member, codes[3])
    assert two_factor.factors_of(member).backup_codes_left == 9


def test_new_backup_codes_replace_the_old(member, frozen):
    _secret, old = _enrolled(member)
    new = two_factor.check_new_backup_codes(member)
    assert not set(new) & set(old)
    assert not two_factor.verify_backup_code(member, old[0])
    assert two_factor.verify_backup_code(member, new[0])


def test_a_second_enrolment_is_refused_while_an_app_is_set_up(member, frozen):
    _enrolled(member)
    with pytest.raises(ValidationFailed):
        two_factor.do_begin_totp(member)


def test_removing_the_app_takes_the_backup_codes_with_the_last_factor(member, frozen):
    _enrolled(member)
    two_factor.check_remove_totp(member)
    assert two_factor.factors_of(member) == two_factor.Factors(False, 0, 0)
    assert db.session.scalar(db.select(TotpFactor)) is None
    with pytest.raises(ValidationFailed):
        two_factor.check_remove_totp(member)  # nothing left to remove


def test_staff_keep_their_only_factor_while_it_is_required(app, trained_moderator, frozen):
    app.config["STAFF_2FA"] = "required"
    _enrolled(trained_moderator)
    with pytest.raises(ValidationFailed):
        two_factor.check_remove_totp(trained_moderator)
    app.config["STAFF_2FA"] = "optional"
    two_factor.check_remove_totp(trained_moderator)
    assert not two_factor.has_second_factor(trained_moderator)


def test_wrong_codes_wait_after_the_free_tries(member, frozen):
    secret, _codes = _enrolled(member)
    frozen.advance(STEP)
    right = code_at(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(login_throttle.FREE_FAILURES):
        with pytest.raises(ValidationFailed):
            two_factor.check_code(member, wrong)
    with pytest.raises(login_throttle.TooManyTries):
        two_factor.check_code(member, right)
    frozen.advance(login_throttle.FIRST_WAIT_S)
    assert two_factor.check_code(member, right) == "totp"


def test_a_locked_staff_account_is_not_granted_its_role_twice(trained_moderator, admin):
    # Signed in without a second factor while it is required, the moderator's role is locked
    # (has_role says no), yet still held: a grant must not add a second row, nor a revoke miss.
    trained_moderator.locked_roles = frozenset({"moderator"})
    assert not trained_moderator.has_role("moderator")
    assert roles.check_grant_role(trained_moderator, "moderator", acting_user=admin) is None
    count = db.session.scalar(db.select(db.func.count(RoleGrant.id)).where(
        RoleGrant.user_id == trained_moderator.id, RoleGrant.role == "moderator"))
    assert count == 1
    assert roles.check_revoke_role(trained_moderator, "moderator", acting_user=admin) is True
    assert not trained_moderator.holds_role("moderator")
