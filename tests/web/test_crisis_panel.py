"""The crisis panel after a member's post speaks of risk: every sentence about people is true as
the page is made (on duty now, the next shift, nobody scheduled), it offers Talk to someone now,
and the author's own post links back to it after a reload; to anyone else it does not exist."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post
from forum.services import clock
from forum.services.review import duty
from forum.web.times import WHEN_FORMAT
from tests.conftest import page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.talk import on_duty
from tests.fixtures.threads import client_for, post_reply, post_thread, thread_id_from

board = threads_support.board
CRISIS = "I want to end my life tonight. Nothing helps anymore."
NOBODY_MODS = "No trained moderator is on duty right now, and no shift is scheduled."
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _panel(page: str) -> str:
    match = re.search(r'<section class="panel support" id="crisis-panel".*?</section>', page, re.S)
    assert match, "no crisis panel on the page"
    return match.group(0)


def _without_tokens(response) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page_text(response))


def _post_crisis(client, board, **extra) -> tuple[int, int]:
    """Start a thread that the real pipeline reads as a crisis; (thread id, post id)."""
    thread_id = thread_id_from(post_thread(client, board, "Rough night", CRISIS, **extra))
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
    return thread_id, post_id


def test_nobody_on_duty_is_said_and_no_moderator_is_promised(app, board, member):
    client = client_for(app, member)
    thread_id, _post_id = _post_crisis(client, board)
    panel = _panel(page_text(client.get(f"/t/{thread_id}")))
    assert NOBODY_MODS in panel
    assert "will see this soon" not in panel and "moderator will" not in panel
    assert "988 Suicide & Crisis Lifeline" in panel
    assert "No peer supporter is on duty right now, and no shift is scheduled." in panel
    # Talk to someone now, as a plain form with its token.
    form = re.search(r'<form method="post" action="/support"[^>]*>(.*?)</form>', panel, re.S)
    assert form and 'name="csrf_token"' in form.group(1)
    assert "Talk to someone now" in form.group(1)


def test_trained_moderators_and_supporters_on_duty_are_counted(app, board, member, moderator,
                                                               trained_moderator, facilitator):
    # An untrained moderator on duty cannot act on a crisis post: not promised.
    on_duty(moderator)
    client = client_for(app, member)
    thread_id, _ = _post_crisis(client, board)
    panel = _panel(page_text(client.get(f"/t/{thread_id}")))
    assert NOBODY_MODS in panel
    assert "1 peer supporter is on duty now." in panel
    on_duty(trained_moderator, facilitator)
    thread_id, _ = _post_crisis(client, board)
    panel = _panel(page_text(client.get(f"/t/{thread_id}")))
    assert "A trained moderator is on duty now, and your post is in their queue." in panel
    assert "3 peer supporters are on duty now." in panel
    assert "No trained moderator" not in panel


def test_the_next_shift_is_named_with_its_zone(app, board, member, admin):
    start = (clock.now() + timedelta(days=3)).replace(hour=18, minute=30, second=0,
                                                      microsecond=0)
    duty.check_add_shift(start, start + timedelta(hours=4), moderator=None, acting_user=admin)
    client = client_for(app, member)
    thread_id, _ = _post_crisis(client, board)
    panel = _panel(page_text(client.get(f"/t/{thread_id}")))
    when = start.strftime(WHEN_FORMAT)  # the member has not chosen a zone: UTC
    assert f"The next moderator shift starts {when} (UTC)." in panel
    assert f"the next shift starts {when} (UTC)." in panel


def test_the_author_finds_the_panel_again_after_a_reload(app, board, member, second_member,
                                                         trained_moderator, client):
    author = client_for(app, member)
    thread_id, post_id = _post_crisis(author, board)
    link = f'href="/p/{post_id}/support"'
    assert 'id="crisis-panel"' in page_text(author.get(f"/t/{thread_id}"))
    reloaded = page_text(author.get(f"/t/{thread_id}"))
    assert 'id="crisis-panel"' not in reloaded  # shown once after posting
    assert link in reloaded and "Support for you" in reloaded
    page = page_text(author.get(f"/p/{post_id}/support"))
    panel = _panel(page)
    assert NOBODY_MODS in panel and "Talk to someone now" in panel
    assert f'href="/p/{post_id}"' in page  # back to the post
    # Anyone else: no link, and the page is the same 404 as a post that does not exist.
    for other in (client_for(app, second_member), client_for(app, trained_moderator)):
        assert link not in page_text(other.get(f"/t/{thread_id}"))
        response = other.get(f"/p/{post_id}/support")
        missing = other.get("/p/999999/support")
        assert response.status_code == missing.status_code == 404
        assert _without_tokens(response) == _without_tokens(missing)
    assert link not in page_text(client.get(f"/t/{thread_id}"))
    assert client.get(f"/p/{post_id}/support").status_code == 302  # visitors: log in first


def test_an_anonymous_authors_link_shows_only_to_them(app, board, member, second_member):
    author = client_for(app, member)
    thread_id, post_id = _post_crisis(author, board, anonymous="y")
    author.get(f"/t/{thread_id}")
    assert f'href="/p/{post_id}/support"' in page_text(author.get(f"/t/{thread_id}"))
    assert author.get(f"/p/{post_id}/support").status_code == 200
    reader = client_for(app, second_member)
    page = page_text(reader.get(f"/t/{thread_id}"))
    assert "Anonymous member" in page
    assert f"/p/{post_id}/support" not in page and "Support for you" not in page
    assert reader.get(f"/p/{post_id}/support").status_code == 404


def test_a_post_without_a_crisis_has_no_panel(app, board, member):
    author = client_for(app, member)
    thread_id = thread_id_from(post_thread(author, board, "Day three", "Still here, trying."))
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread_id))
    assert "Support for you" not in page_text(author.get(f"/t/{thread_id}"))
    assert author.get(f"/p/{post_id}/support").status_code == 404
    # A reply in crisis gets its own link; the calm opening post still has none.
    post_reply(author, thread_id, CRISIS)
    page = page_text(author.get(f"/t/{thread_id}"))
    assert page.count("Support for you") == 1 and f'href="/p/{post_id}/support"' not in page


def test_the_panel_is_in_spanish(app, board, member):
    client = client_for(app, member)
    thread_id, post_id = _post_crisis(client, board)
    panel = _panel(page_text(client.get(f"/t/{thread_id}", headers=SPANISH)))
    assert "Ahora mismo no hay ningún moderador con formación de guardia" in panel
    assert "Habla con alguien ahora" in panel
    assert "Apoyo para ti" in page_text(client.get(f"/t/{thread_id}", headers=SPANISH))
