"""Talk to someone now, at the service level: who may ask and accept, one active request,
the note's verdict, the race on accept, withdraw and close, room rules and the fallback job."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum.errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import AuditEvent, ReviewItem, Room, SupportRequest, User
from forum.services import jobs, review_queue
from forum.services.chat import messages as chat
from forum.services.review import duty
from forum.services.support import requests as support, rooms as support_rooms
from tests.fixtures import (
    review as review_support,
    talk as talk_support,
    threads as threads_support,
)
from tests.fixtures.talk import audience_of, on_duty

screener = threads_support.screener
fake_clock = review_support.fake_clock
support_bus = talk_support.support_bus

SUPPORTERS = ("facilitator", "moderator", "trained_moderator", "admin")


def _count() -> int:
    return db.session.scalar(select(func.count(SupportRequest.id)))


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# Who may ask.

@pytest.mark.parametrize("persona", ["member", "second_member", *SUPPORTERS])
def test_every_member_not_suspended_may_ask(request, persona):
    user = request.getfixturevalue(persona)
    result = support.check_open(acting_user=user)
    assert result.created and result.request.status == "open"
    assert result.request.requester_id == user.id


def test_suspended_member_cannot_ask(suspended):
    with pytest.raises(PermissionDenied):
        support.check_open("hello", acting_user=suspended)
    assert _count() == 0


def test_a_second_press_returns_the_active_request(member, screener):
    first = support.check_open("first note", acting_user=member)
    again = support.check_open("second note", acting_user=member)
    assert not again.created and again.request.id == first.request.id
    assert screener == [("first note", "post")]  # the second note was never screened
    assert _count() == 1


def test_a_new_request_after_the_last_one_ended(member):
    first = support.check_open(acting_user=member).request
    support.check_withdraw(first.id, acting_user=member)
    second = support.check_open(acting_user=member)
    assert second.created and second.request.id != first.id


def test_one_active_request_is_kept_by_the_database(member):
    support.check_open(acting_user=member)
    db.session.add(SupportRequest(requester_id=member.id, active_for_id=member.id))
    with pytest.raises(Exception, match="(?i)unique|constraint"):
        db.session.flush()
    db.session.rollback()
    assert _count() == 1


# The note goes through the pipeline once.

def test_blocked_note_is_refused_and_nothing_saved(member, screener, support_bus):
    with pytest.raises(ContentRejected) as caught:
        support.check_open("you are all [[block:harassment]]", acting_user=member)
    assert caught.value.field == "note"
    assert "Scripted block" in str(caught.value)
    assert _count() == 0 and support_bus == []


def test_crisis_note_is_urgent_with_resources(member, screener):
    req = support.check_open("I can't go on [[flag:crisis]]", acting_user=member).request
    assert req.urgent and req.resource_ids == ["988-lifeline"]
    assert [r.id for r in support_rooms.note_resources(req)] == ["988-lifeline"]
    assert review_queue.item_for(support.NOTE_KIND, req.id) is not None


def test_held_note_is_hidden_from_supporters_until_approved(member, facilitator, screener,
                                                           moderator):
    on_duty(facilitator)
    req = support.check_open("call me on [[hold:pii]]", acting_user=member).request
    assert not req.note_visible and not req.urgent
    assert [v.note for v in support.open_requests(acting_user=facilitator)] == [None]
    item = review_queue.item_for(support.NOTE_KIND, req.id)
    assert item.author_id == member.id
    review_queue.do_approve(item, acting_user=moderator)
    assert [v.note for v in support.open_requests(acting_user=facilitator)] == [
        "call me on [[hold:pii]]"]


def test_note_too_long_is_refused(member):
    with pytest.raises(ValidationFailed) as caught:
        support.check_open("x" * (support.NOTE_MAX + 1), acting_user=member)
    assert "note" in caught.value.reasons


def test_blank_note_is_no_note(member, screener):
    req = support.check_open("   ", acting_user=member).request
    assert req.note is None and screener == []


# The alert.

def test_alert_reaches_on_duty_supporters_only(member, second_member, facilitator, moderator,
                                               trained_moderator, admin, support_bus):
    on_duty(facilitator, moderator, admin)  # trained_moderator stays off duty
    req = support.check_open(acting_user=member).request
    assert len(support_bus) == 1
    name, payload, audience = support_bus[0]
    assert name == support.REQUESTED
    assert set(audience) == audience_of(facilitator, moderator, admin)
    assert not set(audience) & audience_of(member, second_member, trained_moderator)
    assert payload == {"id": req.id, "age_s": 0, "urgent": False, "pseudonym": member.pseudonym}


def test_an_on_duty_supporter_asking_is_not_alerted_about_themselves(facilitator, moderator,
                                                                     support_bus):
    on_duty(facilitator, moderator)
    support.check_open(acting_user=facilitator)
    assert set(support_bus[0][2]) == audience_of(moderator)


# Who may see and accept.

@pytest.mark.parametrize("persona", SUPPORTERS)
def test_on_duty_supporters_see_and_accept(request, persona, member, support_bus):
    user = request.getfixturevalue(persona)
    on_duty(user)
    req = support.check_open(acting_user=member).request
    assert [v.id for v in support.open_requests(acting_user=user)] == [req.id]
    assert support.access_request(req.id, viewer=user).id == req.id
    accepted = support.check_accept(req.id, acting_user=user)
    assert accepted.status == "accepted" and accepted.accepted_by_id == user.id
    audits = _audits("support.accept")
    assert [(a.actor_id, a.target_id) for a in audits] == [(user.id, req.id)]


@pytest.mark.parametrize("persona", [*SUPPORTERS, "member", "second_member"])
def test_off_duty_people_and_members_cannot_see_or_accept(request, persona, make_user):
    user = request.getfixturevalue(persona)
    asker = make_user("asking-wren")
    req = support.check_open(acting_user=asker).request
    with pytest.raises(NotFound):
        support.access_request(req.id, viewer=user)
    with pytest.raises(PermissionDenied):
        support.open_requests(acting_user=user)
    with pytest.raises(PermissionDenied):
        support.check_accept(req.id, acting_user=user)
    assert db.session.get(SupportRequest, req.id).status == "open"


def test_members_cannot_go_on_duty(member, second_member):
    for user in (member, second_member):
        with pytest.raises(PermissionDenied):
            duty.check_set_duty(True, acting_user=user)


def test_suspended_supporter_cannot_accept(make_user, member, db):
    from forum.models.base import utcnow

    paused = make_user("paused-host", roles_=("facilitator",))
    on_duty(paused)
    paused.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    req = support.check_open(acting_user=member).request
    with pytest.raises(PermissionDenied):
        support.check_accept(req.id, acting_user=paused)


def test_supporter_cannot_accept_their_own_request(facilitator):
    on_duty(facilitator)
    req = support.check_open(acting_user=facilitator).request
    with pytest.raises(PermissionDenied):
        support.check_accept(req.id, acting_user=facilitator)
    assert [v.id for v in support.open_requests(acting_user=facilitator)] == []


def test_unknown_request_is_not_found(facilitator):
    on_duty(facilitator)
    for bad in (999, "1", None, True):
        with pytest.raises(NotFound):
            support.check_accept(bad, acting_user=facilitator)


def test_facilitator_duty_is_audited_and_not_counted_as_a_moderator(app, facilitator,
                                                                    moderator):
    on_duty(facilitator)
    assert duty.is_on_duty(facilitator)
    assert [a.actor_id for a in _audits("duty.on")] == [facilitator.id]
    assert not duty.header_status(now=support.clock.now()).on_duty
    assert duty.on_duty_users() == []
    assert duty.on_duty_users(moderators_only=False) == [facilitator]
    on_duty(moderator)
    assert duty.header_status(now=support.clock.now()).on_duty
    assert duty.on_duty_users() == [moderator]
    duty.check_set_duty(False, acting_user=facilitator)
    assert not duty.is_on_duty(facilitator)


# Accepting: the first wins.

def test_second_accept_is_told_someone_else_is_there(member, facilitator, moderator,
                                                     trained_moderator, support_bus):
    on_duty(facilitator, moderator, trained_moderator)
    req = support.check_open(acting_user=member).request
    support_bus.clear()
    support.check_accept(req.id, acting_user=facilitator)
    with pytest.raises(support.AlreadyTaken, match="Someone else is already with them"):
        support.check_accept(req.id, acting_user=moderator)
    stored = db.session.get(SupportRequest, req.id)
    assert stored.accepted_by_id == facilitator.id
    assert db.session.scalar(select(func.count(Room.id))) == 1
    assert len(_audits("support.accept")) == 1
    by_name = {name: (payload, set(audience)) for name, payload, audience in support_bus}
    room = db.session.get(Room, stored.room_id)
    assert by_name[support.ACCEPTED] == ({"id": req.id, "room": room.slug},
                                         audience_of(member))
    assert by_name[support.TAKEN] == ({"id": req.id}, audience_of(moderator, trained_moderator))
    assert len(support_bus) == 2


def test_accept_uses_the_stored_status_not_a_stale_copy(app, member, facilitator, moderator):
    on_duty(facilitator, moderator)
    req = support.check_open(acting_user=member).request
    stale = db.session.get(SupportRequest, req.id)
    assert stale.status == "open"
    # Another process accepts meanwhile; this session still holds the open copy.
    with db.engine.begin() as other:
        other.execute(update(SupportRequest.__table__).where(SupportRequest.id == req.id)
                      .values(status="accepted", accepted_by_id=moderator.id))
    with pytest.raises(support.AlreadyTaken):
        support.check_accept(req.id, acting_user=facilitator)
    assert db.session.scalar(select(func.count(Room.id))) == 0
    assert _audits("support.accept") == []


def test_two_accepts_at_once_have_one_winner(app, member, facilitator, moderator):
    on_duty(facilitator, moderator)
    request_id = support.check_open(acting_user=member).request.id
    supporter_ids = [facilitator.id, moderator.id]
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def accept(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                support.check_accept(request_id, acting_user=user)
                outcomes[user_id] = "won"
            except support.AlreadyTaken:
                outcomes[user_id] = "taken"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in supporter_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["taken", "won"]
    winner = next(i for i, o in outcomes.items() if o == "won")
    stored = db.session.get(SupportRequest, request_id)
    assert stored.accepted_by_id == winner
    assert db.session.scalar(select(func.count(Room.id))) == 1
    assert [a.actor_id for a in _audits("support.accept")] == [winner]


# The private room.

@pytest.fixture
def accepted(member, facilitator):
    """An accepted request between member and an on-duty facilitator, and its room."""
    on_duty(facilitator)
    req = support.check_open(acting_user=member).request
    support.check_accept(req.id, acting_user=facilitator)
    req = db.session.get(SupportRequest, req.id)
    return req, support.room_of(req)


def test_private_room_is_for_the_two_only(accepted, member, facilitator, second_member,
                                          moderator, trained_moderator, admin):
    req, room = accepted
    assert room.always_open and not room.anonymous
    assert room.slug.startswith(support.ROOM_PREFIX) and len(room.slug) >= 32
    for user in (member, facilitator):
        assert chat.access_room(room.slug, user).id == room.id
        chat.check_join(room, acting_user=user)
    for user in (second_member, moderator, trained_moderator, admin, None):
        with pytest.raises(NotFound):
            chat.access_room(room.slug, user)
    for user in (member, facilitator, second_member, admin, None):
        assert room.id not in [r.id for r in chat.list_rooms(user)]


def test_support_room_without_a_request_stays_hidden(app, member):
    stray = Room(slug=support.ROOM_PREFIX + "stray", title="Stray", always_open=True)
    db.session.add(stray)
    db.session.commit()
    with pytest.raises(NotFound):
        chat.access_room(stray.slug, member)


def test_other_rooms_are_untouched(app, member):
    plain = Room(slug="coffee-room", title="Coffee room", always_open=True)
    db.session.add(plain)
    db.session.commit()
    assert chat.access_room("coffee-room", member).id == plain.id
    assert [r.slug for r in chat.list_rooms(member)] == ["coffee-room"]


@pytest.mark.parametrize("closer", ["member", "facilitator"])
def test_either_person_closes_and_the_room_refuses_messages(request, accepted, closer,
                                                            support_bus, screener):
    req, room = accepted
    user = request.getfixturevalue(closer)
    other = request.getfixturevalue("facilitator" if closer == "member" else "member")
    assert chat.check_send(room, "hello", "c-1", acting_user=other).state == "published"
    support_bus.clear()
    support.check_close(req.id, acting_user=user)
    assert db.session.get(SupportRequest, req.id).status == "closed"
    assert not chat.is_open(room)
    with pytest.raises(ValidationFailed):
        chat.check_send(room, "still there?", "c-2", acting_user=other)
    assert [(n, set(a)) for n, _p, a in support_bus] == [
        (support.CLOSED, audience_of(request.getfixturevalue("member"),
                                     request.getfixturevalue("facilitator")))]
    # A supporter closing is audited (the member is not on the moderation team).
    actors = [a.actor_id for a in _audits("support.close")]
    assert actors == ([user.id] if closer == "facilitator" else [])
    # The member may ask again afterwards.
    assert support.check_open(acting_user=request.getfixturevalue("member")).created


@pytest.mark.parametrize("persona", ["second_member", "moderator", "admin"])
def test_others_cannot_close(request, accepted, persona):
    req, _room = accepted
    with pytest.raises(NotFound):
        support.check_close(req.id, acting_user=request.getfixturevalue(persona))
    assert db.session.get(SupportRequest, req.id).status == "accepted"


# Withdraw.

def test_member_withdraws_and_alerts_go_away(member, facilitator, moderator, support_bus):
    on_duty(facilitator, moderator)
    req = support.check_open(acting_user=member).request
    support_bus.clear()
    support.check_withdraw(req.id, acting_user=member)
    stored = db.session.get(SupportRequest, req.id)
    assert stored.status == "withdrawn" and stored.active_for_id is None
    assert [(n, p, set(a)) for n, p, a in support_bus] == [
        (support.TAKEN, {"id": req.id}, audience_of(facilitator, moderator))]
    with pytest.raises(support.AlreadyTaken, match="no longer waiting"):
        support.check_accept(req.id, acting_user=facilitator)


@pytest.mark.parametrize("persona", ["second_member", "facilitator", "admin"])
def test_only_the_member_withdraws(request, member, persona):
    user = request.getfixturevalue(persona)
    if support.can_support(user):
        on_duty(user)
    req = support.check_open(acting_user=member).request
    with pytest.raises(NotFound):
        support.check_withdraw(req.id, acting_user=user)
    assert db.session.get(SupportRequest, req.id).status == "open"


def test_withdraw_after_accept_is_refused(accepted, member):
    req, _room = accepted
    with pytest.raises(ValidationFailed):
        support.check_withdraw(req.id, acting_user=member)
    assert db.session.get(SupportRequest, req.id).status == "accepted"


# Three minutes without an answer.

def test_deadline_follows_the_clock(member, fake_clock):
    req = support.check_open(acting_user=member).request
    fake_clock.advance(seconds=179)
    assert not support.past_deadline(req) and support.seconds_left(req) == 1
    fake_clock.advance(seconds=1)
    assert support.past_deadline(req) and support.seconds_left(req) == 0
    assert db.session.get(SupportRequest, req.id).status == "open"


def test_fallback_job_tells_the_member_once(member, second_member, facilitator, fake_clock,
                                            support_bus):
    on_duty(facilitator)
    req = support.check_open(acting_user=member).request
    support_bus.clear()
    assert "support.fallback" in jobs.registered()
    fake_clock.advance(seconds=170)
    assert support.run_fallback(fake_clock()) == 0
    fake_clock.advance(seconds=10)
    assert jobs.run_due(fake_clock(), force=True)["support.fallback"] == 1
    assert support.run_fallback(fake_clock.advance(seconds=60)) == 0
    assert support_bus == [(support.FALLBACK, {"id": req.id}, (f"user-{member.id}",))]
    stored = db.session.get(SupportRequest, req.id)
    assert stored.status == "open" and stored.fallback_sent_at is not None


def test_fallback_skips_answered_requests(accepted, fake_clock, support_bus):
    fake_clock.advance(minutes=5)
    assert support.run_fallback(fake_clock()) == 0
    assert support_bus == []


def test_fallback_resources_are_crisis_and_overdose_lines(app):
    kinds = [r.kind for r in support_rooms.fallback_resources()]
    assert kinds and set(kinds) == {"crisis", "overdose"}
    assert kinds == sorted(kinds, key=("crisis", "overdose").index)


# Held notes in the review queue.

def test_removing_a_held_note_keeps_it_hidden(member, moderator, screener):
    req = support.check_open("my address [[hold:pii]]", acting_user=member).request
    item = review_queue.item_for(support.NOTE_KIND, req.id)
    review_queue.do_remove(item, "personal details", acting_user=moderator)
    assert not db.session.get(SupportRequest, req.id).note_visible
    assert db.session.scalar(select(func.count(ReviewItem.id))) == 1


def test_requests_and_time_to_answer_reach_the_community_measures(make_user, facilitator,
                                                                  fake_clock):
    from datetime import UTC, date, datetime

    from forum.services.measures import report as measures

    on_duty(facilitator)
    askers = [make_user(f"asker-{i:02d}") for i in range(10)]
    fake_clock.at = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)  # a Tuesday
    for n, asker in enumerate(askers):
        req = support.check_open(acting_user=asker).request
        fake_clock.advance(minutes=2 + 2 * (n % 2))  # answered after 2 or 4 minutes
        support.check_accept(req.id, acting_user=facilitator)
    fake_clock.at = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)  # the next week: two people ask
    for asker in askers[:2]:
        support.check_close(support.active_request(asker).id, acting_user=asker)
        support.check_open(acting_user=asker)

    report = measures.build_report(measures.make_period(date(2026, 11, 2), date(2026, 11, 15)))
    by_key = {f.key: f for f in report.figures}
    asked = dict(by_key["support_requests"].series[0].weekly)
    minutes = dict(by_key["support_answer_minutes"].series[0].weekly)
    week1, week2 = date(2026, 11, 2), date(2026, 11, 9)
    assert asked[week1].value == 10 and minutes[week1].value == 3
    assert asked[week2].suppressed and minutes[week2].suppressed  # fewer than 10 people
