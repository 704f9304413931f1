"""The people service: admins only, the password first, the last admin kept, training states."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.errors import PermissionDenied, ValidationFailed
from forum.models import AuditEvent
from forum.services.accounts import people, roles
from tests.conftest import PASSWORD

TODAY = date(2026, 6, 1)


def _actions(db, target) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target_id == target.id, AuditEvent.actor_id.is_not(None))))


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "trained_moderator"])
def test_only_admins_even_with_their_own_password(request, persona, second_member, db):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        people.holders(acting_user=actor)
    with pytest.raises(PermissionDenied):
        people.find_member("morning-cedar", acting_user=actor)
    with pytest.raises(PermissionDenied):
        people.check_change_role(second_member, "moderator", grant=True, password=PASSWORD,
                                 acting_user=actor)
    with pytest.raises(PermissionDenied):
        people.check_record_training(second_member, "privacy", completed_on=date.today(),
                                     expires_on=None, password=PASSWORD, acting_user=actor)
    with pytest.raises(PermissionDenied):
        people.access_people(acting_user=None)
    assert not second_member.has_role("moderator") and roles.training_of(second_member) == []
    assert _actions(db, second_member) == []


def test_a_wrong_or_missing_password_changes_nothing(admin, member, db):
    for password in ("not the password", "", None):
        with pytest.raises(ValidationFailed) as caught:
            people.check_change_role(member, "moderator", grant=True, password=password,
                                     acting_user=admin)
        assert list(caught.value.reasons) == ["password"]
        with pytest.raises(ValidationFailed):
            people.check_record_training(member, "privacy", completed_on=date.today(),
                                         expires_on=None, password=password, acting_user=admin)
    assert not member.has_role("moderator") and roles.training_of(member) == []
    assert _actions(db, member) == []


def test_grant_revoke_and_train_through_the_role_service(admin, member, db):
    assert people.check_change_role(member, "facilitator", grant=True, password=PASSWORD,
                                    acting_user=admin)
    assert not people.check_change_role(member, "facilitator", grant=True, password=PASSWORD,
                                        acting_user=admin)
    assert people.check_change_role(member, "facilitator", grant=False, password=PASSWORD,
                                    acting_user=admin)
    assert not people.check_change_role(member, "facilitator", grant=False, password=PASSWORD,
                                        acting_user=admin)
    people.check_record_training(member, "facilitation", completed_on=date.today(),
                                 expires_on=None, password=PASSWORD, acting_user=admin)
    people.check_record_training(member, "facilitation", completed_on=date.today(),
                                 expires_on=date.today() + timedelta(days=365),
                                 password=PASSWORD, acting_user=admin)
    assert _actions(db, member) == ["role.grant", "role.revoke", "training.record",
                                    "training.renew"]
    with pytest.raises(ValidationFailed) as caught:
        people.check_change_role(member, "overlord", grant=False, password=PASSWORD,
                                 acting_user=admin)
    assert "role" in caught.value.reasons


def test_the_last_admin_keeps_the_role_whoever_asks(admin, member, db):
    for actor in (admin, None):  # the browser, or the operator's command line
        with pytest.raises(ValidationFailed) as caught:
            roles.check_revoke_role(admin, "admin", acting_user=actor)
        assert "only admin" in caught.value.reasons["role"][0]
    assert admin.has_role("admin")
    roles.check_grant_role(member, "admin", acting_user=admin)
    assert people.check_change_role(admin, "admin", grant=False, password=PASSWORD,
                                    acting_user=admin)
    assert not admin.has_role("admin")
    with pytest.raises(ValidationFailed):
        roles.check_revoke_role(member, "admin", acting_user=member)


def test_training_in_the_future_is_refused(admin, member):
    with pytest.raises(ValidationFailed) as caught:
        roles.check_record_training(member, "privacy",
                                    completed_on=date.today() + timedelta(days=5),
                                    expires_on=None, acting_user=admin)
    assert "completed" in caught.value.reasons


@pytest.mark.parametrize(("expires", "state"), [
    (None, "current"),
    (TODAY - timedelta(days=1), "expired"),
    (TODAY, "expiring"),  # still current today: has_current_training agrees
    (TODAY + timedelta(days=30), "expiring"),
    (TODAY + timedelta(days=31), "current"),
])
def test_training_states(admin, member, expires, state):
    roles.check_record_training(member, "privacy", completed_on=TODAY - timedelta(days=400),
                                expires_on=expires, acting_user=None)
    (status,) = people.training_status(member, acting_user=admin, today=TODAY)
    assert status.state == state


def test_the_record_in_force_is_the_latest_expiry(admin, member, trained_moderator):
    for completed, expires in ((300, 10), (20, None), (200, 100)):
        roles.check_record_training(member, "privacy",
                                    completed_on=TODAY - timedelta(days=completed),
                                    expires_on=TODAY - timedelta(days=expires) if expires else None,
                                    acting_user=None)
    roles.check_record_training(member, "crisis-response",
                                completed_on=TODAY - timedelta(days=400),
                                expires_on=TODAY - timedelta(days=35), acting_user=None)
    statuses = {t.module: t for t in people.training_status(member, acting_user=admin,
                                                            today=TODAY)}
    assert statuses["privacy"].expires_on is None and statuses["privacy"].state == "current"
    assert statuses["crisis-response"].state == "expired"
    holders = {h.user.pseudonym: h for h in people.holders(acting_user=admin, today=TODAY)}
    assert set(holders) == {"jo-meadow", "steady-heron", "rowan-pine"}
    assert holders["steady-heron"].roles == [] and holders["steady-heron"].needs_attention
    assert holders["rowan-pine"].roles == ["moderator"]
    assert holders["jo-meadow"].training == []


def test_the_command_line_still_grants_and_trains(runner, member):
    assert runner.invoke(args=["grant", "steady-heron", "moderator"]).exit_code == 0
    result = runner.invoke(args=["train", "steady-heron", "crisis-response",
                                 "--expires", "2099-01-01"])
    assert result.exit_code == 0, result.output
    assert member.has_role("moderator")
    assert roles.has_current_training(member, "crisis-response")
