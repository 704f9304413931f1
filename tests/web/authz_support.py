"""The world the authorization matrix walks: nine personas, the objects routes name by id, and
how one request or Socket.IO event is turned into an outcome the matrix can compare."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from forum.extensions import db, socketio
from forum.models import PasskeyCredential
from forum.models.base import utcnow
from forum.services import review_queue
from forum.services.accounts import avatars, guidelines, mutes, sign_ins
from forum.services.chat import messages as chat
from forum.services.push import subscriptions as push_subscriptions
from forum.services.review import duty, sanctions
from forum.services.threads import boards
from tests.conftest import PASSWORD, login
from tests.fixtures.chat import make_room
from tests.fixtures.threads import new_reply, new_thread
from tests.fixtures.two_factor import enrol_app, log_in_with_totp
from tests.push_service import Browser
from tests.web.authz_rooms import (
    ROOM_EVENTS,
    anonymous_room_keys,
    build_rooms,
    meeting_form_data,
    walk_anonymous_room,
    walk_room_controls,
)

PERSONAS = ("visitor", "member", "muted", "suspended", "facilitator", "moderator", "trained",
            "supervisor", "admin")
# The personas whose roles need a second factor (FORUM_STAFF_2FA=required); facilitators join
# them when FORUM_FACILITATOR_2FA=required.
STAFF_PERSONAS = ("moderator", "trained", "supervisor", "admin")
# Outcomes of a request. "ok": allowed (2xx, or a redirect anywhere but the log-in page);
# "invalid": allowed, but the minimal data sent was refused as a bad request (400);
# "login": sent to the log-in page; "denied": 403; "hidden": 404 (missing and not-yours look
# the same); "method": 405; "confirm": sent to confirm it's you first (a stale step-up: 303 to
# /account/confirm, or 401 JSON "step_up_required" for a script).
# Outcomes of an event: "ok", "refused" (the connection was refused), or the error ack's code.
HTTP_OUTCOMES = {"ok", "invalid", "login", "denied", "hidden", "method", "confirm"}


def row(default: str, **overrides: str) -> dict[str, str]:
    """One matrix row: the same outcome for every persona but those named."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, f"no such persona: {sorted(unknown)}"
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


@dataclass
class World:
    """Ids of the objects the routes name, the accounts of the personas, and the secrets of
    the authenticator apps of those enrolled (enrol_staff)."""

    users: dict[str, object] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


