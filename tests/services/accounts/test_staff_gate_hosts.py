"""A meeting's host runs it through a host role: in a sign-in where every host role it holds is
locked for want of a second factor (staff_gate), it is not the host until it signs in with one.
The matrix walks the facilitator's meeting with FORUM_FACILITATOR_2FA=required; these are the
cases around it."""

from __future__ import annotations

from forum.services.accounts import roles, staff_gate
from forum.services.meetings import access as meetings_access, schedule as meetings
from tests.fixtures.meetings import running_meeting_data


def _sign_in(user, second_factor):
    """As auth_loader sets it for a request."""
    user.locked_roles = staff_gate.lock_for(user, second_factor)
    return user


def test_a_locked_facilitator_does_not_host_its_own_meeting(app, facilitator):
    meeting = meetings.check_schedule(running_meeting_data(), acting_user=facilitator)
    app.config.update(STAFF_2FA="required", FACILITATOR_2FA="required")
    assert not meetings_access.is_host(meeting, _sign_in(facilitator, None))
    assert not meetings_access.can_manage(meeting, facilitator)
    assert meetings_access.host_rule(meeting.room, facilitator) is False
    assert meetings_access.is_host(meeting, _sign_in(facilitator, "totp"))
    app.config["FACILITATOR_2FA"] = "optional"  # the default: facilitators need none
    assert meetings_access.is_host(meeting, _sign_in(facilitator, None))


def test_a_moderator_who_facilitates_still_hosts_while_moderating_is_locked(app, make_user):
    host = make_user("lake-willow", roles_=("moderator", "facilitator"))
    meeting = meetings.check_schedule(running_meeting_data(), acting_user=host)
    app.config["STAFF_2FA"] = "required"
    _sign_in(host, None)
    assert host.locked_roles == {"moderator"}
    assert meetings_access.is_host(meeting, host)


def test_a_host_without_a_host_role_keeps_its_meeting_as_before(app, facilitator):
    meeting = meetings.check_schedule(running_meeting_data(), acting_user=facilitator)
    roles.check_revoke_role(facilitator, "facilitator", acting_user=None)
    app.config.update(STAFF_2FA="required", FACILITATOR_2FA="required")
    assert meetings_access.is_host(meeting, _sign_in(facilitator, None))
