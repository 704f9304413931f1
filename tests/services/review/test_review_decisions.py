"""Decisions, caring messages, sanctions and appeals at the service level, with their audit
rows and what the author sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.errors import NotFound, PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.models import Post, ReviewDecision, TeamMessage
from forum.models.review import ESCALATED, RESOLVED
from forum.models.threads import HELD, PUBLISHED, REMOVED
from forum.services import review_queue
from forum.services.accounts import standing
from forum.services.review import (
    claims as review_claims,
    decisions as review_decisions,
    inbox as mod_inbox,
    sanctions,
)
from forum.services.review.content import check_resubmit, content_of, highlight
from tests.conftest import PERSONAS
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import audit_actions, post_item, verdict

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


def _post(item) -> Post:
    return db.session.get(Post, item.content_id)


def _inbox(user) -> list[str]:
    return [m.body for m in mod_inbox.conversation(user)]


def test_approve_publishes_a_held_post(app, board, member, moderator, screener):
    item = post_item(board, member, "my number is 555", "pii")
    assert _post(item).status == HELD
    review_decisions.check_decide(item, "approve", "not a real number", acting_user=moderator,
                                  followup_needed=False)
    assert _post(item).status == PUBLISHED and _post(item).visible
    assert item.status == RESOLVED and item.resolution == "approved"
    assert item.resolution_reason == "not a real number"
    assert audit_actions()[-1] == "review.approve"


def test_remove_hides_and_tells_the_author_who_may_resubmit(app, board, member, moderator,
                                                             screener):
    item = post_item(board, member, "buy from me", "sourcing", action="flag")
    review_decisions.check_decide(item, "remove", "Selling is not allowed here",
                                  acting_user=moderator, followup_needed=True)
    post = _post(item)
    assert post.status == REMOVED and not post.visible
    assert post.removed_reason == "Selling is not allowed here"
    assert any("Selling is not allowed here" in m for m in _inbox(member))
    check_resubmit(post.id, "I'll stick to my own story.", acting_user=member)
    assert post.status == HELD and post.body_md == "I'll stick to my own story."
    assert item.status == "open"  # back in front of the moderators
    assert "review.remove" in audit_actions()


def test_risk_item_is_never_removed_whole_unless_confirmed(
        app, board, member, trained_moderator, screener):
    item = post_item(board, member, "I can't go on. I have the pills counted out", "crisis-method")
    with pytest.raises(ValidationFailed):
        review_decisions.check_decide(item, "remove", "method", acting_user=trained_moderator,
                                      followup_needed=True)
    assert _post(item).status == HELD
    review_decisions.check_decide(item, "edit", "took out method details",
                                  new_text="I can't go on.", acting_user=trained_moderator,
                                  followup_needed=True)
    post = _post(item)
    assert post.status == PUBLISHED and post.body_md == "I can't go on."
    assert item.resolution == "edited"
    assert any("edited" in m for m in _inbox(member))
    assert audit_actions()[-1] == "review.edit"


def test_edit_and_approve_redacts_a_phone_number(app, board, member, moderator, screener):
    item = post_item(board, member, "text me at 555-0100", "pii")
    review_decisions.check_decide(item, "edit", "phone number", new_text="text me",
                                  acting_user=moderator, followup_needed=True)
    assert _post(item).body_md == "text me" and _post(item).visible


def test_escalate_goes_to_supervisors(app, board, member, moderator, make_user, admin,
                                      screener):
    supervisor = make_user("super-ivy", roles_=("moderator", "supervisor"))
    item = post_item(board, member, "is this hate?", "hate")
    review_decisions.check_decide(item, "escalate", "not sure", acting_user=moderator)
    assert item.status == ESCALATED and item.claimed_by_id is None
    assert not review_claims.can_claim(item, moderator)
    assert review_claims.can_claim(item, supervisor) and review_claims.can_claim(item, admin)
    review_decisions.check_decide(item, "approve", "quoting to criticise it",
                                  acting_user=supervisor, followup_needed=False)
    assert item.status == RESOLVED
    assert audit_actions()[-2:] == ["review.escalate", "review.approve"]


def test_dismiss_only_for_reports(app, board, member, second_member, moderator, screener):
    from forum.services.threads import reports

    item = post_item(board, member, "hello", "spam", action="flag")
    with pytest.raises(ValidationFailed):
        review_decisions.check_decide(item, "dismiss", "fine", acting_user=moderator,
                                      followup_needed=False)
    reports.check_report(_post(item).id, "looks like spam", acting_user=second_member)
    review_decisions.check_decide(item, "dismiss", "a genuine post", acting_user=moderator,
                                  followup_needed=False)
    assert item.resolution == "dismissed" and _post(item).visible
    assert audit_actions()[-1] == "review.dismiss"


def test_decisions_need_a_reason_and_the_claim(app, board, member, moderator,
                                               trained_moderator, screener):
    item = post_item(board, member, "hello", "spam", action="flag")
    with pytest.raises(ValidationFailed):
        review_decisions.check_decide(item, "approve", "  ", acting_user=moderator,
                                      followup_needed=False)
    review_claims.check_claim(item, acting_user=trained_moderator)
    with pytest.raises(ValidationFailed):
        review_decisions.check_decide(item, "approve", "fine", acting_user=moderator,
                                      followup_needed=False)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_decide_on_a_crisis_item(request, app, board, make_user, screener, persona):
    author = make_user("someone-hurting")
    user = request.getfixturevalue(persona)
    item = post_item(board, author, "I want to die", "crisis")
    if persona == "trained_moderator":
        review_decisions.check_decide(item, "approve", "disclosure, stays up", acting_user=user,
                                      followup_needed=True)
        assert item.status == RESOLVED
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            review_decisions.check_decide(item, "approve", "x", acting_user=user,
                                          followup_needed=True)


def test_followup_outcomes_for_risk_items(app, board, member, moderator, trained_moderator,
                                          screener):
    item = post_item(board, member, "overdosed last night", "overdose")
    with pytest.raises(PermissionDenied):
        review_decisions.check_followup(item, "reached-out", "", acting_user=moderator)
    review_decisions.check_followup(item, "crisis-line", "they called",
                                    acting_user=trained_moderator)
    assert item.followup == "crisis-line"
    row = db.session.scalar(select(ReviewDecision).where(ReviewDecision.decision == "followup"))
    assert row.reason == "they called" and row.category == "overdose"
    assert audit_actions()[-1] == "review.followup"


def test_caring_message_reaches_only_the_author(app, board, member, second_member,
                                                trained_moderator, screener):
    item = post_item(board, member, "I want to die", "crisis")
    review_decisions.check_caring_message(item, "We're here for you.",
                                          acting_user=trained_moderator)
    assert _inbox(member) == ["We're here for you."]
    assert _inbox(second_member) == []
    assert audit_actions()[-1] == "review.message"
    assert mod_inbox.unread_for_member(member) == 1
    assert item.first_action_at is not None


def test_caring_templates_load(app):
    slugs = {t.slug for t in mod_inbox.caring_templates()}
    assert {"checking-in", "resources", "after-relapse"} <= slugs


@pytest.mark.parametrize("language", [None, "es"])
def test_caring_templates_wrap_where_the_reader_s_screen_does(app, language):
    # The files are wrapped for editing; the inbox keeps line breaks, so a wrapped file would
    # break a phone's lines mid-sentence. One line per paragraph, paragraphs kept.
    for template in mod_inbox.caring_templates(language):
        paragraphs = template.body.split("\n\n")
        assert len(paragraphs) > 1, template.slug
        assert all("\n" not in p.strip() for p in paragraphs), template.slug


def test_member_messages_to_team_are_screened_and_risk_is_queued(app, member, screener):
    mod_inbox.check_member_message("I need help [[hold:crisis]]", acting_user=member)
    message = db.session.scalar(select(TeamMessage))
    item = review_queue.item_for("team_message", message.id)
    assert item is not None and item.priority == "urgent" and item.author_id == member.id


def test_highlight_splits_on_spans():
    segs = highlight("call 555-0100 now", [{"span": [5, 13]}, {"span": [7, 9]}, {"span": None}])
    assert [(s.text, s.matched) for s in segs] == [("call ", False), ("555-0100", True),
                                                   (" now", False)]


def test_content_has_context_and_no_author(app, board, member, second_member, screener):
    from tests.fixtures.threads import new_reply, new_thread

    thread = new_thread(board, member, body="first post here").post.thread
    new_reply(thread, second_member, body="second reply here")
    bad = new_reply(thread, member, body="bad reply [[flag:harassment]]").post
    content = content_of(review_queue.item_for("post", bad.id))
    assert content.context == ["first post here", "second reply here"]


# --- sanctions and appeals -------------------------------------------------------------------


def test_warn_mute_suspend_are_strikes_the_member_sees(app, member, moderator, fake_clock):
    warn = sanctions.check_sanction(member, "warn", "Be kind", acting_user=moderator)
    mute = sanctions.check_sanction(member, "mute", "Cool off", days=2, acting_user=moderator)
    assert not standing.can_write(member)
    fake_clock.advance(days=3)
    assert standing.can_write(member)
    suspend = sanctions.check_sanction(member, "suspend", "Threats", days=1,
                                       acting_user=moderator)
    assert member.suspended_until == suspend.ends_at
    assert [s.id for s in sanctions.strikes_of(member)] == [suspend.id, mute.id, warn.id]
    assert [s.reason for s in sanctions.strikes_of(member)] == ["Threats", "Cool off", "Be kind"]
    assert audit_actions()[-3:] == ["sanction.warn", "sanction.mute", "sanction.suspend"]
    assert any("Be kind" in m for m in _inbox(member))


def test_relapse_talk_never_earns_a_strike(app, board, member, moderator, screener):
    item = post_item(board, member, "I used again last night", "relapse", action="flag")
    with pytest.raises(ValidationFailed):
        sanctions.check_sanction(member, "warn", "relapse", item=item, acting_user=moderator)
    assert sanctions.strikes_of(member) == []


@pytest.mark.parametrize("category", ["crisis", "crisis-method", "overdose"])
def test_risk_disclosure_never_earns_a_strike(app, board, member, trained_moderator, screener,
                                              category):
    item = post_item(board, member, "I can't go on", category)
    review_queue.do_enqueue("post", item.content_id, verdict=verdict("spam", action="flag"))
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        sanctions.check_sanction(member, "mute", "Be kind", days=1, item=item,
                                 acting_user=trained_moderator)
    assert "isn't the tool for a risk disclosure" in refused.value.reasons["kind"][0]
    assert sanctions.strikes_of(member) == []


def test_harassment_beside_a_disclosure_may_still_earn_a_strike(app, board, member,
                                                                trained_moderator, screener):
    item = post_item(board, member, "you should die too", "harassment")
    review_queue.do_enqueue("post", item.content_id, verdict=verdict("crisis"))
    db.session.commit()
    assert set(item.categories) == {"harassment", "crisis"}
    strike = sanctions.check_sanction(member, "warn", "No wishing harm on others", item=item,
                                      acting_user=trained_moderator)
    assert sanctions.strikes_of(member) == [strike]


@pytest.mark.parametrize("persona", ["member", "second_member", "facilitator"])
def test_only_moderators_sanction(request, app, member, persona):
    actor = request.getfixturevalue(persona)
    target = member if persona != "member" else request.getfixturevalue("second_member")
    with pytest.raises(PermissionDenied):
        sanctions.check_sanction(target, "warn", "x", acting_user=actor)


def test_one_appeal_within_20_days_decided_by_a_different_moderator(
        app, member, moderator, trained_moderator, fake_clock):
    strike = sanctions.check_sanction(member, "suspend", "Spam", days=5, acting_user=moderator)
    appeal = sanctions.check_appeal(strike.id, "It was a misunderstanding", acting_user=member)
    with pytest.raises(ValidationFailed):
        sanctions.check_appeal(strike.id, "again", acting_user=member)
    with pytest.raises(PermissionDenied):
        sanctions.check_decide_appeal(appeal.id, True, "mine", acting_user=moderator)
    sanctions.check_decide_appeal(appeal.id, True, "Agreed, lifted", acting_user=trained_moderator)
    assert appeal.status == "overturned" and strike.revoked_at is not None
    assert member.suspended_until is None
    assert audit_actions()[-1] == "appeal.overturned"


def test_appeal_window_closes_after_20_days(app, member, second_member, moderator,
                                            fake_clock):
    strike = sanctions.check_sanction(member, "warn", "Rude", acting_user=moderator)
    with pytest.raises(NotFound):
        sanctions.check_appeal(strike.id, "not mine", acting_user=second_member)
    fake_clock.advance(days=20, seconds=1)
    with pytest.raises(ValidationFailed):
        sanctions.check_appeal(strike.id, "too late", acting_user=member)


def test_author_summary_has_no_identity(app, board, member, moderator, screener, fake_clock):
    first = post_item(board, member, "one", "spam", action="flag")
    review_decisions.check_decide(first, "remove", "spam", acting_user=moderator,
                                  followup_needed=True)
    sanctions.check_sanction(member, "warn", "spam", acting_user=moderator)
    second = post_item(board, member, "two", "spam", action="flag")
    summary = sanctions.author_summary(second)
    assert summary.earlier_items == 1 and summary.outcomes == {"removed": 1}
    assert summary.sanctions == ["Warning"]
    assert member.pseudonym not in repr(summary)
    fake_clock.advance(days=1)
    assert timedelta(days=1)
