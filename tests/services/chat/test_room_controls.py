"""Facilitator tools at the service level: who may use them, what each changes, its audit row
and the events it sends after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import AuditEvent, RoomParticipant
from forum.models.base import utcnow
from forum.services.chat import entry as room_entry, facilitation as room_controls, messages as chat
from forum.services.meetings import schedule as meetings
from tests.conftest import PERSONAS
from tests.fixtures import chat as chat_support, rooms as room_support, threads as threads_support
from tests.fixtures.meetings import running_meeting_data
from tests.fixtures.rooms import knock_token, names

room = chat_support.room
meeting_room = room_support.meeting_room
bus = room_support.bus
screener = threads_support.screener

FACILITATING = {"facilitator", "moderator", "trained_moderator", "admin"}


@pytest.fixture
def stage(app, meeting_room, make_user, screener):
    """A meeting room opened by a host, a member knocking at it and a message to pin."""
    host = make_user("host-ash", roles_=("admin",))
    knocker = make_user("quiet-willow")
    room_controls.check_open(meeting_room, acting_user=host)
    assert room_entry.check_enter(meeting_room, acting_user=knocker).waiting
    sent = chat.check_send(meeting_room, "Tonight's reading", "pin-me", acting_user=host)
    return {"room": meeting_room, "host": host, "knocker": knocker,
            "message_id": sent.message.id}


TOOLS = {
    "open": lambda s, u: room_controls.check_open(s["room"], acting_user=u),
    "close": lambda s, u: room_controls.check_close(s["room"], acting_user=u),
    "lock": lambda s, u: room_controls.check_lock(s["room"], True, acting_user=u),
    "unlock": lambda s, u: room_controls.check_lock(s["room"], False, acting_user=u),
    "waiting_room": lambda s, u: room_controls.check_waiting_room(s["room"], False,
                                                                  acting_user=u),
    "slow_mode": lambda s, u: room_controls.check_slow_mode(s["room"], 30, acting_user=u),
    "pin": lambda s, u: room_controls.check_pin(s["room"], s["message_id"], acting_user=u),
    "unpin": lambda s, u: room_controls.check_unpin(s["room"], acting_user=u),
    "admit": lambda s, u: room_entry.check_admit(
        s["room"], {"token": knock_token(s["room"], s["knocker"])}, acting_user=u),
    "decline": lambda s, u: room_entry.check_decline(
        s["room"], {"token": knock_token(s["room"], s["knocker"])}, acting_user=u),
    "mute": lambda s, u: room_entry.check_mute(
        s["room"], {"user": s["knocker"].id, "minutes": 5}, acting_user=u),
    "remove": lambda s, u: room_entry.check_remove(s["room"], {"user": s["knocker"].id},
                                                   acting_user=u),
    "announce": lambda s, u: room_controls.check_announce(s["room"], "Welcome, all",
                                                          acting_user=u),
    "end": lambda s, u: room_controls.check_end_session(s["room"], acting_user=u),
}


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_tool_is_for_facilitators_only_and_audited(request, stage, tool, persona):
    actor = request.getfixturevalue(persona)
    before = len(_audits(f"room.{tool}"))
    if persona in FACILITATING:
        TOOLS[tool](stage, actor)
        rows = _audits(f"room.{tool}")
        assert len(rows) == before + 1
        assert rows[-1].actor_id == actor.id and rows[-1].target_id == stage["room"].id
    else:
        with pytest.raises(PermissionDenied):
            TOOLS[tool](stage, actor)
        db.session.rollback()
        assert len(_audits(f"room.{tool}")) == before


@pytest.mark.parametrize("persona", [*PERSONAS, "suspended"])
def test_can_facilitate_by_role(request, room, persona):
    user = request.getfixturevalue(persona)
    assert room_controls.can_facilitate(room, user) is (persona in FACILITATING)


def test_a_suspended_facilitator_cannot_facilitate(room, make_user):
    user = make_user("paused-host", roles_=("facilitator",))
    user.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    assert not room_controls.can_facilitate(room, user)
    with pytest.raises(PermissionDenied):
        room_controls.check_lock(room, True, acting_user=user)


def test_a_host_rule_decides_for_facilitators_and_members(monkeypatch, room, meeting_room,
                                                         member, facilitator, moderator):
    monkeypatch.setattr(room_controls, "_HOST_RULES", [])
    # A meeting: only its host (here the member) facilitates its room.
    room_controls.register_host_rule(
        lambda r, u: (u.id == member.id) if r.id == meeting_room.id else None)
    assert room_controls.can_facilitate(meeting_room, member)
    assert not room_controls.can_facilitate(meeting_room, facilitator)
    assert room_controls.can_facilitate(meeting_room, moderator)  # moderators always
    assert room_controls.can_facilitate(room, facilitator)  # no opinion elsewhere
    assert not room_controls.can_facilitate(room, member)
    with pytest.raises(PermissionDenied):
        room_controls.check_lock(meeting_room, True, acting_user=facilitator)


@pytest.fixture
def anonymous_room(app):
    """An always-open anonymous room, as the demo's anonymous-share."""
    return chat_support.make_room("quiet-corner", "Quiet corner", anonymous=True)


