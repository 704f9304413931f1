"""What the review pages show: the reasons members gave when reporting a post, an item about
risk to its author (reaching out first, the text folded, no strike), and the queue's rows
(a short folded preview, the board or room by name) and its filters by name."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Report
from forum.models.review import OPEN
from forum.services import review_queue
from forum.services.chat import messages as chat
from forum.services.review import sanctions
from forum.services.threads import boards, reports
from tests.conftest import csrf_from, page_text
from tests.fixtures import chat as chat_support, threads as threads_support
from tests.fixtures.review import post_item, verdict
from tests.fixtures.threads import client_for, new_thread

board = threads_support.board
screener = threads_support.screener
room = chat_support.room


def _reported(board, author, *reporters_and_reasons):
    post = new_thread(board, author, body="Some days are harder than others.").post
    for reporter, reason in reporters_and_reasons:
        reports.check_report(post.id, reason, acting_user=reporter)
    return review_queue.item_for("post", post.id)


def test_item_page_shows_every_report_reason_as_text_without_reporters(
        app, board, member, second_member, make_user, moderator, screener):
    third = make_user("quiet-willow")
    item = _reported(board, member,
                     (second_member, "<script>alert(1)</script> They mocked my sponsor"),
                     (third, "Name-calling in the second paragraph"))
    response = client_for(app, moderator).get(f"/review/{item.id}")
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "<script>alert(1)</script> They mocked my sponsor" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "Name-calling in the second paragraph" in text
    assert "2 reports" in text
    assert second_member.pseudonym not in html and third.pseudonym not in html
    # Folded like the thread's earlier posts.
    assert re.search(r'<details class="report-reasons"><summary>2 reports', html)


def test_a_reason_that_trips_a_rule_still_makes_its_own_item(
        app, board, member, second_member, moderator, trained_moderator, screener):
    item = _reported(board, member, (second_member, "I feel like ending it too [[flag:crisis]]"))
    report = db.session.scalar(select(Report))
    own = review_queue.item_for("report", report.id)
    assert item.report_count == 1
    assert own is not None and own.status == OPEN and own.priority == "urgent"
    # A moderator without crisis-response training is sent to the reason's own item.
    untrained = page_text(client_for(app, moderator).get(f"/review/{item.id}"))
    assert "I feel like ending it too" not in untrained
    assert f"This reason has its own item (#{own.id})" in untrained
    trained = page_text(client_for(app, trained_moderator).get(f"/review/{item.id}"))
    assert "I feel like ending it too" in trained and f"its own item #{own.id}" in trained


def test_risk_item_offers_reaching_out_first_and_folds_the_editor(
        app, board, member, trained_moderator, screener):
    item = post_item(board, member, "I have the pills counted out", "crisis-method")
    client = client_for(app, trained_moderator)
    html = client.get(f"/review/{item.id}").get_data(as_text=True)
    text = page_text(client.get(f"/review/{item.id}"))
    assert text.index("Reach out first") < text.index("Decide")
    for slug in ("checking-in", "talk-now", "resources"):
        assert f"template={slug}#care-h" in html
    assert text.index("Send privately") < text.index("Save decision")
    assert text.index("Record follow-up") < text.index("Save decision")
    # Nothing is chosen for the moderator, and edit-and-approve is not in the main list.
    select = re.search(r'<select[^>]*name="decision"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.match(r'\s*<option selected value="">|\s*<option value="">', select)
    assert 'value="edit"' not in select
    # The editor is folded, and the text is not in the page outside the folded post.
    assert '<details class="edit-approve" id="edit">' in html
    assert "<textarea" not in html.split('<details class="edit-approve"')[1].split("</details>")[0]
    assert html.count("I have the pills counted out") == 1
    assert html.index('<details class="distressing">') < html.index("I have the pills")
    # No strike beside a disclosure.
    assert f"/review/{item.id}/sanction" not in html and "Give a strike" not in html
    opened = client.get(f"/review/{item.id}?edit=1").get_data(as_text=True)
    editor = opened.split('<details class="edit-approve" id="edit" open>')[1].split("</details>")[0]
    assert "I have the pills counted out" in editor and "<textarea" in editor


def test_risk_item_without_a_chosen_decision_changes_nothing(app, board, member,
                                                            trained_moderator, screener):
    item = post_item(board, member, "I want to end it", "crisis")
    client = client_for(app, trained_moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/decide",
                           data={"csrf_token": token, "decision": "", "reason": "hm"},
                           follow_redirects=True)
    assert "Choose a decision" in page_text(response)
    assert item.status == OPEN and db.session.get(Post, item.content_id).status == "held"


def test_relapse_item_is_cared_for_and_never_struck(app, board, member, moderator, screener):
    item = post_item(board, member, "I slipped yesterday", "relapse", action="flag")
    client = client_for(app, moderator)
    html = client.get(f"/review/{item.id}").get_data(as_text=True)
    text = page_text(client.get(f"/review/{item.id}"))
    assert text.index("Reach out first") < text.index("Decide")
    assert "template=after-relapse#care-h" in html
    assert f"/review/{item.id}/sanction" not in html
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/followup",
                data={"csrf_token": token, "outcome": "reached-out", "note": ""})
    assert item.followup == "reached-out"


def test_other_items_keep_edit_first_and_the_strike_form(app, board, member, moderator,
                                                        screener):
    item = post_item(board, member, "you are all idiots", "harassment", action="flag")
    html = client_for(app, moderator).get(f"/review/{item.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="decision"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.match(r'\s*<option[^>]*value="edit"', select)
    assert f"/review/{item.id}/sanction" in html
    assert "Reach out first" not in html


def test_a_hand_made_strike_on_a_risk_item_is_refused(app, board, member, trained_moderator,
                                                     screener):
    item = post_item(board, member, "I can't go on", "crisis")
    review_queue.do_enqueue("post", item.content_id, verdict=verdict("spam", action="flag"))
    db.session.commit()
    client = client_for(app, trained_moderator)
    token = csrf_from(client, f"/review/{item.id}")
    response = client.post(f"/review/{item.id}/sanction", data={
        "csrf_token": token, "kind": "mute", "days": "3", "reason": "Be kind"},
        follow_redirects=True)
    assert "A strike isn't the tool for a risk disclosure: reach out instead." in page_text(
        response)
    assert sanctions.strikes_of(member) == []


def test_harassment_beside_a_disclosure_keeps_the_strike_after_reaching_out(
        app, board, member, trained_moderator, screener):
    item = post_item(board, member, "you should die too", "harassment", action="flag")
    review_queue.do_enqueue("post", item.content_id, verdict=verdict("crisis"))
    db.session.commit()
    client = client_for(app, trained_moderator)
    text = page_text(client.get(f"/review/{item.id}"))
    assert text.index("Reach out first") < text.index("Give a strike")
    assert "answers only the harm done to another member" in text
    token = csrf_from(client, f"/review/{item.id}")
    client.post(f"/review/{item.id}/sanction", data={
        "csrf_token": token, "kind": "warn", "reason": "No wishing harm on others"})
    assert [s.reason for s in sanctions.strikes_of(member)] == ["No wishing harm on others"]


def test_queue_rows_show_a_short_folded_preview_and_where(app, board, member, room,
                                                         moderator, screener):
    long_text = "Cheap watches and more, " * 10
    spam = post_item(board, member, long_text, "spam", action="flag")
    message = chat.check_send(room, "buy from me [[hold:sourcing]]", "c-1",
                              acting_user=member).message
    held = review_queue.item_for("chat", message.id)
    crisis = post_item(board, member, "I want to end it tonight", "crisis")
    html = client_for(app, moderator).get("/review").get_data(as_text=True)
    row = _row(html, spam.id)
    preview = re.search(r'<details class="preview"><summary>Preview</summary><p>(.*?)</p>',
                        row).group(1)
    assert preview.startswith("Cheap watches and more,") and preview.endswith("…")
    assert len(preview) <= 80
    assert ">Daily check-ins</a>" in row
    assert f"board={board.slug}" in row
    chat_row = _row(html, held.id)
    assert "buy from me" in chat_row and ">Coffee room</a>" in chat_row
    # Without crisis-response training, no preview of a risk item.
    assert "<details" not in _row(html, crisis.id)
    assert "I want to end it" not in html


def _row(html: str, item_id: int) -> str:
    match = re.search(rf'<tr id="item-{item_id}".*?</tr>', html, re.S)
    assert match, f"no row for item {item_id}"
    return match.group(0)


def test_queue_filters_take_board_and_room_names(app, board, member, room, moderator, screener,
                                                 admin):
    other = boards.check_save_board(None, slug="family", name="Family and friends",
                                    description="", position=2, content_note=None,
                                    acting_user=admin)
    here = post_item(board, member, "cheap watches", "spam", action="flag")
    there = post_item(other, member, "cheap pills", "spam", action="flag")
    message = chat.check_send(room, "buy from me [[hold:sourcing]]", "c-1",
                              acting_user=member).message
    in_room = review_queue.item_for("chat", message.id)
    client = client_for(app, moderator)

    def shown(query: str) -> set[int]:
        html = client.get(f"/review?{query}").get_data(as_text=True)
        return {int(n) for n in re.findall(r'href="/review/(\d+)"', html)}

    assert shown("board=daily-check-ins") == {here.id}
    assert shown("board=Family+and+friends") == {there.id}
    assert shown("room=coffee-room") == {in_room.id}
    assert shown("room=coffee+room") == {in_room.id}
    assert shown("board=no-such-board") == set()
    assert shown(f"board={board.id}") == set()  # ids are not names
    # The form offers boards by name and rooms by name, without script.
    form = client.get("/review").get_data(as_text=True)
    assert '<option value="family">Family and friends</option>' in form
    assert '<datalist id="room-names"><option value="coffee-room">Coffee room</option>' in form
    selected = client.get("/review?board=family").get_data(as_text=True)
    assert '<option value="family" selected>' in selected
