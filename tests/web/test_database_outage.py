"""While the database cannot be reached, a request gets a clear 503 page, not a 500.

The page says the forum is briefly unavailable, asks to come back (Retry-After), is in the
member's language, shows the text a form sent (never a password) with a way to send it again,
and lists crisis lines. It is drawn without the database: no account, no header counts.
"""

from __future__ import annotations

import html
from contextlib import contextmanager
from html.parser import HTMLParser

import psycopg
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError, PendingRollbackError

from forum.errors import database_unreachable
from forum.extensions import db as _db
from forum.models import Post
from tests.conftest import csrf_from
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_thread

board = threads_support.board
UNAVAILABLE = "The forum is briefly unavailable"


def _refused(statement, *_args) -> None:
    raise OperationalError(statement, {}, psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "Connection refused"))


@contextmanager
def database_away(app):
    """Every statement fails as it does while PostgreSQL restarts."""

    def refuse(_conn, _cursor, statement, *_rest):
        _refused(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _raw(response) -> str:
    return response.get_data(as_text=True)


class _Fields(HTMLParser):
    """The named fields of a page's form and their values, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "input" and "name" in named:
            self.fields[named["name"]] = named.get("value") or ""
        elif tag == "textarea" and "name" in named:
            self._textarea = named["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def _form_fields(page: str) -> dict[str, str]:
    parser = _Fields()
    parser.feed(page[page.index('<form method="post"'):page.index("</form>")])
    return parser.fields


def test_the_app_answers_an_unreachable_database_itself(app):
    from sqlalchemy.exc import DBAPIError

    handlers = app.error_handler_spec[None][None]
    assert DBAPIError in handlers, "forum.errors.init_app(app) is not called by web.init_app"


def test_a_reply_sent_while_the_database_is_away_comes_back_on_a_503(app, db, board,
                                                                      member):
    thread = new_thread(board, member).post.thread
    client = client_for(app, member)
    token = csrf_from(client, f"/t/{thread.id}/reply")
    body = "Day 12. Cravings were loud tonight,\nbut I called my sponsor instead."
    with database_away(app):
        answer = client.post(f"/t/{thread.id}/reply",
                             data={"body": body, "anonymous": "y", "csrf_token": token})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "10"
    assert answer.headers["Cache-Control"] == "no-store"
    page = _text(answer)
    assert UNAVAILABLE in page and "Your text is kept" in page
    # The text is on the page, in a form that sends it again as it was.
    assert f'<form method="post" action="/t/{thread.id}/reply"' in page
    fields = _form_fields(_raw(answer))
    assert fields["body"] == body and fields["anonymous"] == "y" and fields["csrf_token"]
    assert db.session.scalar(select(Post).where(Post.body_md == body)) is None
    # Crisis lines are on the page itself: the crisis page needs the database too.
    assert "call your local emergency number" in page and 'href="tel:' in page

    # Back: sending the page's form saves the reply, once.
    again = client.post(f"/t/{thread.id}/reply", data=fields)
    assert again.status_code == 302
    assert len(db.session.scalars(select(Post).where(Post.body_md == body)).all()) == 1


def test_a_new_thread_keeps_its_title_and_text(app, board, member):
    client = client_for(app, member)
    token = csrf_from(client, f"/c/{board.slug}/new")
    with database_away(app):
        answer = client.post(f"/c/{board.slug}/new", data={
            "title": "Thirty days", "body": "I never thought I would write this.",
            "csrf_token": token})
    assert answer.status_code == 503
    fields = _form_fields(_raw(answer))
    assert fields["title"] == "Thirty days"
    assert fields["body"] == "I never thought I would write this."


def test_a_page_asked_for_while_the_database_is_away(app, member):
    client = client_for(app, member)
    with database_away(app):
        answer = client.get("/notifications?page=2")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    page = _text(answer)
    assert UNAVAILABLE in page
    assert 'href="/notifications?page=2"' in page  # try again
    assert "<form" not in page and "steady-heron" not in page


def test_a_password_is_never_shown_back(app, member, client):
    token = csrf_from(client, "/login")
    with database_away(app):
        answer = client.post("/login", data={"pseudonym": member.pseudonym,
                                             "password": "a calm river at dawn",
                                             "csrf_token": token})
    assert answer.status_code == 503
    page = _text(answer)
    assert "a calm river at dawn" not in page and "<textarea" not in page


def test_the_page_is_in_the_members_language(app, db, member):
    member.locale = "es"
    db.session.commit()
    client = client_for(app, member)
    assert client.get("/").status_code == 200  # a page seen before: its language is kept
    with database_away(app):
        answer = client.get("/", headers={"Accept-Language": "en"})
    assert answer.status_code == 503
    page = _text(answer)
    assert '<html lang="es">' in page
    assert "Pide ayuda ahora" in page  # "Get help now"


def test_a_visitor_gets_the_browsers_language(app, client):
    with database_away(app):
        answer = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert answer.status_code == 503
    assert '<html lang="es">' in _text(answer)


def test_a_script_asking_for_json_gets_json(app, member):
    client = client_for(app, member)
    with database_away(app):
        answer = client.get("/notifications", headers={"Accept": "application/json"})
    assert answer.status_code == 503
    assert answer.get_json() == {"ok": False, "error": "unavailable", "retry": True,
                                 "message": answer.get_json()["message"]}


def test_it_serves_again_as_soon_as_the_database_is_back(app, member):
    client = client_for(app, member)
    with database_away(app):
        assert client.get("/").status_code == 503
    assert client.get("/").status_code == 200


def test_a_page_cut_after_a_commit_does_not_offer_to_send_again(app, db, board, member,
                                                               monkeypatch):
    # Saved, then the database went away before the answer: sending again would post twice.
    from forum.web import threads as thread_views

    thread = new_thread(board, member).post.thread
    client = client_for(app, member)
    token = csrf_from(client, f"/t/{thread.id}/reply")

    def place_of_with_the_database_gone(thread_id, post_id):
        _refused("SELECT ...")

    monkeypatch.setattr(thread_views, "place_of", place_of_with_the_database_gone)
    answer = client.post(f"/t/{thread.id}/reply",
                         data={"body": "Saved just before the cut.", "csrf_token": token})
    assert answer.status_code == 503
    page = _text(answer)
    assert "may have been saved" in page and "Saved just before the cut." in page
    assert '<form method="post"' not in page


def test_an_error_of_the_statement_itself_is_not_an_outage():
    assert not database_unreachable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    import sqlite3

    assert not database_unreachable(
        OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: posts")))
    assert database_unreachable(
        OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")))
    assert database_unreachable(PendingRollbackError(
        "Can't reconnect until invalid transaction is rolled back.", code="8s2b"))
    try:
        try:
            _refused("SELECT 1")
        except OperationalError as exc:
            raise RuntimeError("while loading the page") from exc
    except RuntimeError as wrapped:
        assert database_unreachable(wrapped)