@pytest.mark.parametrize("persona", [*PERSONAS, "suspended"])
def test_only_moderators_and_admins_host_an_anonymous_room(request, anonymous_room, persona):
    user = request.getfixturevalue(persona)
    hosts = {"moderator", "trained_moderator", "admin"}
    assert room_controls.can_facilitate(anonymous_room, user) is (persona in hosts)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_facilitator_has_no_tool_in_an_anonymous_room(anonymous_room, facilitator, moderator,
                                                      make_user, tool, screener):
    knocker = make_user("quiet-willow")
    room_controls.check_waiting_room(anonymous_room, True, acting_user=moderator)
    assert room_entry.check_enter(anonymous_room, acting_user=knocker).waiting
    sent = chat.check_send(anonymous_room, "Tonight's reading", "pin-me", acting_user=moderator)
    stage = {"room": anonymous_room, "host": moderator, "knocker": knocker,
             "message_id": sent.message.id}
    before = len(_audits(f"room.{tool}"))
    with pytest.raises(PermissionDenied):
        TOOLS[tool](stage, facilitator)
    db.session.rollback()
    assert len(_audits(f"room.{tool}")) == before


def test_in_an_anonymous_room_a_facilitator_knocks_like_any_member(anonymous_room, facilitator,
                                                                  moderator, bus):
    room_controls.check_waiting_room(anonymous_room, True, acting_user=moderator)
    assert room_entry.check_enter(anonymous_room, acting_user=facilitator) == room_entry.Entry(
        waiting=True, facilitator=False)
    (knock,) = room_entry.knocks(anonymous_room)
    assert knock["pseudonym"] == "Anonymous member" and set(knock) == {"room", "token",
                                                                       "pseudonym"}
    assert bus[-1] == (room_entry.KNOCK, knock, ("hosts-quiet-corner",))
    room_entry.check_admit(anonymous_room, {"token": knock["token"]}, acting_user=moderator)
    assert room_entry.check_enter(anonymous_room, acting_user=facilitator) == room_entry.Entry(
        waiting=False, facilitator=False)


def test_an_anonymous_meeting_room_is_hosted_by_moderators(app, facilitator, moderator,
                                                          screener):
    # No form makes a meeting's room anonymous; should an admin mark one so in the database,
    # its facilitator host hands the room to the moderators rather than hear its knocks.
    meeting = meetings.check_schedule(running_meeting_data(anonymous="y"),
                                      acting_user=facilitator)
    assert meeting.room.anonymous is False  # scheduling never makes an anonymous room
    assert room_controls.can_facilitate(meeting.room, facilitator)
    meeting.room.anonymous = True
    db.session.commit()
    assert not room_controls.can_facilitate(meeting.room, facilitator)
    assert room_controls.can_facilitate(meeting.room, moderator)
    with pytest.raises(PermissionDenied):
        room_controls.check_lock(meeting.room, True, acting_user=facilitator)


def test_an_anonymous_room_takes_no_account_ids(anonymous_room, moderator, member, screener):
    sent = chat.check_send(anonymous_room, "hello", "m-1", acting_user=member)
    for check, extra in ((room_entry.check_mute, {"minutes": 5}), (room_entry.check_remove, {})):
        with pytest.raises(ValidationFailed) as refused:
            check(anonymous_room, {"user": member.id, **extra}, acting_user=moderator)
        assert refused.value.reasons == {"user": [
            "In an anonymous room, choose the member by one of their messages."]}
    db.session.rollback()
    assert room_entry.muted_until(anonymous_room, member.id) is None
    assert room_entry.check_mute(anonymous_room, {"message_id": sent.message.id, "minutes": 5},
                                 acting_user=moderator) is not None
    room_entry.check_remove(anonymous_room, {"message_id": sent.message.id},
                            acting_user=moderator)
    assert room_entry.is_removed(anonymous_room, member.id)


