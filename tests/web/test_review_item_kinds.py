"""Every kind of content that can enter the review queue, opened on its item page by a trained
moderator, and every decision that page offers taken through its form: the item is closed (or
escalated), the content changes as the decision says, and an audit row is written."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    ChatMessage,
    Meeting,
    Post,
    PseudonymHistory,
    Sanction,
    SupportRequest,
    TeamMessage,
    User,
)
from forum.models.chat import CHAT_PUBLISHED, CHAT_REMOVED
from forum.models.meetings import CANCELLED, SCHEDULED
from forum.models.review import ESCALATED, RESOLVED
from forum.models.threads import PUBLISHED, REMOVED
from forum.services import content_kinds, review_queue
from forum.services.chat import messages as chat
from forum.services.meetings import schedule as meetings
from forum.services.review import inbox as mod_inbox
from forum.services.support import requests as support
from forum.services.threads import reports
from tests.conftest import csrf_from
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.meetings import meeting_data
from tests.fixtures.review import audit_actions, post_item, verdict
from tests.fixtures.threads import client_for, new_thread

board = threads_support.board
screener = threads_support.screener
room = chat_support.room

TEXT = "Nobody here understands anything"


def _post(ctx, category):
    return post_item(ctx["board"], ctx["member"], TEXT, category)


def _reported_post(ctx, category):
    post = new_thread(ctx["board"], ctx["member"], body=TEXT).post
    reports.check_report(post.id, "This feels unkind to me", acting_user=ctx["second_member"])
    return review_queue.item_for("post", post.id)


def _report(ctx, category):
    post = new_thread(ctx["board"], ctx["second_member"], body="An ordinary post.").post
    report = reports.check_report(post.id, f"{TEXT} [[flag:{category}]]",
                                  acting_user=ctx["member"])
    return review_queue.item_for("report", report.id)


def _chat(ctx, category):
    result = chat.check_send(ctx["room"], f"{TEXT} [[hold:{category}]]", "c-1",
                             acting_user=ctx["member"])
    return review_queue.item_for("chat", result.message.id)


def _meeting(ctx, category):
    start = (date.today() + timedelta(days=7)).isoformat()
    meeting = meetings.check_schedule(
        meeting_data(description=f"{TEXT} [[flag:{category}]]", start_date=start),
        acting_user=ctx["facilitator"])
    return review_queue.item_for("meeting", meeting.id)


def _pseudonym(ctx, category):
    # What `flask rescreen` does when a name in use no longer screens clean.
    item = review_queue.do_enqueue("pseudonym", ctx["member"].id,
                                   verdict=verdict(category, action="flag"))
    db.session.commit()
    return item


def _support_note(ctx, category):
    result = support.check_open(f"{TEXT} [[hold:{category}]]", acting_user=ctx["member"])
    return review_queue.item_for(support.NOTE_KIND, result.request.id)


def _team_message(ctx, category):
    message = mod_inbox.check_member_message(f"{TEXT} [[flag:{category}]]",
                                             acting_user=ctx["member"])
    return review_queue.item_for("team_message", message.id)


MAKERS = {
    "post": _post, "reported_post": _reported_post, "report": _report, "chat": _chat,
    "meeting": _meeting, "pseudonym": _pseudonym, "support_note": _support_note,
    "team_message": _team_message,
}
# What the page offers on an item of another category than risk, beside the caring message
# and the strike: the decisions that mean something for that kind of content.
DECISIONS = {
    "post": {"edit", "approve", "remove", "escalate"},
    "reported_post": {"edit", "approve", "remove", "escalate", "dismiss"},
    "report": {"approve", "escalate"},
    "chat": {"approve", "remove", "escalate"},
    "meeting": {"approve", "remove", "escalate"},
    "pseudonym": {"approve", "remove", "escalate"},
    "support_note": {"approve", "remove", "escalate"},
    "team_message": {"approve", "escalate"},
}
# Risk to the author: reaching out and the follow-up instead of a strike; editing is folded.
RISK_KINDS = ("post", "report", "chat", "meeting", "support_note", "team_message")
CASES = (
    [(kind, "harassment", action) for kind in MAKERS
     for action in sorted(DECISIONS[kind] | {"message", "sanction"})]
    + [(kind, "crisis", action) for kind in RISK_KINDS
       for action in sorted(DECISIONS[kind] | {"message", "followup"})]
)


OPEN_CASES = ([(kind, "harassment") for kind in MAKERS]
              + [(kind, "crisis") for kind in RISK_KINDS])


def test_every_kind_the_queue_knows_is_covered(app):
    """A new kind of content in the queue needs a line in MAKERS (and a way to show it)."""
    reviewed = {kind.name for kind in content_kinds.reviewed()}
    assert reviewed == set(MAKERS) - {"reported_post"}


@pytest.fixture
def ctx(app, board, room, member, second_member, facilitator, trained_moderator, screener):
    """Everything a maker needs, and the moderator's client."""
    return {"board": board, "room": room, "member": member, "second_member": second_member,
            "facilitator": facilitator, "client": client_for(app, trained_moderator)}


_SELECT = re.compile(r'<select[^>]*name="decision"[^>]*>(.*?)</select>', re.S)
_OPTION = re.compile(r'<option[^>]*value="([^"]*)"')


def _offered(html: str) -> set[str]:
    match = _SELECT.search(html)
    offered = set(_OPTION.findall(match.group(1))) if match else set()
    offered.discard("")
    if 'name="decision" value="edit"' in html or "Open the text in the editor" in html:
        offered.add("edit")
    return offered