def build_world(make_user) -> World:
    """Personas and objects, made through the services."""
    world = World()
    keeper = make_user("board-keeper", roles_=("admin",))
    author = make_user("third-author")
    users = world.users
    users["member"] = make_user("steady-heron")
    users["muted"] = make_user("quiet-willow")
    users["suspended"] = make_user("paused-member")
    users["facilitator"] = make_user("sam-lantern", roles_=("facilitator",),
                                     training=("facilitation",))
    users["moderator"] = make_user("ash-untrained", roles_=("moderator",))
    users["trained"] = make_user("rowan-pine", roles_=("moderator",), training=("crisis-response",))
    users["supervisor"] = make_user("lead-alex", roles_=("moderator", "supervisor"),
                                    training=("crisis-response",))
    users["admin"] = make_user("jo-meadow", roles_=("admin",))

    board = boards.check_save_board(
        None, slug="daily-check-ins", name="Daily check-ins", description="How are you today?",
        position=1, content_note=None, acting_user=keeper,
    )
    opening = new_thread(board, author, title="A quiet morning",
                         body="Made it through another day. Hi @steady-heron")
    reply = new_reply(opening.post.thread, author, body="Glad you are here.")
    # A crisis post held for a trained moderator: the item the review routes name.
    held = new_thread(board, author, title="Hard night",
                      body="Not sure I can go on [[hold:crisis]]", confirm_hold=True)
    item = review_queue.item_for("post", held.post.id)
    mute = sanctions.check_sanction(users["muted"], "mute", "Cooling off after an argument.",
                                    acting_user=users["trained"], days=3)
    appeal = sanctions.check_appeal(mute.id, "It was a misunderstanding.",
                                    acting_user=users["muted"])
    tomorrow = utcnow() + timedelta(days=1)
    shift = duty.check_add_shift(tomorrow, tomorrow + timedelta(hours=2),
                                 moderator=users["trained"], acting_user=keeper)
    mutes.check_mute(users["member"], author.pseudonym)
    room = make_room()
    message = chat.check_send(room, "Morning all.", "0f6d1c8e-2a11-4c55-9a51-000000000001",
                              acting_user=author).message
    from forum.models import Notification

    notification = db.session.scalar(
        db.select(Notification).where(Notification.user_id == users["member"].id)
    )
    assert notification is not None, "the @mention should have notified the member"
    world.ids.update(
        slug=board.slug, room_slug=room.slug, thread_id=opening.post.thread.id,
        post_id=reply.post.id, item_id=item.id, sanction_id=mute.id, appeal_id=appeal.id,
        shift_id=shift.id, user_id=author.id, member_id=users["member"].id,
        notification_id=notification.id, message_id=message.id, filename="css/forum.css",
        pseudonym=author.pseudonym, token=avatars.token_for(author.id, author.pseudonym),
    )
    # Another account's passkey: only its owner may remove it.
    passkey = PasskeyCredential(user_id=author.id, credential_id=b"matrix-passkey",
                                public_key=b"not-a-key", name="Matrix key")
    db.session.add(passkey)
    db.session.commit()
    world.ids["passkey_id"] = passkey.id
    # Another account's sign-in: only its owner may end or name it.
    world.ids["sign_in_id"] = sign_ins.do_start(author, second_factor=None).id
    # Another account's push subscription: only its owner may name or remove it.
    phone = Browser("matrix", "https://fcm.googleapis.com/fcm/send/matrix-phone")
    world.ids["subscription_id"] = push_subscriptions.do_subscribe(
        author, endpoint=phone.endpoint, keys=phone.keys, device_name="Matrix phone").id
    build_rooms(world, make_user)
    return world


def enrol_staff(world: World, personas: tuple[str, ...] = STAFF_PERSONAS) -> None:
    """Give these personas an authenticator app: they then log in with its code."""
    for persona in personas:
        world.secrets[persona] = enrol_app(world.users[persona])


def log_in_persona(app, world: World, persona: str):
    """An HTTP client for the persona, logged in through the real forms (with the app's code
    when enrolled); the suspended member is suspended after logging in."""
    client = app.test_client()
    if persona == "visitor":
        return client
    user = world.users[persona]
    if persona in world.secrets:
        log_in_with_totp(client, user, world.secrets[persona])
    else:
        login(client, user, PASSWORD)
    if persona == "suspended":
        user.suspended_until = utcnow() + timedelta(days=3)
        db.session.commit()
    return client


_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client) -> str:
    """The session's CSRF token, from the first page that carries a form."""
    for path in ("/login", "/account", "/"):
        page = client.get(path).get_data(as_text=True)
        match = _TOKEN.search(page)
        if match:
            return match.group(1)
    raise AssertionError("no page gave a CSRF token")