def test_waiting_room_defaults(room, meeting_room, facilitator):
    assert room_controls.waiting_room_on(meeting_room)
    assert not room_controls.waiting_room_on(room)
    room_controls.check_waiting_room(room, True, acting_user=facilitator)
    assert room_controls.waiting_room_on(room)
    with pytest.raises(ValidationFailed):
        room_controls.check_waiting_room(room, "yes", acting_user=facilitator)


def test_knock_admit_and_decline(stage, bus, facilitator, make_user):
    room_, knocker = stage["room"], stage["knocker"]
    (knock,) = room_entry.knocks(room_)
    token = knock["token"]
    assert knock == {"room": room_.slug, "token": token, "pseudonym": "quiet-willow"}
    assert isinstance(token, str) and len(token) >= 20 and str(knocker.id) != token
    late = make_user("late-lark")
    assert room_entry.check_enter(room_, acting_user=late).waiting
    late_token = bus[-1][1]["token"]
    assert late_token != token
    assert bus[-1] == (room_entry.KNOCK,
                       {"room": room_.slug, "token": late_token, "pseudonym": "late-lark"},
                       ("hosts-tuesday-circle",))
    # Knocking again while waiting (a second tab) is the same knock, with the same token.
    assert room_entry.check_enter(room_, acting_user=late).waiting
    assert bus[-1][1]["token"] == late_token and len(room_entry.knocks(room_)) == 2
    bus.clear()
    assert room_entry.check_admit(room_, {"token": token}, acting_user=facilitator) == token
    assert bus == [
        (room_entry.ADMITTED_EVENT, {"room": room_.slug}, (f"user-{knocker.id}",)),
        (room_entry.KNOCK_RESOLVED, {"room": room_.slug, "token": token, "admitted": True},
         ("hosts-tuesday-circle",)),
    ]
    assert room_entry.check_enter(room_, acting_user=knocker) == room_entry.Entry(False, False)
    bus.clear()
    room_entry.check_decline(room_, {"token": late_token}, acting_user=facilitator)
    assert names(bus) == [room_entry.DECLINED_EVENT, room_entry.KNOCK_RESOLVED]
    assert bus[0][2] == (f"user-{late.id}",)
    assert room_entry.knocks(room_) == []
    with pytest.raises(NotFound):  # a used token names nobody any more
        room_entry.check_admit(room_, {"token": late_token}, acting_user=facilitator)
    assert room_entry.check_enter(room_, acting_user=late).waiting  # may knock again
    assert bus[-1][1]["token"] not in (token, late_token)  # a new knock, a new token


def test_a_wrong_or_foreign_token_is_refused_like_a_missing_one(stage, meeting_room, room,
                                                               facilitator, make_user):
    room_, knocker = stage["room"], stage["knocker"]
    elsewhere = make_user("other-door")
    room_controls.check_waiting_room(room, True, acting_user=facilitator)
    assert room_entry.check_enter(room, acting_user=elsewhere).waiting
    foreign = knock_token(room, elsewhere)
    for check in (room_entry.check_admit, room_entry.check_decline):
        for token in (foreign, "x" * 22, "", None, 5, knocker.id, str(knocker.id), ["a"],
                      "y" * 500):
            with pytest.raises(NotFound):
                check(room_, {"token": token}, acting_user=facilitator)
        with pytest.raises(NotFound):  # the old way, by account id, names nobody
            check(room_, {"user": knocker.id}, acting_user=facilitator)
    assert [k["pseudonym"] for k in room_entry.knocks(room_)] == ["quiet-willow"]
    assert [k["pseudonym"] for k in room_entry.knocks(room)] == ["other-door"]


def test_facilitators_skip_the_waiting_room_and_the_lock(stage, facilitator):
    room_controls.check_lock(stage["room"], True, acting_user=stage["host"])
    assert room_entry.check_enter(stage["room"], acting_user=facilitator) == room_entry.Entry(
        waiting=False, facilitator=True)


