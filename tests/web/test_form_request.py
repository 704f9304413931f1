"""Form values reach the views without NUL characters, whatever the client sends: PostgreSQL
refuses one in any text, so a hostile client could otherwise turn a refusal into a 500."""

from __future__ import annotations

from sqlalchemy import select

from forum.models import Post, Thread
from forum.services.accounts import guidelines
from tests.conftest import csrf_from
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, post_reply, post_thread, thread_id_from

board = threads_support.board


def test_nul_characters_are_dropped_from_every_field_before_the_view(app, db, board, member):
    client = client_for(app, member)
    started = post_thread(client, board, "A quiet\x00 morning", "Made it\x00 through.")
    assert started.status_code == 302, started.get_data(as_text=True)[:300]
    thread_id = thread_id_from(started)
    replied = post_reply(client, thread_id, "\x00Glad\x00 you are here.\x00")
    assert replied.status_code == 302, replied.get_data(as_text=True)[:300]
    assert db.session.get(Thread, thread_id).title == "A quiet morning"
    bodies = set(db.session.scalars(select(Post.body_md).where(Post.thread_id == thread_id)))
    assert bodies == {"Made it through.", "Glad you are here."}


def test_a_nul_in_a_field_name_is_dropped_too(app, board, member):
    client = client_for(app, member)
    token = csrf_from(client, f"/c/{board.slug}/new")
    response = client.post(f"/c/{board.slug}/new", data={
        "csrf_token": token, "ti\x00tle": "Evening check-in", "body": "Still here."})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_an_admin_publishing_guidelines_with_a_nul_gets_them_published(app, admin):
    # Found by the form fuzzer on PostgreSQL: the guidelines' texts reached the database as sent.
    client = client_for(app, admin)
    token = csrf_from(client, "/guidelines/edit")
    response = client.post("/guidelines/edit", data={
        "csrf_token": token, "body": "# Be kind\x00\n\nNo shaming.", "body_es": "\x00Amabilidad"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    current = guidelines.current_version()
    assert current.body_md == "# Be kind\n\nNo shaming."
    assert current.translations == {"es": "Amabilidad"}
