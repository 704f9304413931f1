"""The review queue's rows, which a phone shows as cards: each carries its priority, categories
and waiting time as labelled cells, a folded preview and a claim form that works from the queue;
the team view's timing table carries labels for the same reflow."""

from __future__ import annotations

import re

from forum.services.review import claims as review_claims
from tests.conftest import csrf_from, page_text
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.review import post_item
from tests.fixtures.threads import client_for

board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock


def _row(html: str, item_id: int) -> str:
    match = re.search(rf'<tr id="item-{item_id}".*?</tr>', html, re.S)
    assert match, f"no row for item {item_id}"
    return match.group(0)


def _cell(row: str, css_class: str) -> str:
    match = re.search(rf'<td class="{css_class}"[^>]*>.*?</td>', row, re.S)
    assert match, f"no {css_class} cell in {row}"
    return match.group(0)


def test_each_row_carries_what_its_card_shows(app, board, member, trained_moderator, screener,
                                             fake_clock):
    spam = post_item(board, member, "Cheap watches, text me", "spam", action="flag")
    crisis = post_item(board, member, "I want to end it tonight", "crisis")
    fake_clock.advance(minutes=12)
    html = page_text(client_for(app, trained_moderator).get("/review"))
    assert 'class="queue-table review-queue"' in html

    row = _row(html, spam.id)
    assert _cell(row, "cell-priority") == (
        '<td class="cell-priority" data-label="Priority">normal</td>')
    assert _cell(row, "cell-categories") == (
        '<td class="cell-categories" data-label="Categories">spam</td>')
    assert _cell(row, "cell-wait") == '<td class="cell-wait" data-label="Waiting">12 min</td>'
    # The preview is folded: a moderator opens it, it is never shown unbidden.
    preview = _cell(row, "item-preview")
    assert '<details class="preview"><summary>Preview</summary><p>Cheap watches, text me' in preview
    assert " open" not in preview.split(">")[1]
    claim = _cell(row, "cell-claim")
    assert f'<form method="post" action="/review/{spam.id}/claim" class="claim-form">' in claim
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', claim)
    assert f'<button type="submit">Claim<span class="visually-hidden"> #{spam.id}</span>' in claim

    risk = _row(html, crisis.id)
    assert '<td class="cell-priority" data-label="Priority">urgent</td>' in risk
    assert 'class="over-target">target 5 min' in _cell(risk, "cell-wait")
    assert "<summary>Preview (distressing content)</summary>" in _cell(risk, "item-preview")
    assert "<details open" not in risk
    assert f"/review/{crisis.id}/claim" in risk


def test_no_claim_button_where_the_moderator_may_not_claim(app, board, member, moderator,
                                                          trained_moderator, screener):
    spam = post_item(board, member, "cheap watches", "spam", action="flag")
    crisis = post_item(board, member, "I want to end it", "crisis")
    review_claims.check_claim(spam, acting_user=trained_moderator)
    html = page_text(client_for(app, moderator).get("/review"))
    # Someone else is on the spam item; the crisis item needs training this moderator lacks.
    assert _cell(_row(html, spam.id), "cell-claim") == '<td class="cell-claim">claimed</td>'
    untrained = _row(html, crisis.id)
    assert "<form" not in untrained and "<details" not in untrained
    assert "Needs crisis-response training" in untrained


def test_the_claim_button_claims_the_item_and_opens_it(app, board, member, moderator,
                                                      screener):
    spam = post_item(board, member, "cheap watches", "spam", action="flag")
    client = client_for(app, moderator)
    token = csrf_from(client, "/review")
    refused = client.post(f"/review/{spam.id}/claim")
    assert refused.status_code == 400 and review_claims.active_claimant(spam) is None
    response = client.post(f"/review/{spam.id}/claim", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith(f"/review/{spam.id}")
    assert review_claims.active_claimant(spam) == moderator.id
    assert "You are working on this item." in page_text(client.get(response.location))
    assert _cell(_row(page_text(client.get("/review")), spam.id), "cell-claim") == (
        '<td class="cell-claim">claimed</td>')


def test_team_view_timings_are_labelled_for_a_phone(app, admin):
    html = page_text(client_for(app, admin).get("/review/team"))
    table = html.split('class="queue-table timing-table"')[1].split("</table>")[0]
    assert '<th scope="row">urgent</th>' in table
    for label in ("Items", "Median (min)", "90th percentile (min)", "Target (min)", "Chart"):
        assert f'data-label="{label}"' in table