def http_outcome(response) -> str:
    """The matrix's word for a response."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if urlsplit(location).path == "/account/confirm":
            return "confirm"
        return "login" if re.search(r"(^|/)login(\?|$)", location) else "ok"
    if 200 <= status < 300:
        return "ok"
    if status == 401 and urlsplit(str((response.get_json(silent=True) or {}).get(
            "confirm", ""))).path == "/account/confirm":
        return "confirm"  # a script's way of being sent to confirm it's you
    return {400: "invalid", 403: "denied", 404: "hidden", 405: "method"}.get(status, str(status))


def ack_outcome(ack) -> str:
    """The matrix's word for an event's ack."""
    if isinstance(ack, dict) and ack.get("ok") is True:
        return "ok"
    if isinstance(ack, dict) and ack.get("ok") is False:
        return str(ack.get("error"))
    return f"bad-ack:{ack!r}"


def walk_events(app, client, world: World) -> dict[str, str]:
    """Every /chat and /mod event, in a session's natural order, for one persona."""
    seen: dict[str, str] = {}
    room = world.ids["room_slug"]
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=client)
    if not sock.is_connected("/chat"):
        for event in ("connect", "join", "sync", "send", "delete", "leave", "disconnect",
                      *ROOM_EVENTS):
            seen[f"/chat {event}"] = "refused"
        seen.update(dict.fromkeys(anonymous_room_keys(), "refused"))
    else:
        seen["/chat connect"] = "ok"
        seen["/chat join"] = ack_outcome(sock.emit("join", {"room": room}, namespace="/chat",
                                                   callback=True))
        seen["/chat sync"] = ack_outcome(sock.emit(
            "sync", {"room": room, "after_id": 0}, namespace="/chat", callback=True))
        sent = sock.emit("send", {"room": room, "client_id": "5b0c3f7e-9d4e-4d7a-8f61-00000000abcd",
                                  "text": "Hello from the matrix."},
                         namespace="/chat", callback=True)
        seen["/chat send"] = ack_outcome(sent)
        # One's own message when the send worked; else someone else's, which is never deletable.
        own = sent["message"]["id"] if seen["/chat send"] == "ok" else None
        seen["/chat delete"] = ack_outcome(sock.emit(
            "delete", {"id": own or world.ids["message_id"]}, namespace="/chat", callback=True))
        seen["/chat leave"] = ack_outcome(sock.emit("leave", {"room": room}, namespace="/chat",
                                                    callback=True))
        seen.update(walk_room_controls(sock, world, ack_outcome))
        seen.update(walk_anonymous_room(sock, world, ack_outcome))
        sock.disconnect(namespace="/chat")
        seen["/chat disconnect"] = "ok" if not sock.is_connected("/chat") else "still-connected"
    mod = socketio.test_client(app, namespace="/mod", flask_test_client=client)
    seen["/mod connect"] = "ok" if mod.is_connected("/mod") else "refused"
    if mod.is_connected("/mod"):
        mod.disconnect(namespace="/mod")
    return seen


# Minimal, valid-ish form data per endpoint: the matrix is about who may act, not validation.
FORM_DATA: dict[str, dict[str, str]] = {
    "auth.signup": {"pseudonym": "matrix-newcomer", "password": PASSWORD,
                    "password_confirm": PASSWORD, "agree": "y"},
    "auth.login": {"pseudonym": "third-author", "password": PASSWORD},
    "auth.recover": {"pseudonym": "steady-heron", "code": "aaaaa-bbbbb", "password": PASSWORD,
                     "password_confirm": PASSWORD},
    "account.change_password": {"current_password": PASSWORD, "password": PASSWORD,
                                "password_confirm": PASSWORD},
    "account.change_pseudonym": {"pseudonym": "renamed-by-matrix", "password": PASSWORD},
    "account.preferences": {"locale": "", "timezone": "UTC"},
    "account.regenerate_codes": {"password": PASSWORD},
    "account.mute": {"pseudonym": "third-author"},
    "account.unmute": {"pseudonym": "third-author"},
    "account.delete": {"password": PASSWORD, "posts": "keep", "confirm": "y"},
    "main.agree": {"version": "1"},
    "main.edit_guidelines": {"body": "# Our guidelines\n\nBe kind."},
    "boards.edit_board": {"slug": "matrix-board", "name": "Matrix board", "position": "3"},
    "boards.new_thread": {"title": "Checking in", "body": "One day at a time."},
    "threads.reply": {"body": "Thank you for sharing."},
    "threads.edit": {"body": "Edited kindly."},
    "threads.react": {"kind": "heart"},
    "threads.report": {"reason": "This looks like spam."},
    "notifications.milestone": {"recovery_start": "2026-01-01", "show_days": "y"},
    "review.decide": {"decision": "approve", "reason": "Reached out, it is fine to show.",
                      "followup_needed": "yes"},
    "review.followup": {"outcome": "reached-out"},
    "review.message": {"body": "Thinking of you tonight."},
    "review.sanction": {"kind": "warn", "reason": "Please be gentle."},
    "review.set_duty": {"on": "1"},
    "team.conversation": {"body": "We are here for you."},
    "team.decide_appeal": {"outcome": "uphold", "reason": "The mute was fair."},
    "team.shifts": {"starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T12:00"},
    "team.inbox": {"body": "Hello team."},
    "team.appeal": {"text": "Please look at this again."},
    "step_up.confirm": {"password": PASSWORD},
    "people.change_role": {"role-role": "facilitator", "role-change": "grant",
                           "role-password": PASSWORD},
    "account_sessions.rename": {"name": "Matrix phone"},
    "push.rename": {"name": "Matrix phone"},
    "push.preferences": {"thread_replies": "y"},
    "people.end_sessions": {"sessions-reason": "Checking the matrix."},
    "people.record_training": {"training-module": "privacy", "training-completed_on": "2026-01-05",
                               "training-expires_on": "2099-01-05", "training-password": PASSWORD},
    "review.resubmit": {"body": "Edited to leave out the details."},
    "meetings.cancel": {"reason": "The host is away this week."},
    "support.start": {"note": "Could use someone to talk to."},
    "support.set_duty": {"on": "1"},
    "measures.submit_checkin": {"connected": "3", **{f"barc_{i}": "4" for i in range(1, 11)}},
}
# Endpoints that end or change the session, or remove what later rows name: walked last, in
# this order, so every row before them sees the same world (a check-in is answered after
# opting in, and withdrawn after that; the meeting is cancelled after its other host tools).
# Signing up and logging in come
# after the account is deleted, as does logging out (a logged-in persona is then the account
# just signed up).
WALK_LAST = ["measures.submit_checkin", "measures.withdraw", "meetings.cancel",
             "review.sanction", "review.decide", "team.decide_appeal", "team.delete_shift",
             "threads.delete", "account.change_pseudonym", "account.change_password",
             "account.regenerate_codes", "account.delete", "auth.signup", "auth.login",
             "auth.logout"]
