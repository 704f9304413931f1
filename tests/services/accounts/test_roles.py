"""Roles and training records, and who may change them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.errors import PermissionDenied, ValidationFailed
from forum.models import AuditEvent
from forum.services.accounts import roles


def test_every_account_is_a_member_and_may_hold_several_roles(member, admin):
    assert member.has_role("member") and not member.has_role("moderator")
    roles.check_grant_role(member, "facilitator", acting_user=admin)
    roles.check_grant_role(member, "moderator", acting_user=admin)
    assert member.role_names == ["member", "facilitator", "moderator"]


def test_grant_is_idempotent_and_audited(db, member, admin):
    assert roles.check_grant_role(member, "moderator", acting_user=admin) is not None
    assert roles.check_grant_role(member, "moderator", acting_user=admin) is None
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "role.grant", AuditEvent.target_id == member.id
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id == admin.id
    assert events[0].details == {"role": "moderator"}


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "trained_moderator"])
def test_only_admins_grant_roles_or_record_training(request, persona, second_member):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        roles.check_grant_role(second_member, "moderator", acting_user=actor)
    with pytest.raises(PermissionDenied):
        roles.check_record_training(
            second_member, "privacy", completed_on=date.today(), expires_on=None, acting_user=actor
        )
    assert not second_member.has_role("moderator")


def test_unknown_role_and_module_refused(member, admin):
    with pytest.raises(ValidationFailed):
        roles.check_grant_role(member, "overlord", acting_user=admin)
    with pytest.raises(ValidationFailed):
        roles.check_record_training(
            member, "juggling", completed_on=date.today(), expires_on=None, acting_user=admin
        )


def test_current_training_respects_expiry(member, admin):
    today = date.today()
    assert not roles.has_current_training(member, "crisis-response")
    roles.check_record_training(
        member,
        "crisis-response",
        completed_on=today - timedelta(days=400),
        expires_on=today - timedelta(days=35),
        acting_user=admin,
    )
    assert not roles.has_current_training(member, "crisis-response")
    assert roles.has_current_training(member, "crisis-response", on=today - timedelta(days=100))
    roles.check_record_training(
        member,
        "crisis-response",
        completed_on=today - timedelta(days=5),
        expires_on=today + timedelta(days=360),
        acting_user=admin,
    )
    assert roles.has_current_training(member, "crisis-response")
    assert not roles.has_current_training(member, "privacy")
    assert roles.has_current_training(member, "crisis-response", on=today + timedelta(days=360))
    assert not roles.has_current_training(member, "crisis-response", on=today + timedelta(days=361))


def test_trained_moderator_fixture_holds_crisis_training(trained_moderator, moderator):
    assert roles.has_current_training(trained_moderator, "crisis-response")
    assert not roles.has_current_training(moderator, "crisis-response")


def test_revoke_role(member, admin, db):
    roles.check_grant_role(member, "facilitator", acting_user=admin)
    roles.check_revoke_role(member, "facilitator", acting_user=admin)
    assert not member.has_role("facilitator")
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "role.revoke"))