def test_lock_keeps_those_inside_and_refuses_newcomers(room, facilitator, member, make_user):
    assert not room_entry.check_enter(room, acting_user=member).waiting
    room_controls.check_lock(room, True, acting_user=facilitator)
    assert room_controls.is_locked(room)
    assert not room_entry.check_enter(room, acting_user=member).waiting  # back after a drop
    newcomer = make_user("new-fern")
    with pytest.raises(room_entry.RoomLocked):
        room_entry.check_enter(room, acting_user=newcomer)
    room_controls.check_lock(room, False, acting_user=facilitator)
    assert not room_entry.check_enter(room, acting_user=newcomer).waiting


def test_remove_until_the_session_ends(stage, bus, facilitator, screener):
    room_, knocker = stage["room"], stage["knocker"]
    room_entry.check_admit(room_, {"token": knock_token(room_, knocker)},
                           acting_user=facilitator)
    bus.clear()
    room_entry.check_remove(room_, {"user": knocker.id}, acting_user=facilitator)
    # Whose connections leave is in the audience; the payload the member gets names no one.
    assert bus == [(room_entry.REMOVED_EVENT, {"room": room_.slug}, (f"user-{knocker.id}",))]
    with pytest.raises(room_entry.RemovedFromRoom):
        room_entry.check_enter(room_, acting_user=knocker)
    with pytest.raises(room_entry.RemovedFromRoom):
        chat.check_send(room_, "still here?", "r-1", acting_user=knocker)
    db.session.rollback()
    room_controls.check_end_session(room_, acting_user=facilitator)
    room_controls.check_open(room_, acting_user=facilitator)
    assert room_entry.check_enter(room_, acting_user=knocker).waiting  # a fresh session


def test_remove_by_message_author_and_not_facilitators(room, facilitator, moderator, member,
                                                      screener):
    sent = chat.check_send(room, "hello", "m-1", acting_user=member)
    room_entry.check_remove(room, {"message_id": sent.message.id}, acting_user=facilitator)
    assert room_entry.is_removed(room, member.id)
    for target in (moderator, facilitator):
        with pytest.raises(ValidationFailed):
            room_entry.check_remove(room, {"user": target.id}, acting_user=facilitator)
    with pytest.raises(ValidationFailed):
        room_entry.check_remove(room, {}, acting_user=facilitator)
    with pytest.raises(NotFound):
        room_entry.check_remove(room, {"user": 999999}, acting_user=facilitator)


def test_mute_refuses_sends_until_it_lapses(monkeypatch, room, bus, facilitator, member,
                                           second_member, screener):
    from forum.services import clock

    until = room_entry.check_mute(room, {"user": member.id, "minutes": 10},
                                  acting_user=facilitator)
    assert bus[-1] == (room_entry.MUTED_EVENT, {"room": room.slug, "until": until.isoformat()},
                       (f"user-{member.id}",))
    with pytest.raises(Exception) as refused:
        chat.check_send(room, "hello?", "m-1", acting_user=member)
    assert refused.value.code == "muted" and refused.value.extra == {"until": until.isoformat()}
    db.session.rollback()
    assert chat.check_send(room, "I can talk", "o-1", acting_user=second_member).state
    later = clock.now() + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert chat.check_send(room, "hello again", "m-2", acting_user=member).state == "published"


def test_mute_zero_lifts_and_bad_minutes_are_refused(room, facilitator, member, screener):
    room_entry.check_mute(room, {"user": member.id, "minutes": 30}, acting_user=facilitator)
    assert room_entry.check_mute(room, {"user": member.id, "minutes": 0},
                                 acting_user=facilitator) is None
    assert chat.check_send(room, "free", "m-1", acting_user=member).state == "published"
    for minutes in (-1, "5", None, True, 10**6):
        with pytest.raises(ValidationFailed):
            room_entry.check_mute(room, {"user": member.id, "minutes": minutes},
                                  acting_user=facilitator)


