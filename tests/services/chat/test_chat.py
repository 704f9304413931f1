"""The chat service: history, validation, idempotent sends, each verdict, review handlers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.errors import ContentRejected, NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import ChatMessage, ReviewItem
from forum.services import events, review_queue
from forum.services.chat import messages as chat
from forum.services.chat.guards import GuardError
from forum.services.review import sanctions
from tests.fixtures import chat as chat_support, threads as threads_support

room = chat_support.room
screener = threads_support.screener


@pytest.fixture
def bus():
    """Every committed chat event, as (name, payload, audience)."""
    got: list[tuple[str, dict, tuple]] = []

    def record(ev):
        got.append((ev.name, ev.payload, ev.audience))

    with events.subscribed((chat.MESSAGE, chat.SUPPORT, chat.REMOVED), record, alone=True):
        yield got


def _count() -> int:
    return db.session.scalar(select(func.count(ChatMessage.id)))


def test_allow_publishes_and_emits_to_room(room, member, screener, bus):
    result = chat.check_send(room, "Hello all", "c-1", acting_user=member)
    assert result.state == "published"
    assert screener == [("Hello all", "chat")]
    assert [(n, a) for n, _p, a in bus] == [(chat.MESSAGE, ("room-coffee-room",))]
    payload = bus[0][1]
    assert payload["author"] == "steady-heron"
    assert payload["client_id"] == "c-1"
    assert "<p>Hello all</p>" in payload["text_html"]
    assert review_queue.item_for("chat", result.message.id) is None


def test_flag_publishes_and_queues(room, member, screener, bus):
    result = chat.check_send(room, "buy now [[flag:spam]]", "c-1", acting_user=member)
    assert result.state == "published"
    item = review_queue.item_for("chat", result.message.id)
    assert item is not None and item.room_id == room.id and item.author_id == member.id
    assert [n for n, *_ in bus] == [chat.MESSAGE]


def test_hold_is_seen_by_sender_only_and_queued(room, member, second_member, screener, bus):
    result = chat.check_send(room, "my number [[hold:pii]]", "c-1", acting_user=member)
    assert result.state == "held"
    assert bus == []
    assert review_queue.item_for("chat", result.message.id) is not None
    assert [m["state"] for m in chat.history(room, member)] == ["held"]
    assert chat.history(room, second_member) == []


def test_block_saves_nothing_and_returns_the_verdict(room, member, screener, bus):
    with pytest.raises(ContentRejected) as err:
        chat.check_send(room, "nasty [[block:harassment]]", "c-1", acting_user=member)
    assert err.value.verdict.action == "block"
    assert _count() == 0 and bus == []


def test_crisis_sends_private_support_to_the_sender(room, member, screener, bus):
    result = chat.check_send(room, "I can't go on [[flag:crisis]]", "c-1", acting_user=member)
    assert result.state == "published"
    support = [(p, a) for n, p, a in bus if n == chat.SUPPORT]
    assert len(support) == 1
    payload, audience = support[0]
    assert audience == (f"user-{member.id}",)
    assert payload["message"]
    assert [r["id"] for r in payload["resources"]] == ["988-lifeline"]
    item = review_queue.item_for("chat", result.message.id)
    assert item.priority == "urgent"


def test_same_client_id_stores_one_message(room, member, screener, bus):
    first = chat.check_send(room, "Hello", "c-1", acting_user=member)
    again = chat.check_send(room, "Hello", "c-1", acting_user=member)
    assert again.duplicate and again.message.id == first.message.id
    assert _count() == 1
    assert len(screener) == 1  # screened once
    # The room hears the same message again: its first broadcast may never have left a
    # process killed after the commit. Clients show each id once.
    assert [(name, p["id"]) for name, p, _ in bus] == [(chat.MESSAGE, first.message.id)] * 2
    assert bus[0] == bus[1]


def test_a_resend_of_a_held_message_tells_no_one(room, member, screener, bus):
    first = chat.check_send(room, "Hello [[hold:pii]]", "c-1", acting_user=member)
    assert first.state == "held" and bus == []
    again = chat.check_send(room, "Hello [[hold:pii]]", "c-1", acting_user=member)
    assert again.duplicate and again.state == "held" and bus == []


def test_client_ids_are_per_author(room, member, second_member, screener):
    a = chat.check_send(room, "Hello", "c-1", acting_user=member)
    b = chat.check_send(room, "Hello", "c-1", acting_user=second_member)
    assert a.message.id != b.message.id


@pytest.mark.parametrize("text", ["", "   ", None, 42, "x" * (chat.TEXT_MAX + 1), "\x00\x00"])
def test_invalid_text_is_refused(room, member, screener, text):
    with pytest.raises(ValidationFailed):
        chat.check_send(room, text, "c-1", acting_user=member)
    assert _count() == 0


@pytest.mark.parametrize("client_id", ["", None, 7, "x" * 65])
def test_invalid_client_id_is_refused(room, member, screener, client_id):
    with pytest.raises(ValidationFailed):
        chat.check_send(room, "Hello", client_id, acting_user=member)


def test_nul_characters_are_dropped(room, member, screener):
    result = chat.check_send(room, "he\x00llo", "c-1", acting_user=member)
    assert result.message.text == "hello"


def test_muted_and_suspended_cannot_send(room, member, moderator, suspended, screener):
    sanctions.check_sanction(member, "mute", "Please take a day.", acting_user=moderator, days=1)
    for user in (member, suspended):
        with pytest.raises(PermissionDenied):
            chat.check_send(room, "Hello", "c-1", acting_user=user)
    with pytest.raises(PermissionDenied):
        chat.check_join(room, acting_user=suspended)
    assert _count() == 0


def test_closed_room_and_unknown_room(app, member):
    closed = chat_support.make_room("weekly-meeting", always_open=False)
    with pytest.raises(ValidationFailed):
        chat.check_join(closed, acting_user=member)
    for slug in ("nope", None, 3, "x" * 100):
        with pytest.raises(NotFound):
            chat.access_room(slug)


def test_anonymous_room_hides_the_author(app, member, screener):
    anon = chat_support.make_room("anonymous-share", anonymous=True)
    chat.check_send(anon, "Hello", "c-1", acting_user=member)
    assert chat.history(anon, member)[0]["author"] == "Anonymous member"


def test_history_is_last_50_oldest_first(app, room, member, screener):
    app.config["CHAT_RATE_LIMIT"] = "100 per 10 seconds"  # 55 quick sends, past the default
    for i in range(55):
        chat.check_send(room, f"m{i}", f"c-{i}", acting_user=member)
    got = chat.history(room, member)
    assert len(got) == 50
    assert "m5<" in got[0]["text_html"] and "m54<" in got[-1]["text_html"]


def test_messages_since(room, member, second_member, screener):
    ids = [chat.check_send(room, f"m{i}", f"c-{i}", acting_user=member).message.id
           for i in range(4)]
    chat.check_send(room, "held [[hold:pii]]", "c-h", acting_user=member)
    assert [m["id"] for m in chat.messages_since(room, ids[1], second_member)] == ids[2:]
    assert len(chat.messages_since(room, ids[1], member)) == 3  # plus the own held one
    for bad in (None, "3", -1, True):
        with pytest.raises(ValidationFailed):
            chat.messages_since(room, bad, member)


def test_delete_own_message(room, member, second_member, screener, bus):
    result = chat.check_send(room, "oops", "c-1", acting_user=member)
    with pytest.raises(NotFound):
        chat.check_delete(result.message.id, acting_user=second_member)
    chat.check_delete(result.message.id, acting_user=member)
    assert chat.history(room, member) == []
    assert bus[-1] == (chat.REMOVED, {"id": result.message.id, "room": room.slug},
                       ("room-coffee-room",))


def test_moderator_approval_publishes_a_held_message(room, member, moderator, screener, bus):
    result = chat.check_send(room, "my number [[hold:pii]]", "c-1", acting_user=member)
    item = review_queue.item_for("chat", result.message.id)
    review_queue.do_approve(item, acting_user=moderator)
    assert db.session.get(ChatMessage, result.message.id).status == "published"
    assert [(n, p["id"], a) for n, p, a in bus] == [
        (chat.MESSAGE, result.message.id, ("room-coffee-room",))]


def test_moderator_removal_hides_a_flagged_message(room, member, moderator, screener, bus):
    result = chat.check_send(room, "spam [[flag:spam]]", "c-1", acting_user=member)
    item = db.session.scalar(select(ReviewItem))
    review_queue.do_remove(item, "spam", acting_user=moderator)
    assert chat.history(room, member) == []
    assert bus[-1][0] == chat.REMOVED and bus[-1][1]["id"] == result.message.id


def test_export_and_account_deletion(room, member, second_member, screener):
    from forum.services.accounts import privacy

    chat.check_send(room, "mine", "c-1", acting_user=member)
    chat.check_send(room, "held [[hold:pii]]", "c-2", acting_user=member)
    chat.check_send(room, "kept", "c-1", acting_user=second_member)
    exported = privacy.export_account(member)["chat_messages"]
    assert [(m["room"], m["text"], m["status"]) for m in exported] == [
        ("coffee-room", "mine", "published"), ("coffee-room", "held [[hold:pii]]", "held")]
    privacy.do_delete_account(member, keep_posts=False)
    assert db.session.scalars(select(ChatMessage.text)).all() == ["kept"]
    assert db.session.scalar(select(func.count(ReviewItem.id))) == 0
    privacy.do_delete_account(second_member, keep_posts=True)
    assert chat.history(room, None)[0]["author"] == "Anonymous member"


def test_a_resent_announcement_writes_one_audit_row(room, facilitator, screener, bus):
    from forum.models import AuditEvent
    from forum.services.chat import facilitation as room_controls

    first = room_controls.check_announce(room, "We start in five", "a-1",
                                         acting_user=facilitator)
    again = room_controls.check_announce(room, "We start in five", "a-1",
                                         acting_user=facilitator)
    assert again.duplicate and again.message.id == first.message.id
    audits = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "room.announce")))
    assert len(audits) == 1 and _count() == 1
    assert [n for n, _p, _a in bus] == [chat.MESSAGE, chat.MESSAGE]  # the resend goes again


@pytest.fixture
def alerts():
    """Every committed facilitator alert, as (payload, audience)."""
    from forum.services.chat import guards as room_guards

    got: list[tuple[dict, tuple]] = []
    with events.subscribed((room_guards.FACILITATOR_ALERT,),
                           lambda ev: got.append((ev.payload, ev.audience)), alone=True):
        yield got


def _refuse(app, room, facilitator, member, how):
    """Make the member's next send refused: slow mode after one message, or the rate limit."""
    from forum.services.chat import facilitation as room_controls

    if how == "slow_mode":
        room_controls.check_slow_mode(room, 30, acting_user=facilitator)
    else:
        app.config["CHAT_RATE_LIMIT"] = "1 per 10 seconds"
    chat.check_send(room, "hello all", "c-1", acting_user=member)


