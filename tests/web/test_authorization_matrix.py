"""The authorization matrix: every route (each method) and every Socket.IO event against every
persona, with the expected outcome. A route or event without a row fails the test.

Outcomes are explained in tests/web/authz_support.py. Adding a route's row is one line, with
a shape below or row(default, persona=outcome...):
    "GET /meetings": EVERYONE,
    "POST /meetings/<int:meeting_id>/cancel": row("denied", visitor="login", facilitator="ok"),
A route with an id needs that id in build_world's `ids` (and form data in FORM_DATA when its
POST needs some); an event needs a step in walk_events. The facilitator tools are walked twice:
in a meeting's room and in an anonymous room ("/chat <event> in an anonymous room" rows).

The matrix runs as production does, with FORUM_STAFF_2FA=required, and has two more dimensions:
- the staff gate: the rows are what staff get when they signed in with their authenticator app;
  signed in with the password alone, every staff persona gets exactly the member's column, on
  every route and every /chat and /mod event (test_staff_without_a_second_factor_...);
- step-up: the acts in STEP_UP, on a sign-in that proved its owner more than ten minutes ago,
  send the persona to confirm it's you; every other row stays as it is.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import SignIn
from forum.services import clock
from forum.services.accounts import step_up
from tests.fixtures import threads as threads_support
from tests.web.authz_support import (
    HTTP_OUTCOMES,
    PERSONAS,
    STAFF_PERSONAS,
    anonymous_room_keys,
    build_world,
    enrol_staff,
    event_keys,
    log_in_persona,
    route_keys,
    row,
    walk_events,
    walk_routes,
)

screener = threads_support.screener

# The usual shapes of a row.
EVERYONE = row("ok")
ACCOUNTS = row("ok", visitor="login", suspended="login")  # any account that may log in
POSTERS = {**ACCOUNTS, "muted": "denied"}  # a mute stops writing
ADMINS = row("denied", visitor="login", suspended="login", admin="ok")
# The team's pages: moderators and admins; to everyone else they do not exist.
TEAM = row("hidden", visitor="login", suspended="login", moderator="ok", trained="ok",
           supervisor="ok", admin="ok")
# A crisis item: only crisis-trained moderators may read and act on it.
RISK_ITEM = {**TEAM, "moderator": "denied", "admin": "denied"}
# Another member's post: only its author (none of the personas) may edit it.
AUTHOR_ONLY = row("hidden", visitor="login", suspended="login")
CHAT = row("ok", visitor="refused", suspended="refused")
# Whoever runs a meeting: its host (the facilitator persona), moderators and admins.
HOSTS = row("denied", visitor="login", suspended="login", facilitator="ok", moderator="ok",
            trained="ok", supervisor="ok", admin="ok")
# Peer supporters: facilitators, moderators and admins; to members the pages do not exist.
SUPPORTERS = {**HOSTS, "member": "hidden", "muted": "hidden"}
# Another member's support request, waiting: only an on-duty supporter (the facilitator).
WAITING_REQUEST = row("hidden", visitor="login", suspended="login", facilitator="ok")
# The measures dashboard: admins; to everyone else it does not exist.
DASHBOARD = {**AUTHOR_ONLY, "admin": "ok"}
# A facilitator tool in the meeting's room: its host, moderators and admins.
FACILITATION = row("forbidden", visitor="refused", suspended="refused", facilitator="ok",
                   moderator="ok", trained="ok", supervisor="ok", admin="ok")
# The same tool in an anonymous room: moderators and admins only, a facilitator is a member
# there (its host hears knocks and crisis alerts).
ANONYMOUS_FACILITATION = {**FACILITATION, "facilitator": "forbidden"}

MATRIX: dict[str, dict[str, str]] = {
    "GET /": EVERYONE,
    "GET /account": ACCOUNTS,
    "POST /account/delete": ACCOUNTS,
    "GET /account/checkin": ACCOUNTS,
    "POST /account/checkin": ACCOUNTS,
    "POST /account/checkin/opt-in": ACCOUNTS,
    "POST /account/checkin/withdraw": ACCOUNTS,
    "GET /account/export": ACCOUNTS,
    "POST /account/mutes": ACCOUNTS,
    "POST /account/mutes/delete": ACCOUNTS,
    "POST /account/password": ACCOUNTS,
    "POST /account/preferences": ACCOUNTS,
    "POST /account/pseudonym": ACCOUNTS,
    "POST /account/recovery-codes": ACCOUNTS,
    # Confirm it's you (step-up): the matrix sends the password, which brings them back.
    "GET /account/confirm": ACCOUNTS,
    "POST /account/confirm": ACCOUNTS,
    # Where I am logged in: the sign-in the world names is another account's.
    "GET /account/sessions": ACCOUNTS,
    "POST /account/sessions/end-others": ACCOUNTS,
    "POST /account/sessions/<int:sign_in_id>/end": AUTHOR_ONLY,
    "POST /account/sessions/<int:sign_in_id>/rename": AUTHOR_ONLY,
    # Notifications on devices: the matrix sends a form, not the script's JSON (400); the
    # subscription the world names is another account's.
    "GET /account/push": ACCOUNTS,
    "POST /account/push/subscribe": row("invalid", visitor="login", suspended="login"),
    "POST /account/push/forget-device": row("invalid", visitor="login", suspended="login"),
    "POST /account/push/preferences": ACCOUNTS,
    "POST /account/push/test": ACCOUNTS,
    "POST /account/push/<int:subscription_id>/rename": AUTHOR_ONLY,
    "POST /account/push/<int:subscription_id>/remove": AUTHOR_ONLY,
    # Two-step sign-in: any account may turn it on. The matrix sends no code, and its personas
    # have no app to remove nor a factor to renew backup codes for: each answers 400.
    "GET /account/security": ACCOUNTS,
    # The matrix's staff signed in with their authenticator app: they cannot add a second one,
    # and may renew their backup codes.
    "POST /account/security/totp": {**ACCOUNTS, **dict.fromkeys(STAFF_PERSONAS, "invalid")},
    "POST /account/security/totp/confirm": row("invalid", visitor="login", suspended="login"),
    "POST /account/security/totp/remove": row("invalid", visitor="login", suspended="login"),
    "POST /account/security/backup-codes": row("invalid", visitor="login", suspended="login",
                                               **dict.fromkeys(STAFF_PERSONAS, "ok")),
    # Passkeys (JSON from a script): options for adding one are anyone's; the matrix sends no
    # authenticator's answer, and its personas have no passkey to confirm with (400). The one
    # the world names is another account's.
    "POST /account/security/passkeys/options": ACCOUNTS,
    "POST /account/security/passkeys": row("invalid", visitor="login", suspended="login"),
    "POST /account/security/passkeys/<int:passkey_id>/delete": AUTHOR_ONLY,
    "POST /account/confirm/passkey/options": row("invalid", visitor="login", suspended="login"),
    "POST /account/confirm/passkey": row("invalid", visitor="login", suspended="login"),
    "GET /admin/measures": DASHBOARD,
    "GET /admin/measures.csv": DASHBOARD,
    "GET /admin/measures.json": DASHBOARD,
    "GET /boards/new": ADMINS,
    "POST /boards/new": ADMINS,
    "GET /c/<slug>": EVERYONE,
    "GET /c/<slug>/edit": ADMINS,
    "POST /c/<slug>/edit": ADMINS,
    "GET /c/<slug>/new": POSTERS,
    "POST /c/<slug>/new": POSTERS,
    "GET /community/measures": ACCOUNTS,
    "GET /crisis": EVERYONE,
    "GET /manifest.webmanifest": EVERYONE,
    "GET /sw.js": EVERYONE,
    "GET /guidelines": EVERYONE,
    "POST /guidelines/agree": ACCOUNTS,
    "POST /welcome/dismiss": ACCOUNTS,
    "GET /guidelines/edit": ADMINS,
    "POST /guidelines/edit": ADMINS,
    "GET /healthz": EVERYONE,
    "GET /inbox": ACCOUNTS,
    "POST /inbox": ACCOUNTS,
    "GET /login": EVERYONE,
    "POST /login": EVERYONE,
    # The second step: without a password accepted just before, back to the log-in page.
    "GET /login/second-factor": ACCOUNTS,
    "POST /login/second-factor": ACCOUNTS,
    # Its passkey way: signed in already, JSON sending them home; else no password was just
    # accepted, a JSON 400 pointing to /login.
    "POST /login/second-factor/passkey/options": row("ok", visitor="invalid",
                                                     suspended="invalid"),
    "POST /login/second-factor/passkey": row("ok", visitor="invalid", suspended="invalid"),
    "POST /logout": row("ok", visitor="login"),
    "GET /meetings": EVERYONE,
    "GET /meetings.ics": EVERYONE,
    "GET /meetings.json": EVERYONE,
    "GET /meetings/<int:meeting_id>": EVERYONE,
    "GET /meetings/<int:meeting_id>.ics": EVERYONE,
    "POST /meetings/<int:meeting_id>/cancel": HOSTS,
    "GET /meetings/<int:meeting_id>/edit": HOSTS,
    "POST /meetings/<int:meeting_id>/edit": HOSTS,
    "POST /meetings/<int:meeting_id>/extend": HOSTS,
    "POST /meetings/<int:meeting_id>/remind": ACCOUNTS,
    "GET /meetings/attendance": ADMINS,
    "GET /members/<pseudonym>": EVERYONE,  # like threads: what they wrote openly
    "GET /avatars/<token>.svg": EVERYONE,
    "GET /meetings/new": HOSTS,
    "POST /meetings/new": HOSTS,
    "GET /milestone": ACCOUNTS,
    "POST /milestone": ACCOUNTS,
    "GET /notifications": ACCOUNTS,
    "POST /notifications/<int:notification_id>/read": ACCOUNTS,
    "POST /notifications/read": ACCOUNTS,
    "GET /p/<int:post_id>": EVERYONE,
    "POST /p/<int:post_id>/delete": AUTHOR_ONLY,
    "GET /p/<int:post_id>/edit": AUTHOR_ONLY,
    "POST /p/<int:post_id>/edit": AUTHOR_ONLY,
    "GET /p/<int:post_id>/history": {**TEAM, "admin": "hidden"},  # moderators only
    "POST /p/<int:post_id>/react": POSTERS,
    "GET /p/<int:post_id>/report": ACCOUNTS,
    "POST /p/<int:post_id>/report": ACCOUNTS,
    "GET /p/<int:post_id>/resubmit": AUTHOR_ONLY,
    "GET /p/<int:post_id>/support": AUTHOR_ONLY,  # the crisis panel of one's own post
    "POST /p/<int:post_id>/resubmit": AUTHOR_ONLY,
    "POST /p/<int:post_id>/reveal": {**TEAM, "member": "denied", "muted": "denied",
                                     "facilitator": "denied", "admin": "denied"},
    "GET /recover": EVERYONE,
    "POST /recover": row("invalid"),  # a wrong recovery code, whoever sends it
    "GET /review": TEAM,
    "GET /review/<int:item_id>": TEAM,
    "POST /review/<int:item_id>/claim": RISK_ITEM,
    "POST /review/<int:item_id>/decide": RISK_ITEM,
    "POST /review/<int:item_id>/followup": RISK_ITEM,
    "POST /review/<int:item_id>/message": RISK_ITEM,
    "POST /review/<int:item_id>/release": {**TEAM, "moderator": "denied"},
    "POST /review/<int:item_id>/sanction": RISK_ITEM,
    "GET /review/appeals": TEAM,
    "POST /review/appeals/<int:appeal_id>": TEAM,
    "GET /review/audit": {**TEAM, "moderator": "hidden", "trained": "hidden"},  # supervisors
    "POST /review/duty": TEAM,
    "GET /review/inbox": TEAM,
    "GET /review/inbox/<int:member_id>": TEAM,
    "POST /review/inbox/<int:member_id>": TEAM,
    "GET /review/pulse": TEAM,
    "GET /review/shifts": TEAM,
    "POST /review/shifts": {**TEAM, "moderator": "denied", "trained": "denied",
                            "supervisor": "denied"},
    "POST /review/shifts/<int:shift_id>/delete": ADMINS,
    "GET /review/team": {**AUTHOR_ONLY, "admin": "ok"},
    "GET /review/team/people": ADMINS,
    "POST /review/team/people/<int:user_id>/role": ADMINS,
    "POST /review/team/people/<int:user_id>/training": ADMINS,
    "POST /review/team/people/<int:user_id>/sessions/end": ADMINS,
    "GET /rooms": EVERYONE,
    "GET /rooms/<slug>": ACCOUNTS,
    "GET /search": EVERYONE,
    "GET /signup": EVERYONE,
    "POST /signup": EVERYONE,
    "GET /signup/suggest": EVERYONE,
    "GET /static/<path:filename>": EVERYONE,
    "GET /strikes": ACCOUNTS,
    "POST /strikes/<int:sanction_id>/appeal": {**AUTHOR_ONLY, "muted": "ok"},  # their mute
    "GET /support": ACCOUNTS,  # a mute never stops someone asking for help
    "POST /support": ACCOUNTS,
    "GET /support/<int:request_id>": WAITING_REQUEST,
    "POST /support/<int:request_id>/accept": SUPPORTERS,
    # Who accepted it (the team went on duty at POST /review/duty) may end the conversation.
    "POST /support/<int:request_id>/close": SUPPORTERS,
    "POST /support/<int:request_id>/withdraw": row("hidden", visitor="login", suspended="login"),
    "GET /support/<int:request_id>/status": WAITING_REQUEST,
    "POST /support/duty": SUPPORTERS,
    "GET /support/requests": SUPPORTERS,
    "GET /t/<int:thread_id>": EVERYONE,
    "GET /t/<int:thread_id>/reply": POSTERS,
    "POST /t/<int:thread_id>/reply": POSTERS,
    "/chat connect": CHAT,
    "/chat delete": {**CHAT, "muted": "not_found"},  # muted: nothing of theirs to delete
    "/chat disconnect": CHAT,
    "/chat join": CHAT,
    "/chat leave": CHAT,
    "/chat send": {**CHAT, "muted": "forbidden"},
    **{f"/chat {event}": FACILITATION for event in (
        "admit", "announce", "decline", "end_meeting", "mute", "pin", "remove", "room_close",
        "room_lock", "room_open", "room_unlock", "slow_mode", "unpin", "waiting_room")},
    "/chat sync": CHAT,
    "/chat join in an anonymous room": CHAT,
    **{f"/chat {event} in an anonymous room": ANONYMOUS_FACILITATION for event in (
        "admit", "announce", "decline", "end_meeting", "mute", "pin", "remove", "room_close",
        "room_lock", "room_open", "room_unlock", "slow_mode", "unpin", "waiting_room")},
    "/mod connect": row("refused", moderator="ok", trained="ok", supervisor="ok", admin="ok"),
}


@pytest.fixture
def app_config(app_config):
    # Nine log-ins per test; the limits have their own tests. Staff need a second factor, as in
    # production (the rest of the suite turns that off).
    return dict(app_config, RATELIMIT_ENABLED=False, STAFF_2FA="required")


@pytest.fixture
def world(app, make_user, screener):
    """The world with every staff persona's authenticator app set up."""
    world = build_world(make_user)
    enrol_staff(world)
    return world