def test_slow_mode(monkeypatch, room, facilitator, member, second_member, screener):
    from forum.services import clock

    room_controls.check_slow_mode(room, 30, acting_user=facilitator)
    first = chat.check_send(room, "one", "s-1", acting_user=member)
    with pytest.raises(Exception) as refused:
        chat.check_send(room, "two", "s-2", acting_user=member)
    assert refused.value.code == "slow_mode"
    assert 0 < refused.value.extra["retry_after"] <= 30 and refused.value.extra["seconds"] == 30
    db.session.rollback()
    # A resend of the first message is not a new message; other members and hosts go on.
    assert chat.check_send(room, "one", "s-1", acting_user=member).message.id == first.message.id
    chat.check_send(room, "mine", "o-1", acting_user=second_member)
    for i in range(3):
        chat.check_send(room, f"host {i}", f"h-{i}", acting_user=facilitator)
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert chat.check_send(room, "two", "s-2", acting_user=member).state == "published"
    for seconds in (-1, 3601, "10", None, False):
        with pytest.raises(ValidationFailed):
            room_controls.check_slow_mode(room, seconds, acting_user=facilitator)


def test_rate_limit_per_member(app, room, member, second_member, facilitator, screener):
    app.config["CHAT_RATE_LIMIT"] = "3 per 10 seconds"
    for i in range(3):
        chat.check_send(room, f"n{i}", f"r-{i}", acting_user=member)
    with pytest.raises(Exception) as refused:
        chat.check_send(room, "too many", "r-3", acting_user=member)
    assert refused.value.code == "rate_limited" and refused.value.extra["retry_after"] >= 1
    db.session.rollback()
    assert chat.check_send(room, "n0", "r-0", acting_user=member).duplicate  # resend is fine
    assert chat.check_send(room, "me too", "o-1", acting_user=second_member).state
    for i in range(3):
        chat.check_send(room, f"h{i}", f"h-{i}", acting_user=facilitator)
    with pytest.raises(Exception) as host_refused:
        chat.check_send(room, "h3", "h-3", acting_user=facilitator)
    assert host_refused.value.code == "rate_limited"


def test_chat_rate_limit_comes_from_the_environment(monkeypatch, app_config):
    from forum import create_app

    monkeypatch.setenv("FORUM_CHAT_RATE_LIMIT", "500 per 10 seconds")
    assert create_app(app_config).config["CHAT_RATE_LIMIT"] == "500 per 10 seconds"
    monkeypatch.delenv("FORUM_CHAT_RATE_LIMIT")
    assert create_app(app_config).config["CHAT_RATE_LIMIT"] == "12 per 10 seconds"


def test_close_and_open_override(room, bus, facilitator, member, screener):
    room_controls.check_close(room, acting_user=facilitator)
    assert not chat.is_open(room)
    assert bus[-1] == (room_controls.CLOSED, {"room": room.slug, "reason": "closed"},
                       ("room-coffee-room", "hosts-coffee-room"))
    with pytest.raises(ValidationFailed):
        chat.check_join(room, acting_user=member)
    with pytest.raises(ValidationFailed):
        chat.check_send(room, "hello", "c-1", acting_user=member)
    db.session.rollback()
    state = room_controls.check_open(room, acting_user=facilitator)
    assert state["open"] and chat.is_open(room)
    assert bus[-1][0] == room_controls.STATE and bus[-1][2] == ("room-coffee-room",)


def test_end_session_closes_clears_and_tells_observers(monkeypatch, stage, bus, facilitator,
                                                      make_user):
    monkeypatch.setattr(room_controls, "_SESSION_END_OBSERVERS", [])
    ended = []
    room_controls.register_session_end_observer(ended.append)
    room_, knocker = stage["room"], stage["knocker"]
    muted = make_user("muted-moss")
    room_entry.check_enter(room_, acting_user=muted)
    room_entry.check_mute(room_, {"user": muted.id, "minutes": 30}, acting_user=facilitator)
    room_controls.check_slow_mode(room_, 60, acting_user=facilitator)
    room_controls.check_lock(room_, True, acting_user=facilitator)
    bus.clear()
    room_controls.check_end_session(room_, acting_user=facilitator)
    assert ended == [room_]
    assert not chat.is_open(room_)
    assert bus == [(room_controls.CLOSED, {"room": room_.slug, "reason": "ended"},
                    ("room-tuesday-circle", "hosts-tuesday-circle", f"user-{knocker.id}",
                     f"user-{muted.id}"))]
    assert db.session.scalars(select(RoomParticipant)).all() == []
    assert room_controls.slow_mode_seconds(room_) == 0 and not room_controls.is_locked(room_)
    # The meeting's next session follows its open rules again.
    monkeypatch.setattr(chat, "_OPEN_RULES", [lambda r, now: True])
    assert not chat.is_open(room_)
    room_controls.do_begin_session(room_)
    db.session.commit()
    assert chat.is_open(room_)