@pytest.mark.parametrize("how", ["slow_mode", "rate_limited"])
def test_a_refused_crisis_message_is_still_heard(app, room, facilitator, member, second_member,
                                                 screener, bus, alerts, how):
    _refuse(app, room, facilitator, member, how)
    bus.clear()
    text = "I can't go on [[flag:crisis]]"
    with pytest.raises(GuardError) as refused:
        chat.check_send(room, text, "c-2", acting_user=member)
    assert refused.value.code == how
    db.session.rollback()  # as the socket handler does after any refusal
    kept = db.session.scalar(select(ChatMessage).where(ChatMessage.client_id == "c-2"))
    assert kept.status == "unsent" and kept.text == text
    item = review_queue.item_for("chat", kept.id)
    assert item.priority == "urgent" and item.categories == ["crisis"]
    # The writer alone gets support; nothing reaches the room.
    assert [(n, a) for n, _p, a in bus] == [(chat.SUPPORT, (f"user-{member.id}",))]
    assert [(p["message_id"], p["categories"], a) for p, a in alerts] == [
        (kept.id, ["crisis"], (f"hosts-{room.slug}",))]
    assert [m["client_id"] for m in chat.history(room, member)] == ["c-1"]
    assert [m["client_id"] for m in chat.history(room, second_member)] == ["c-1"]
    assert [t for t, _s in screener].count(text) == 1


