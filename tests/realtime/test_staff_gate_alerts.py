"""Staff alerts follow the staff gate. Support requests reach on-duty supporters through their
account's own /chat room, which every connection of the account joins, so a staff account that
must sign in with a second factor and has none (on duty from before the gate, say) would hear
them in a sign-in that may not use its staff roles: it hears none and counts for no member,
unless a role the gate leaves open (a facilitator's, by default) makes it a supporter."""

from __future__ import annotations

import pytest

from forum.extensions import socketio
from forum.services.review import duty
from forum.services.support import crisis as crisis_support, requests as support
from tests.conftest import login
from tests.fixtures.chat import received
from tests.fixtures.two_factor import enrol_app, log_in_with_totp


@pytest.fixture
def app_config(app_config):
    return dict(app_config, STAFF_2FA="required")


def _socket(app, user, secret=None):
    client = app.test_client()
    if secret is None:
        login(client, user)
    else:
        log_in_with_totp(client, user, secret)
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=client)
    assert sock.is_connected("/chat")
    sock.get_received("/chat")
    return sock


def _forget_sign_in_locks(*users):
    """The tests share one identity map with the requests; another process loads each account
    afresh, with no sign-in's locks on it."""
    for user in users:
        user.locked_roles = frozenset()


def test_an_unenrolled_moderator_on_duty_hears_no_request(app, make_user, member):
    gated = make_user("ash-untrained", roles_=("moderator",))
    both = make_user("lake-willow", roles_=("moderator", "facilitator"))
    enrolled = make_user("rowan-pine", roles_=("moderator",))
    secret = enrol_app(enrolled)
    for user in (gated, both, enrolled):
        duty.check_set_duty(True, acting_user=user)  # before the gate: nothing asked then
    sockets = {"gated": _socket(app, gated), "both": _socket(app, both),
               "enrolled": _socket(app, enrolled, secret)}
    _forget_sign_in_locks(gated, both, enrolled)

    assert crisis_support.supporter_cover(member).on_duty == 2
    support.check_open("Rough evening, could use a friendly voice.", acting_user=member)
    heard = {name: bool(received(sock, "support_request")) for name, sock in sockets.items()}
    assert heard == {"gated": False, "both": True, "enrolled": True}


def test_with_the_gate_off_every_supporter_on_duty_hears(app, make_user, member):
    app.config["STAFF_2FA"] = "optional"
    moderator = make_user("ash-untrained", roles_=("moderator",))
    duty.check_set_duty(True, acting_user=moderator)
    sock = _socket(app, moderator)
    _forget_sign_in_locks(moderator)
    support.check_open("Rough evening, could use a friendly voice.", acting_user=member)
    assert received(sock, "support_request")