@pytest.fixture
def unenrolled_world(app, make_user, screener):
    """The world with no second factor anywhere."""
    return build_world(make_user)


def test_matrix_has_a_row_for_every_route_and_event(app):
    live = ({key for key, _method, _endpoint in route_keys(app)} | set(event_keys())
            | set(anonymous_room_keys()))
    missing = sorted(live - MATRIX.keys())
    stale = sorted(MATRIX.keys() - live)
    rows = len(MATRIX) * len(PERSONAS)
    print(f"authorization matrix: {len(MATRIX)} routes and events x {len(PERSONAS)} personas"
          f" = {rows} rows")
    assert not missing, "add a MATRIX row for: " + ", ".join(missing)
    assert not stale, "MATRIX rows for routes or events that no longer exist: " + ", ".join(stale)
    for key, outcomes in MATRIX.items():
        assert set(outcomes) == set(PERSONAS), key
        if not key.startswith("/"):  # a route: a typo in an outcome would never match
            assert set(outcomes.values()) <= HTTP_OUTCOMES, key


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(app, world, persona):
    client = log_in_persona(app, world, persona)
    seen = walk_events(app, client, world)
    seen.update(walk_routes(app, client, world, visitor=persona == "visitor"))
    unwalked = sorted(MATRIX.keys() - seen.keys())
    assert not unwalked, f"give these a step in authz_support.walk_events: {unwalked}"
    wrong = [f"{key}: expected {MATRIX[key][persona]}, got {outcome}"
             for key, outcome in seen.items() if key in MATRIX and MATRIX[key][persona] != outcome]
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