def test_pin_only_published_messages_of_the_room(room, meeting_room, bus, facilitator, member,
                                                 screener):
    shown = chat.check_send(room, "Step one", "p-1", acting_user=member).message
    held = chat.check_send(room, "call me [[hold:pii]]", "p-2", acting_user=member).message
    room_controls.check_open(meeting_room, acting_user=facilitator)
    elsewhere = chat.check_send(meeting_room, "other room", "p-3", acting_user=facilitator)
    for bad in (held.id, elsewhere.message.id, 999999, "1", None, True):
        with pytest.raises(NotFound):
            room_controls.check_pin(room, bad, acting_user=facilitator)
    bus.clear()
    room_controls.check_pin(room, shown.id, acting_user=facilitator)
    assert bus == [(room_controls.PINNED, {"room": room.slug,
                                           "message": chat.to_dict(shown, room)},
                    ("room-coffee-room",))]
    assert room_controls.pinned(room)["id"] == shown.id
    chat.check_delete(shown.id, acting_user=member)
    assert room_controls.pinned(room) is None  # taken out of the room: no longer pinned
    room_controls.check_unpin(room, acting_user=facilitator)
    assert bus[-1][1] == {"room": room.slug, "message": None}


def test_announce_is_screened_and_distinct(room, bus, facilitator, screener):
    result = room_controls.check_announce(room, "We start in five minutes", acting_user=facilitator)
    assert screener == [("We start in five minutes", "chat")]
    assert result.message.kind == "announcement"
    assert bus[-1][0] == chat.MESSAGE and bus[-1][1]["kind"] == "announcement"
    with pytest.raises(ContentRejected):
        room_controls.check_announce(room, "nasty [[block:harassment]]", acting_user=facilitator)
    db.session.rollback()
    assert len(_audits("room.announce")) == 1  # the refused one left no audit row
    with pytest.raises(ValidationFailed):
        room_controls.check_announce(room, "   ", acting_user=facilitator)


@pytest.mark.parametrize("category", ["crisis", "crisis-method", "overdose"])
def test_crisis_alert_goes_to_the_hosts_audience(room, bus, member, category, screener):
    sent = chat.check_send(room, f"help [[hold:{category}]]", "c-1", acting_user=member)
    alerts = [(p, a) for n, p, a in bus if n == "room.facilitator_alert"]
    assert alerts == [({"room": room.slug, "message_id": sent.message.id,
                        "author": "steady-heron", "categories": [category],
                        "priority": "urgent", "skip_user": member.id},
                       ("hosts-coffee-room",))]
    assert names(bus).count(chat.SUPPORT) == 1


@pytest.mark.parametrize("text", ["fine [[flag:relapse]]", "hello", "call [[hold:pii]]"])
def test_no_crisis_alert_for_other_messages(room, bus, member, text, screener):
    chat.check_send(room, text, "c-1", acting_user=member)
    assert "room.facilitator_alert" not in names(bus)


def test_crisis_alert_in_an_anonymous_room_names_nobody(app, bus, member, screener):
    hidden = chat_support.make_room("night-owls", "Night owls", anonymous=True)
    chat.check_send(hidden, "I can't go on [[hold:crisis]]", "c-1", acting_user=member)
    (alert,) = [p for n, p, _a in bus if n == "room.facilitator_alert"]
    assert alert["author"] == "Anonymous member"
    assert "text" not in alert and "text_html" not in alert


def test_room_standing_is_exported_and_erased_with_the_account(room, facilitator, member,
                                                              second_member):
    from forum.services.accounts import privacy

    room_entry.check_mute(room, {"user": member.id, "minutes": 5}, acting_user=facilitator)
    room_entry.check_remove(room, {"user": second_member.id}, acting_user=facilitator)
    exported = privacy.export_account(member)["room_participation"]
    assert [(r["room"], r["status"], bool(r["muted_until"])) for r in exported] == [
        ("coffee-room", None, True)]
    privacy.do_delete_account(member, keep_posts=True)
    assert [p.user_id for p in db.session.scalars(select(RoomParticipant))] == [
        second_member.id]
