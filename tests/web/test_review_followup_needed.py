"""Every decision that closes a flagged item says whether it needed follow-up: the review page
asks, refuses a missing answer without losing what was typed, stores and audits the answer;
the team view shows which flags cry wolf, to admins only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEvent, Post
from forum.models.review import ESCALATED, OPEN, RESOLVED
from forum.services.review import decisions as review_decisions
from tests.conftest import PERSONAS, csrf_from, page_text
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import audit_actions, post_item
from tests.fixtures.threads import client_for

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock

QUESTION = "Did this need follow-up?"


def test_the_decision_form_asks_whether_follow_up_was_needed(app, board, member, moderator,
                                                             screener):
    item = post_item(board, member, "cheap watches", "spam", action="flag")
    html = client_for(app, moderator).get(f"/review/{item.id}").get_data(as_text=True)
    form = html.split('class="decision-form"')[1].split("</form>")[0]
    assert QUESTION in form
    assert re.search(r'<input type="radio" name="followup_needed" value="yes" id="followup-yes"',
                     form)
    assert 'for="followup-no"' in form and "Not needed when you escalate." in form
    assert "style=" not in html


def test_a_missing_answer_is_refused_and_the_typed_reason_kept(app, board, member, moderator,
                                                              screener):
    item = post_item(board, member, "cheap watches", "spam", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "approve", "reason": "A genuine question about watches"})
    assert response.status_code == 400
    html = page_text(response)
    assert "Please answer whether this needed follow-up" in html
    assert "\nA genuine question about watches</textarea>" in html
    assert 'aria-describedby="followup-hint followup-error"' in html
    db.session.refresh(item)
    assert item.status == OPEN and item.claimed_by_id is None
    assert "review.approve" not in audit_actions()
    # Answered, the same decision goes through.
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "approve", "reason": "A genuine question about watches",
        "followup_needed": "no"})
    assert response.status_code == 302
    assert item.status == RESOLVED and item.followup_needed is False


def test_the_answer_is_stored_and_audited_with_the_decision(app, board, member, moderator,
                                                           screener):
    item = post_item(board, member, "buy pills from me", "sourcing", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "remove", "reason": "No selling, please",
        "followup_needed": "yes"})
    assert item.status == RESOLVED and item.followup_needed is True
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.remove"))
    assert event.details == {"item_id": item.id, "followup_needed": True}
    assert event.reason == "No selling, please"


def test_an_answer_that_is_neither_yes_nor_no_is_refused(app, board, member, moderator,
                                                         screener):
    item = post_item(board, member, "cheap watches", "spam", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "approve", "reason": "fine", "followup_needed": "maybe"})
    assert response.status_code == 400 and item.status == OPEN


def test_escalating_needs_no_answer(app, board, member, moderator, screener):
    item = post_item(board, member, "is this hate?", "hate", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "escalate", "reason": "not sure"})
    assert response.status_code == 302
    assert item.status == ESCALATED and item.followup_needed is None


def test_the_risk_items_edit_form_asks_too_and_keeps_its_text(app, board, member,
                                                              trained_moderator, screener):
    item = post_item(board, member, "goodbye, here is how", "crisis-method")
    client = client_for(app, trained_moderator)
    opened = client.get(f"/review/{item.id}?edit=1").get_data(as_text=True)
    editor = opened.split('<details class="edit-approve" id="edit" open>')[1].split("</details>")[0]
    assert 'id="edit-followup-yes"' in editor and QUESTION in editor
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "edit", "reason": "method details out",
        "new_text": "goodbye"})
    assert response.status_code == 400
    html = page_text(response)
    editor = html.split('<details class="edit-approve" id="edit" open>')[1].split("</details>")[0]
    assert "\nmethod details out</textarea>" in editor and "\ngoodbye</textarea>" in editor
    post = db.session.get(Post, item.content_id)
    assert post.status == "held" and post.body_md.startswith("goodbye, here is how")


def test_the_service_names_every_missing_answer_at_once(app, board, member, moderator,
                                                        screener):
    item = post_item(board, member, "cheap watches", "spam", action="flag")
    with pytest.raises(review_decisions.ValidationFailed) as caught:
        review_decisions.check_decide(item, "approve", " ", acting_user=moderator)
    assert set(caught.value.reasons) == {"reason", "followup_needed"}


def test_the_question_is_in_spanish_for_a_spanish_moderator(app, board, member, moderator,
                                                            screener):
    item = post_item(board, member, "cheap watches", "spam", action="flag")
    page = page_text(client_for(app, moderator).get(
        f"/review/{item.id}", headers={"Accept-Language": "es-ES,es;q=0.9"}))
    assert "¿Hizo falta un seguimiento?" in page and QUESTION not in page


def test_the_team_view_shows_which_flags_cry_wolf(app, board, member, moderator, admin,
                                                  screener, fake_clock):
    for body, needed in (("cheap watches", False), ("cheap bags", True)):
        item = post_item(board, member, body, "spam", action="flag")
        review_decisions.check_decide(item, "approve", "looked", acting_user=moderator,
                                      followup_needed=needed)
    post_item(board, member, "call me on 555", "pii")
    html = client_for(app, admin).get("/review/team").get_data(as_text=True)
    table = html.split('class="queue-table quality-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    assert len(rows) == 2
    assert "test-spam" in rows[0] and '<td data-label="Precision">50%</td>' in rows[0]
    assert "test-pii" in rows[1] and '<td data-label="Undecided">1</td>' in rows[1]
    assert "call me on 555" not in html and member.pseudonym not in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_flag_table_is_for_admins_only(request, app, persona):
    user = request.getfixturevalue(persona)
    response = client_for(app, user).get("/review/team")
    assert response.status_code == (200 if persona == "admin" else 404)
    assert ("Which flags cry wolf" in page_text(response)) == (persona == "admin")