def _walk(app, client, world, persona: str) -> dict[str, str]:
    seen = walk_events(app, client, world)
    seen.update(walk_routes(app, client, world, visitor=persona == "visitor"))
    unwalked = sorted(MATRIX.keys() - seen.keys())
    assert not unwalked, f"give these a step in authz_support.walk_events: {unwalked}"
    return seen


# FORUM_FACILITATOR_2FA=required makes facilitators staff too.
GATED = (*STAFF_PERSONAS, "facilitator")


@pytest.mark.parametrize("persona", GATED)
def test_staff_without_a_second_factor_get_only_what_a_member_gets(app, unenrolled_world,
                                                                   persona):
    """Signed in with the password alone, a staff account is a member until it enrols: every
    staff-only row becomes the member's (hidden, denied, forbidden, refused), on every route,
    every facilitator tool on /chat and the /mod connection. Derived from the MATRIX rows, so
    a route or event added later is covered the day it gets its row."""
    if persona == "facilitator":
        app.config["FACILITATOR_2FA"] = "required"
    gated = {key for key, outcomes in MATRIX.items() if outcomes[persona] != outcomes["member"]}
    assert "/mod connect" in gated or persona == "facilitator"
    assert "/chat admit" in gated  # the gate has something to prove for this persona
    client = log_in_persona(app, unenrolled_world, persona)
    seen = _walk(app, client, unenrolled_world, persona)
    wrong = [f"{key}: expected the member's {MATRIX[key]['member']}, got {outcome}"
             for key, outcome in seen.items()
             if key in MATRIX and MATRIX[key]["member"] != outcome]
    assert not wrong, f"{persona} without a second factor:\n" + "\n".join(wrong)