def test_a_refused_ordinary_message_stores_nothing(room, facilitator, member, screener, bus,
                                                   app):
    _refuse(app, room, facilitator, member, "slow_mode")
    with pytest.raises(GuardError) as refused:
        chat.check_send(room, "and another thing", "c-2", acting_user=member)
    assert refused.value.code == "slow_mode"
    db.session.rollback()
    assert _count() == 1 and review_queue.item_for("chat", 2) is None


def test_a_kept_crisis_message_is_sent_once_the_wait_is_over(monkeypatch, app, room,
                                                             facilitator, member, screener,
                                                             bus, alerts):
    from datetime import timedelta

    from forum.services import clock

    _refuse(app, room, facilitator, member, "slow_mode")
    text = "I can't go on [[flag:crisis]]"
    for _attempt in range(2):  # a resend while still waiting is refused again, heard once
        with pytest.raises(GuardError) as refused:
            chat.check_send(room, text, "c-2", acting_user=member)
        assert refused.value.code == "slow_mode"
        db.session.rollback()
    assert len(alerts) == 1 and [n for n, _p, _a in bus].count(chat.SUPPORT) == 1
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    bus.clear()
    sent = chat.check_send(room, text, "c-2", acting_user=member)
    assert sent.state == "published" and not sent.duplicate
    assert [n for n, _p, _a in bus] == [chat.MESSAGE]
    assert [t for t, _s in screener].count(text) == 1  # screened once, not again on resend
    assert db.session.scalar(select(func.count(ReviewItem.id))) == 1
    assert [m["client_id"] for m in chat.history(room, member)] == ["c-1", "c-2"]


def test_a_kept_crisis_message_opens_in_the_review_queue(app, room, facilitator, member,
                                                        trained_moderator, screener):
    from tests.fixtures.threads import client_for

    _refuse(app, room, facilitator, member, "slow_mode")
    with pytest.raises(GuardError):
        chat.check_send(room, "I can't go on [[flag:crisis]]", "c-2", acting_user=member)
    db.session.rollback()
    kept = db.session.scalar(select(ChatMessage).where(ChatMessage.client_id == "c-2"))
    item = review_queue.item_for("chat", kept.id)
    response = client_for(app, trained_moderator).get(f"/review/{item.id}")
    assert response.status_code == 200
    assert "go on [[flag:crisis]]" in response.get_data(as_text=True)
