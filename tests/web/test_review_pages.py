"""The review queue over HTTP: access per persona, the queue page, an item page, claiming and
deciding through forms, what the author sees, strikes and appeals, audit and team pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Sanction
from forum.models.review import RESOLVED
from forum.models.threads import REMOVED
from forum.services.review import decisions as review_decisions, duty, sanctions
from tests.conftest import PERSONAS, csrf_from, page_text
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import audit_actions, post_item
from tests.fixtures.threads import client_for

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


@pytest.mark.parametrize("persona", PERSONAS)
def test_queue_page_is_for_moderators_and_admins(request, app, persona):
    user = request.getfixturevalue(persona)
    response = client_for(app, user).get("/review")
    expected = 200 if persona in ("moderator", "trained_moderator", "admin") else 404
    assert response.status_code == expected


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/review").status_code == 302


def test_queue_page_orders_counts_and_gates_risk_items(app, board, member, moderator,
                                                      trained_moderator, screener):
    spam = post_item(board, member, "cheap watches", "spam", action="flag")
    crisis = post_item(board, member, "I want to end it", "crisis")
    text = page_text(client_for(app, trained_moderator).get("/review"))
    assert text.index(f"Open #{crisis.id}") < text.index(f"Open #{spam.id}")
    assert "target 5 min" in text
    assert "Classifier:" in text
    assert 'crisis <span class="count">1</span>' in text
    untrained = page_text(client_for(app, moderator).get("/review"))
    assert "Needs crisis-response training" in untrained
    assert f"Open #{crisis.id}" not in untrained
    page = page_text(client_for(app, moderator).get(f"/review/{crisis.id}"))
    assert "needs a moderator with current crisis-response training" in page
    assert "I want to end it" not in page
    filtered = page_text(client_for(app, trained_moderator).get("/review?category=spam"))
    assert f"Open #{spam.id}" in filtered and f"Open #{crisis.id}" not in filtered


def test_item_page_blurs_distress_highlights_and_hides_identity(app, board, member,
                                                               trained_moderator, screener):
    from forum.services import review_queue
    from tests.fixtures.review import verdict

    item = post_item(board, member, "I want to end it", "crisis")
    review_queue.do_enqueue("post", item.content_id, verdict=verdict("crisis", span=(2, 6)))
    db.session.commit()
    html = client_for(app, trained_moderator).get(f"/review/{item.id}").get_data(as_text=True)
    assert '<details class="distressing">' in html
    assert "<mark>want</mark>" in html
    assert "Account age" in html
    assert member.pseudonym not in html
    assert "style=" not in html and "<script>" not in html


def test_claim_and_decide_through_forms(app, board, member, moderator, screener):
    item = post_item(board, member, "buy pills from me", "sourcing", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    assert client.post(f"/review/{item.id}/claim", data={"csrf_token": token}).status_code == 302
    assert item.claimed_by_id == moderator.id
    response = client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "remove", "reason": "No selling, please",
        "followup_needed": "yes"})
    assert response.status_code == 302
    assert item.status == RESOLVED
    post = db.session.get(Post, item.content_id)
    assert post.status == REMOVED
    assert audit_actions()[-2:] == ["review.claim", "review.remove"]
    # The author sees why, and can edit and send it again.
    author = client_for(app, member)
    inbox = page_text(author.get("/inbox"))
    assert "No selling, please" in inbox
    assert f"/p/{post.id}/resubmit" in inbox
    token = csrf_from(author, f"/p/{post.id}/resubmit")
    response = author.post(f"/p/{post.id}/resubmit",
                           data={"csrf_token": token, "body": "Just my story now."})
    assert response.status_code == 302
    assert post.status == "held" and post.body_md == "Just my story now."


def test_risk_remove_over_http_needs_the_whole_disclosure_confirmed(app, board, member,
                                                                    trained_moderator, screener):
    item = post_item(board, member, "goodbye, here is how", "crisis-method")
    client = client_for(app, trained_moderator)
    page = page_text(client.get(f"/review/{item.id}"))
    assert "Edit and approve: take out only method details" in page
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "remove", "reason": "method", "followup_needed": "yes"})
    assert db.session.get(Post, item.content_id).status == "held"
    client.post(f"/review/{item.id}/decide", data={
        "csrf_token": token, "decision": "edit", "reason": "method details out",
        "followup_needed": "yes",
        "new_text": "goodbye"})
    assert db.session.get(Post, item.content_id).body_md == "goodbye"
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/followup", data={
        "csrf_token": token, "outcome": "resources-sent", "note": ""})
    assert item.followup == "resources-sent"


def test_caring_message_from_a_template(app, board, member, trained_moderator, screener):
    item = post_item(board, member, "I want to end it", "crisis")
    client = client_for(app, trained_moderator)
    page = page_text(client.get(f"/review/{item.id}?template=checking-in"))
    assert "Get help now" in page and "wanted to check in" in page
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/message",
                data={"csrf_token": token, "body": "We are thinking of you."})
    member_client = client_for(app, member)
    assert "1 new" in page_text(member_client.get("/"))
    assert "We are thinking of you." in page_text(member_client.get("/inbox"))


def test_strikes_visible_and_appealed_to_a_different_moderator(
        app, board, member, moderator, trained_moderator, screener):
    item = post_item(board, member, "you are all idiots", "harassment", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/sanction", data={
        "csrf_token": token, "kind": "mute", "days": "3", "reason": "Name-calling"})
    strike = db.session.scalar(select(Sanction))
    assert strike.kind == "mute"
    member_client = client_for(app, member)
    page = page_text(member_client.get("/strikes"))
    assert "Name-calling" in page and "Mute" in page
    token = csrf_from(member_client, "/strikes")
    member_client.post(f"/strikes/{strike.id}/appeal",
                       data={"csrf_token": token, "text": "I was upset, sorry"})
    assert strike.appeal is not None
    # The moderator who gave it cannot decide; another one can.
    assert "another moderator decides" in page_text(client.get("/review/appeals"))
    client.post(f"/review/appeals/{strike.appeal.id}", data={
        "csrf_token": token, "outcome": "overturn", "reason": "mine"})
    assert strike.appeal.status == "pending"
    other = client_for(app, trained_moderator)
    token = csrf_from(other, "/review/appeals")
    other.post(f"/review/appeals/{strike.appeal.id}", data={
        "csrf_token": token, "outcome": "uphold", "reason": "The guideline applies"})
    assert strike.appeal.status == "upheld"
    assert "The guideline applies" in page_text(member_client.get("/strikes"))


def test_relapse_sanction_refused_over_http(app, board, member, moderator, screener):
    item = post_item(board, member, "I slipped yesterday", "relapse", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/sanction", data={
        "csrf_token": token, "kind": "warn", "reason": "relapse"}, follow_redirects=True)
    assert "never earns a strike" in page_text(response)
    assert sanctions.strikes_of(member) == []


def test_suspend_blocks_login(app, member, moderator):
    from tests.conftest import PASSWORD

    sanctions.check_sanction(member, "suspend", "Threats", days=2, acting_user=moderator)
    client = app.test_client()
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"pseudonym": member.pseudonym, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code != 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_audit_page_for_admins_and_supervisors(request, app, persona):
    user = request.getfixturevalue(persona)
    response = client_for(app, user).get("/review/audit")
    assert response.status_code == (200 if persona == "admin" else 404)


def test_audit_page_filters(app, board, member, moderator, admin, screener):
    item = post_item(board, member, "spam spam", "spam", action="flag")
    review_decisions.check_decide(item, "approve", "fine really", acting_user=moderator,
                                  followup_needed=False)
    page = page_text(client_for(app, admin).get("/review/audit?action=review.&actor=ash-untrained"))
    assert "review.approve" in page and "fine really" in page
    assert "role.grant" not in page


def test_duty_header_and_shifts(app, member, moderator, admin, fake_clock):
    member_client = client_for(app, member)
    assert "No moderator is on duty right now." in page_text(member_client.get("/"))
    admin_client = client_for(app, admin)
    token = csrf_from(admin_client, "/review/shifts")
    start = fake_clock.at.replace(year=fake_clock.at.year + 1, hour=9, minute=0)
    admin_client.post("/review/shifts", data={
        "csrf_token": token, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": start.replace(hour=17).strftime("%Y-%m-%dT%H:%M"), "moderator": ""})
    assert "The next shift starts" in page_text(member_client.get("/"))
    mod_client = client_for(app, moderator)
    token = csrf_from(mod_client, "/review")
    mod_client.post("/review/duty", data={"csrf_token": token, "on": "1"})
    assert duty.is_on_duty(moderator)
    assert "A moderator is on duty now." in page_text(member_client.get("/"))
    assert audit_actions()[-1] == "duty.on"
    # Only admins add shifts.
    token = csrf_from(mod_client, "/review/shifts")
    response = mod_client.post("/review/shifts", data={
        "csrf_token": token, "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T12:00"})
    assert response.status_code == 403


def test_break_suggestion_names_who_else_is_on_duty(app, board, member, trained_moderator,
                                                   moderator, screener):
    app.config["REVIEW_BREAK_AFTER"] = 2
    duty.check_set_duty(True, acting_user=moderator)
    items = [post_item(board, member, f"I want to end it {n}", "crisis") for n in range(2)]
    client = client_for(app, trained_moderator)
    assert "consider a short break" not in page_text(client.get(f"/review/{items[0].id}"))
    page = page_text(client.get(f"/review/{items[1].id}"))
    assert "consider a short break" in page and moderator.pseudonym in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_view_for_admins_only(request, app, persona):
    user = request.getfixturevalue(persona)
    response = client_for(app, user).get("/review/team")
    assert response.status_code == (200 if persona == "admin" else 404)


def test_team_view_shows_aggregates(app, board, member, moderator, admin, screener, fake_clock):
    from forum.services.review import stats as team_stats

    item = post_item(board, member, "cheap", "spam", action="flag")
    fake_clock.advance(minutes=30)
    review_decisions.check_decide(item, "approve", "ok", acting_user=moderator,
                                  followup_needed=False)
    team_stats.take_snapshot()
    html = client_for(app, admin).get("/review/team").get_data(as_text=True)
    assert "<svg" in html and "polyline" in html
    assert "spam" in html and "approve 1" in html
    timings = {t.priority: t for t in team_stats.first_action_times()}
    assert timings["normal"].median_s == 1800 and timings["normal"].meets_target


def test_member_writes_to_the_team_and_moderators_reply(app, member, moderator, screener):
    member_client = client_for(app, member)
    token = csrf_from(member_client, "/inbox")
    member_client.post("/inbox", data={"csrf_token": token, "body": "Why was my post held?"})
    mod_client = client_for(app, moderator)
    assert member.pseudonym in page_text(mod_client.get("/review/inbox"))
    token = csrf_from(mod_client, f"/review/inbox/{member.id}")
    mod_client.post(f"/review/inbox/{member.id}",
                    data={"csrf_token": token, "body": "It had a phone number in it."})
    assert "It had a phone number in it." in page_text(member_client.get("/inbox"))
    assert client_for(app, member).get(f"/review/inbox/{member.id}").status_code == 404


def test_pulse_lists_urgent_items_for_the_live_panel(app, board, member, trained_moderator,
                                                     screener):
    item = post_item(board, member, "I want to end it", "crisis")
    data = client_for(app, trained_moderator).get("/review/pulse").get_json()
    assert data["urgent"][0]["id"] == item.id