# The acts that need the sign-in to have proved its owner within step_up.WINDOW, and what a
# stale one gets from each where the row lets the persona through ("ok", or "invalid" for the
# matrix's minimal data). Forms that ask for the password anyway (changing the password,
# deleting the account, roles and training) count it as the proof: they stay as they are.
STEP_UP: dict[str, str] = {
    "GET /account/export": "confirm",
    "POST /p/<int:post_id>/reveal": "confirm",
    "POST /account/security/totp": "confirm",
    "POST /account/security/totp/remove": "confirm",
    "POST /account/security/backup-codes": "confirm",
    "POST /account/security/passkeys/options": "confirm",
    "POST /review/team/people/<int:user_id>/sessions/end": "confirm",
}
# Who the stale walk runs as: a crisis-trained moderator (revealing) and an admin (people).
STALE_PERSONAS = ("trained", "admin")


def _stale_outcome(key: str, persona: str) -> str:
    allowed = MATRIX[key][persona]
    return STEP_UP[key] if key in STEP_UP and allowed in ("ok", "invalid") else allowed


def test_step_up_rows_are_routes():
    assert set(STEP_UP) <= MATRIX.keys()
    assert set(STEP_UP.values()) <= HTTP_OUTCOMES


@pytest.mark.parametrize("persona", STALE_PERSONAS)
def test_a_stale_sign_in_confirms_it_s_you_before_sensitive_acts(app, world, persona):
    """Every route, on a sign-in whose last proof is just past the window: the STEP_UP acts
    send the persona to /account/confirm, the rest of the matrix holds."""
    client = log_in_persona(app, world, persona)
    user_id = world.users[persona].id

    def stale() -> None:
        db.session.execute(update(SignIn).where(SignIn.user_id == user_id).values(
            stepped_up_at=clock.now() - step_up.WINDOW))
        db.session.commit()

    seen = walk_routes(app, client, world, visitor=False, before_each=stale)
    wrong = [f"{key}: expected {_stale_outcome(key, persona)}, got {outcome}"
             for key, outcome in seen.items()
             if key in MATRIX and _stale_outcome(key, persona) != outcome]
    assert not wrong, f"{persona}, stale:\n" + "\n".join(wrong)
