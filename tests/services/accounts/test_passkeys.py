"""Passkeys (WebAuthn): adding one, signing with it, and every answer that must be refused,
checked on real signatures from a software authenticator."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.errors import ValidationFailed
from forum.models import AuditEvent, PasskeyCredential, SignIn
from forum.services import clock
from forum.services.accounts import login_throttle, passkeys, sign_ins, step_up, two_factor
from forum.services.accounts.login_throttle import TooManyTries
from tests.fixtures.webauthn import SoftAuthenticator, b64url, challenge_of

RP_ID = "forum.example.org"
ORIGIN = "https://forum.example.org"


def _key() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


def _add(user, key: SoftAuthenticator, name: str = "My phone") -> passkeys.Registration:
    options, challenge = passkeys.begin_registration(user, RP_ID, "Peer Support Forum")
    return passkeys.check_finish_registration(user, key.register(options), challenge, RP_ID,
                                              ORIGIN, name)


def _sign(user, key: SoftAuthenticator, **answer) -> bool:
    options, challenge = passkeys.begin_authentication(user, RP_ID)
    return passkeys.verify_authentication(user, key.sign_in(options, **answer), challenge,
                                          RP_ID, ORIGIN)


def test_registration_options_name_the_site_and_an_opaque_handle(app, member):
    options, challenge = passkeys.begin_registration(member, RP_ID, "Peer Support Forum")
    data = json.loads(options)
    assert data["rp"] == {"id": RP_ID, "name": "Peer Support Forum"}
    assert data["challenge"] == b64url(challenge) and len(challenge) >= 32
    # The handle is neither the pseudonym nor the id, and the same each time.
    handle = data["user"]["id"]
    assert handle == b64url(passkeys.user_handle(member))
    assert member.pseudonym not in handle and handle != b64url(str(member.id).encode())
    assert json.loads(passkeys.begin_registration(member, RP_ID, "x")[0])["user"]["id"] == handle
    assert data["user"]["name"] == member.pseudonym
    assert data["authenticatorSelection"]["residentKey"] == "preferred"
    assert data["authenticatorSelection"]["userVerification"] == "preferred"
    assert data["attestation"] == "none" and data["excludeCredentials"] == []


def test_adding_a_passkey_then_signing_in_with_it(app, db, member, monkeypatch):
    key = _key()
    added = _add(member, key, "  My   phone ")
    assert added.passkey.name == "My phone"
    assert added.passkey.credential_id == key.credential_id
    # The first factor brings ten backup codes, shown once.
    assert added.backup_codes is not None and len(added.backup_codes) == 10
    factors = two_factor.factors_of(member)
    assert factors.passkeys == 1 and factors.backup_codes_left == 10 and factors.any
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.second_factor_added"))
    assert event.actor_id == member.id and event.target_id == member.id
    assert event.details["factor"] == "passkey"

    # A second key is excluded from nothing but the first, and brings no new codes.
    other = _key()
    options, _challenge = passkeys.begin_registration(member, RP_ID, "Forum")
    assert [c["id"] for c in json.loads(options)["excludeCredentials"]] == [
        b64url(key.credential_id)]
    assert _add(member, other, "Blue key").backup_codes is None
    assert [p.name for p in passkeys.passkeys_of(member)] == ["My phone", "Blue key"]

    options, challenge = passkeys.begin_authentication(member, RP_ID)
    allowed = {c["id"] for c in json.loads(options)["allowCredentials"]}
    assert allowed == {b64url(key.credential_id), b64url(other.credential_id)}
    assert challenge_of(options) == challenge
    moment = datetime(2026, 3, 4, 10, 47, 12, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert passkeys.verify_authentication(member, key.sign_in(options), challenge, RP_ID,
                                          ORIGIN)
    row = db.session.get(PasskeyCredential, added.passkey.id)
    db.session.refresh(row)
    assert row.sign_count == 1
    # Only the hour is kept.
    assert row.last_used_at.replace(tzinfo=UTC) == moment.replace(minute=0, second=0)
    assert _sign(member, other)


def test_an_answer_for_another_site_is_refused(app, member):
    key = _key()
    options, challenge = passkeys.begin_registration(member, RP_ID, "Forum")
    for answer in (key.register(options, origin="https://forum.example.org.evil.test"),
                   key.register(options, rp_id="evil.test")):
        with pytest.raises(ValidationFailed):
            passkeys.check_finish_registration(member, answer, challenge, RP_ID, ORIGIN, "Phone")
    assert two_factor.factors_of(member).passkeys == 0

    _add(member, key)
    assert not _sign(member, key, origin="https://evil.test")
    assert not _sign(member, key, rp_id="evil.test")
    assert _sign(member, key)


def test_an_answer_to_another_challenge_is_refused(app, member):
    key = _key()
    options, _challenge = passkeys.begin_registration(member, RP_ID, "Forum")
    _other_options, other_challenge = passkeys.begin_registration(member, RP_ID, "Forum")
    with pytest.raises(ValidationFailed):
        passkeys.check_finish_registration(member, key.register(options), other_challenge,
                                           RP_ID, ORIGIN, "Phone")
    _add(member, key)
    options, _challenge = passkeys.begin_authentication(member, RP_ID)
    _other, other_challenge = passkeys.begin_authentication(member, RP_ID)
    assert not passkeys.verify_authentication(member, key.sign_in(options), other_challenge,
                                              RP_ID, ORIGIN)


def test_a_passkey_of_another_account_is_refused(app, member, second_member):
    mine, theirs = _key(), _key()
    _add(member, mine)
    _add(second_member, theirs)
    # A valid signature, from a key that is not on this account.
    options, challenge = passkeys.begin_authentication(member, RP_ID)
    assert not passkeys.verify_authentication(member, theirs.sign_in(options), challenge,
                                              RP_ID, ORIGIN)
    # A key of unknown id and made-up JSON are refused the same way.
    assert not passkeys.verify_authentication(member, _key().sign_in(options), challenge,
                                              RP_ID, ORIGIN)
    for junk in ("{", {"id": "x"}, {"id": 1, "rawId": None}):
        assert not passkeys.verify_authentication(member, junk, challenge, RP_ID, ORIGIN)
    # And the same key cannot be added to a second account.
    options, challenge = passkeys.begin_registration(second_member, RP_ID, "Forum")
    with pytest.raises(ValidationFailed, match="already set up"):
        passkeys.check_finish_registration(second_member, mine.register(options), challenge,
                                           RP_ID, ORIGIN, "Copy")


def test_a_sign_count_that_does_not_go_up_is_refused_as_a_clone(app, db, member, caplog):
    key = _key()
    _add(member, key)
    assert _sign(member, key, counter=5)
    caplog.set_level(logging.INFO, logger="forum.accounts")
    assert not _sign(member, key, counter=3)
    assert not _sign(member, key, counter=5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all(f"account_id={member.id}" in w for w in warnings)
    assert member.pseudonym not in caplog.text
    assert db.session.scalar(select(PasskeyCredential.sign_count)) == 5
    assert _sign(member, key, counter=6)


def test_an_authenticator_without_a_counter_keeps_working(app, member):
    key = _key()
    _add(member, key)
    assert _sign(member, key, counter=0)
    assert _sign(member, key, counter=0)


def test_wrong_answers_are_slowed_per_account(app, member):
    key = _key()
    _add(member, key)
    for _ in range(login_throttle.FREE_FAILURES):
        assert not _sign(member, key, origin="https://evil.test")
    with pytest.raises(TooManyTries):
        _sign(member, key)


def test_names_are_required_and_tidy(app, member):
    for bad in ("", "   ", None, 5, "x" * 65, "a\x00b", "bad\ud800name"):
        with pytest.raises(ValidationFailed) as refused:
            passkeys.check_name(bad)
        assert "name" in refused.value.reasons
    assert passkeys.check_name(" Work\tlaptop ") == "Work laptop"
    key = _key()
    options, challenge = passkeys.begin_registration(member, RP_ID, "Forum")
    with pytest.raises(ValidationFailed):
        passkeys.check_finish_registration(member, key.register(options), challenge, RP_ID,
                                           ORIGIN, "")
    assert two_factor.factors_of(member).passkeys == 0


def test_adding_a_passkey_needs_a_recent_proof_and_opens_the_staff_roles(app, db, make_user):
    app.config["STAFF_2FA"] = "required"
    moderator = make_user("rowan-pine", roles_=("moderator",))
    row = sign_ins.do_start(moderator, second_factor=None)
    moderator.sign_in = row
    moderator.locked_roles = frozenset({"moderator"})
    assert not moderator.has_role("moderator")
    row.stepped_up_at = clock.now() - step_up.WINDOW - timedelta(seconds=1)
    db.session.commit()
    key = _key()
    with pytest.raises(step_up.StepUpRequired):
        passkeys.begin_registration(moderator, RP_ID, "Forum")
    options = json.dumps({"challenge": b64url(b"c" * 32), "user": {"id": b64url(b"u")}})
    with pytest.raises(step_up.StepUpRequired):
        passkeys.check_finish_registration(moderator, key.register(options), b"c" * 32, RP_ID,
                                           ORIGIN, "Phone")
    step_up.do_mark(moderator, "password")
    _add(moderator, key)
    assert moderator.has_role("moderator")
    assert db.session.get(SignIn, row.id).second_factor == "passkey"
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "account.second_factor_added"))
    assert event.details == {"factor": "passkey", "step_up": "password"}


def test_removing_a_passkey_ends_the_other_sign_ins(app, db, member):
    key = _key()
    added = _add(member, key)
    here = sign_ins.do_start(member, second_factor="passkey")
    elsewhere = sign_ins.do_start(member, second_factor="passkey")
    member.sign_in = here
    assert passkeys.find_own(member, added.passkey.id) is not None
    two_factor.check_remove_passkey(member, added.passkey.id)
    assert passkeys.passkeys_of(member) == []
    assert {s.id for s in sign_ins.list_for(member)} == {here.id}
    assert db.session.get(SignIn, elsewhere.id) is None
    # The last factor gone, the backup codes go with it.
    assert two_factor.factors_of(member).backup_codes_left == 0


def test_another_accounts_passkey_is_not_found_or_removed(app, member, second_member):
    theirs = _add(second_member, _key()).passkey
    assert passkeys.find_own(member, theirs.id) is None
    with pytest.raises(ValidationFailed):
        two_factor.check_remove_passkey(member, theirs.id)
    assert two_factor.factors_of(second_member).passkeys == 1


def test_the_last_factor_of_staff_that_need_one_stays(app, make_user):
    app.config["STAFF_2FA"] = "required"
    moderator = make_user("rowan-pine", roles_=("moderator",))
    first = _add(moderator, _key()).passkey
    second = _add(moderator, _key(), "Spare key").passkey
    two_factor.check_remove_passkey(moderator, second.id)
    with pytest.raises(ValidationFailed, match="needs a second factor"):
        two_factor.check_remove_passkey(moderator, first.id)
    assert [p.id for p in passkeys.passkeys_of(moderator)] == [first.id]
    # A member may remove their only one.
    app.config["STAFF_2FA"] = "optional"
    two_factor.check_remove_passkey(moderator, first.id)
    assert passkeys.passkeys_of(moderator) == []


def test_sign_in_options_need_a_passkey(app, member):
    with pytest.raises(ValidationFailed):
        passkeys.begin_authentication(member, RP_ID)
