"""Numbers that arrive as text (hidden fields, query arguments) are checked before a query:
a digit-like character that int() refuses, or a number past any row id, is treated as no
number, never as a server error."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import Post, User
from forum.row_ids import ID_MAX, parse_row_id
from forum.services import guidelines
from tests import threads_support
from tests.conftest import PASSWORD, csrf_from, page_text
from tests.threads_support import client_for, new_thread, post_reply

board = threads_support.board
NOT_IDS = ["²", "٣", "1e3", "-1", "0", " 7", "", str(ID_MAX + 1), str(2**63), "9" * 40]


@pytest.mark.parametrize("text", NOT_IDS + [None, 7, "7\x00"])
def test_only_plain_digits_in_range_are_row_ids(text):
    assert parse_row_id(text) is None


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("42", 42), (str(ID_MAX), ID_MAX)])
def test_row_ids_parse(text, value):
    assert parse_row_id(text) == value


@pytest.mark.parametrize("shown", ["²", str(2**63)])
def test_signup_with_an_odd_guidelines_version_asks_again(client, db, shown):
    response = client.post("/signup", data={
        "pseudonym": "quiet-otter", "password": PASSWORD, "password_confirm": PASSWORD,
        "agree": "y", "guidelines_version": shown, "csrf_token": csrf_from(client, "/signup"),
    })
    assert response.status_code == 400
    assert "quiet-otter" in page_text(response)  # what was typed comes back
    assert db.session.scalar(select(User.id).where(User.pseudonym == "quiet-otter")) is None
    assert guidelines.current_version() is not None


@pytest.mark.parametrize("quote_of", ["²", "٣", str(2**63), str(2**31), "0"])
def test_a_reply_quoting_no_possible_post_is_a_plain_reply(app, db, board, member,
                                                                 second_member, quote_of):
    thread = new_thread(board, member).post.thread
    response = post_reply(client_for(app, second_member), thread.id, "Right there with you.",
                          quote_of=quote_of)
    assert response.status_code < 400
    reply = db.session.scalar(select(Post).where(Post.body_md == "Right there with you."))
    assert reply is not None and reply.quote_of_id is None


@pytest.mark.parametrize("value", ["²", str(2**63)])
def test_review_queue_filters_ignore_odd_numbers(app, trained_moderator, value):
    client = client_for(app, trained_moderator)
    for key in ("board", "room"):
        assert client.get(f"/review?{key}={value}").status_code == 200


@pytest.mark.parametrize("value", ["²", str(2**63)])
def test_audit_filter_ignores_odd_target_ids(app, admin, value):
    assert client_for(app, admin).get(f"/review/audit?target_id={value}").status_code == 200