@pytest.mark.parametrize(("kind", "category"), OPEN_CASES)
def test_item_page_opens_and_offers_what_fits(ctx, kind, category):
    item = MAKERS[kind](ctx, category)
    assert item is not None and item.status == "open"
    response = ctx["client"].get(f"/review/{item.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = ctx["member"].pseudonym if kind == "pseudonym" else TEXT
    assert shown in unescape(html)
    assert _offered(html) == DECISIONS[kind]
    assert f"/review/{item.id}/message" in html
    if category == "crisis":
        assert f"/review/{item.id}/sanction" not in html
        assert f"/review/{item.id}/followup" in html
    else:
        assert f"/review/{item.id}/sanction" in html
        assert f"/review/{item.id}/followup" not in html


MODELS = {"post": Post, "reported_post": Post, "chat": ChatMessage, "meeting": Meeting,
          "support_note": SupportRequest, "team_message": TeamMessage, "pseudonym": User}


def _content(kind, item):
    model = MODELS.get(kind)
    return db.session.get(model, item.content_id) if model is not None else None


def _check_approved(kind, item, before):
    assert item.status == RESOLVED and item.resolution == "approved"
    content = _content(kind, item)
    if kind in ("post", "reported_post"):
        assert content.status == PUBLISHED
    elif kind == "chat":
        assert content.status == CHAT_PUBLISHED
    elif kind == "support_note":
        assert content.note_visible is True
    elif kind == "meeting":
        assert content.status == SCHEDULED
    elif kind == "pseudonym":
        assert content.pseudonym == before


def _check_removed(kind, item, before):
    assert item.status == RESOLVED and item.resolution == "removed"
    content = _content(kind, item)
    if kind in ("post", "reported_post"):
        assert content.status == REMOVED and not content.visible
    elif kind == "chat":
        assert content.status == CHAT_REMOVED
    elif kind == "support_note":
        assert content.note_visible is False
    elif kind == "meeting":
        assert content.status == CANCELLED
    elif kind == "pseudonym":
        assert content.pseudonym != before
        assert db.session.scalar(select(PseudonymHistory.pseudonym).where(
            PseudonymHistory.user_id == content.id)) == before
    # The author is told, in words that fit what was removed.
    notice = db.session.scalars(select(TeamMessage.body).where(
        TeamMessage.member_id == item.author_id, TeamMessage.from_team.is_(True))).all()
    assert any("The reason: Not for here" in body for body in notice)
    if kind not in ("post", "reported_post"):
        assert not any("send it again" in body for body in notice)


@pytest.mark.parametrize(("kind", "category", "action"), CASES)
def test_each_decision_through_the_item_page(app, ctx, kind, category, action):
    item = MAKERS[kind](ctx, category)
    client = ctx["client"]
    token = csrf_from(client, f"/review/{item.id}")
    before = db.session.get(User, ctx["member"].id).pseudonym
    audits = len(audit_actions())
    reason = "Not for here"
    if action in ("message", "sanction", "followup"):
        form = {"message": {"body": "We are thinking of you."},
                "sanction": {"kind": "warn", "reason": reason},
                "followup": {"outcome": "reached-out", "note": ""}}[action]
        response = client.post(f"/review/{item.id}/{action}", data={"csrf_token": token, **form})
        assert response.status_code == 302
        expected_audit = {"message": "review.message", "sanction": "sanction.warn",
                          "followup": "review.followup"}[action]
    else:
        data = {"csrf_token": token, "decision": action, "reason": reason,
                "followup_needed": "no"}
        if action == "edit":
            if category == "crisis":
                # The editor is folded on a risk item: opened, it holds the text.
                html = client.get(f"/review/{item.id}?edit=1").get_data(as_text=True)
                assert re.search(r'<details class="edit-approve" id="edit" open>', html)
            data["new_text"] = "An edited, kinder text."
        if action == "remove" and category == "crisis":
            data["whole_disclosure"] = "y"
        response = client.post(f"/review/{item.id}/decide", data=data)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/review")  # saved: back to the queue
        expected_audit = f"review.{action}"
    actions = audit_actions()
    assert expected_audit in actions[audits:]
    db.session.refresh(item)
    if action == "approve":
        _check_approved(kind, item, before)
    elif action == "remove":
        _check_removed(kind, item, before)
    elif action == "edit":
        assert item.status == RESOLVED and item.resolution == "edited"
        post = db.session.get(Post, item.content_id)
        assert post.body_md == "An edited, kinder text." and post.status == PUBLISHED
    elif action == "escalate":
        assert item.status == ESCALATED
    elif action == "dismiss":
        assert item.status == RESOLVED and item.resolution == "dismissed"
        assert db.session.get(Post, item.content_id).status == PUBLISHED
    elif action == "message":
        assert db.session.scalar(select(TeamMessage).where(
            TeamMessage.member_id == item.author_id,
            TeamMessage.body == "We are thinking of you.")) is not None
    elif action == "sanction":
        strike = db.session.scalar(select(Sanction))
        assert strike is not None and strike.user_id == item.author_id
    elif action == "followup":
        assert item.followup == "reached-out"


def test_a_decision_that_does_not_fit_is_refused(ctx):
    item = _team_message(ctx, "harassment")
    client = ctx["client"]
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/decide",
                data={"csrf_token": token, "decision": "remove", "reason": "gone",
                      "followup_needed": "yes"})
    db.session.refresh(item)
    assert item.status == "open"
    assert "review.remove" not in audit_actions()