# Where one endpoint serves two rules that need different data.
FORM_DATA_BY_KEY: dict[str, dict[str, str]] = {
    "POST /c/<slug>/edit": {"slug": "daily-check-ins", "name": "Daily check-ins", "position": "1"},
}
# Rules whose converter name is reused with another meaning.
PARAMS_BY_ENDPOINT = {"rooms.room": {"slug": "room_slug"}}


def route_keys(app) -> list[tuple[str, str, str]]:
    """(key, method, endpoint) for every rule and method the app serves."""
    keys = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            keys.append((f"{method} {rule.rule}", method, rule.endpoint))
    return keys


def event_keys() -> list[str]:
    """Every Socket.IO event with a handler, as "<namespace> <event>"."""
    return sorted(f"{namespace} {event}"
                  for namespace, handlers in socketio.server.handlers.items()
                  for event in handlers)


def _url(app, key: str, endpoint: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules()
                if r.endpoint == endpoint and r.rule == key.split(" ", 1)[1])
    names = PARAMS_BY_ENDPOINT.get(endpoint, {})
    values = {arg: world.ids[names.get(arg, arg)] for arg in rule.arguments}
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(r"<(?:[^:>]+:)?" + arg + ">", str(value), path)
    return path


def _form_data(key: str, endpoint: str) -> dict[str, str]:
    data = dict(FORM_DATA_BY_KEY.get(key) or FORM_DATA.get(endpoint, {}))
    if endpoint == "auth.signup":
        data["guidelines_version"] = str(guidelines.current_version().id)
    if endpoint in ("meetings.new", "meetings.edit"):
        data = meeting_form_data()
    return data


def walk_routes(app, client, world: World, *, visitor: bool,
                before_each=None) -> dict[str, str]:
    """Every route and method for one persona: GETs first, then POSTs, the WALK_LAST ones last.
    A visitor gets a fresh client after each POST, so signing up or logging in on one row never
    makes the next row's visitor a member. before_each() runs before every request."""
    keys = route_keys(app)
    order = {endpoint: i for i, endpoint in enumerate(WALK_LAST)}
    keys.sort(key=lambda k: (k[1] != "GET", order.get(k[2], -1), k[0]))
    token = csrf_token(client)
    seen = {}
    for key, method, endpoint in keys:
        path = _url(app, key, endpoint, world)
        if before_each is not None:
            before_each()
        if method == "GET":
            response = client.get(path)
        else:
            if visitor:
                client = app.test_client()
                token = csrf_token(client)
            data = dict(_form_data(key, endpoint), csrf_token=token)
            response = client.open(path, method=method, data=data)
        seen[key] = http_outcome(response)
        response.close()  # static files are streamed from an open file
        db.session.rollback()
    return seen
