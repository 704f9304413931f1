"""Numbers that arrive as text (hidden fields, query arguments) are checked before a query:
a digit-like character that int() refuses, or a number past any row id, is treated as no
number, never as a server error. A number past any row in a path, or in a query argument that
names a row or a page, is a 404 like any other row that does not exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.errors import NotFound
from forum.models import Post, User
from forum.row_ids import ID_MAX, RowIdConverter, parse_row_id, query_number
from forum.services.accounts import guidelines
from tests.conftest import PASSWORD, csrf_from, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_thread, post_reply

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


# Past PostgreSQL's integer ids, past SQLite's 64-bit ones, and past both by far.
PAST_ANY_ROW = [str(ID_MAX + 1), str(2**63), "9" * 20]


def test_every_int_in_a_route_stops_at_the_largest_row_id(app):
    rules = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert rules
    for rule in rules:
        # Werkzeug keeps each rule's converters once the rule is in the map.
        for converter in rule._converters.values():
            assert isinstance(converter, RowIdConverter) and converter.max == ID_MAX, rule


@pytest.mark.parametrize("number", PAST_ANY_ROW)
def test_ids_past_any_row_in_paths_and_queries_are_not_found(app, board, member, admin,
                                                              trained_moderator, number):
    thread = new_thread(board, member).post.thread
    cases = {
        app.test_client(): [
            f"/t/{number}", f"/p/{number}", f"/meetings/{number}", f"/meetings/{number}.ics",
            f"/t/{thread.id}?after={number}", f"/t/{thread.id}?before={number}",
            f"/search?q=morning&page={number}"],
        client_for(app, member): [
            f"/t/{thread.id}/reply?quote={number}", f"/notifications?before={number}",
            f"/p/{number}/edit", f"/meetings/{number}/edit", f"/support/{number}"],
        client_for(app, trained_moderator): [f"/review/{number}", f"/review?page={number}"],
        client_for(app, admin): [f"/review/audit?page={number}",
                                 f"/review/inbox/{number}"],
    }
    for client, paths in cases.items():
        for path in paths:
            assert client.get(path).status_code == 404, path
    # A POST to such a path matches no route: 404 before any form is read.
    assert client_for(app, member).post(f"/p/{number}/react", data={}).status_code == 404


@pytest.mark.parametrize("number", PAST_ANY_ROW)
def test_a_board_cursor_past_any_thread_is_the_first_page(app, board, member, number):
    new_thread(board, member)
    response = app.test_client().get(f"/c/{board.slug}?cursor=1700000000000000-{number}")
    assert response.status_code == 200
    assert "A quiet morning" in page_text(response)


def test_a_link_to_the_first_post_still_opens_its_thread(app, board, member):
    post = new_thread(board, member).post
    response = app.test_client().get(f"/p/{post.id}", follow_redirects=True)
    assert response.status_code == 200 and "Made it through another day." in page_text(response)


@pytest.mark.parametrize(("text", "value"), [
    (None, None), ("", None), ("0", None), ("-3", None), ("²", None), ("abc", None),
    ("7", 7), (str(ID_MAX), ID_MAX)])
def test_query_numbers(text, value):
    assert query_number(text) == value


@pytest.mark.parametrize("text", PAST_ANY_ROW)
def test_query_numbers_past_any_row_are_not_found(text):
    with pytest.raises(NotFound):
        query_number(text)
