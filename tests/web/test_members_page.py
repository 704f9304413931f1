"""@mentions linked in posts and the member's public page: only what everyone may read, never
anything anonymous, whoever looks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from forum.extensions import db
from forum.models import ReviewItem
from forum.moderation.render import render_markdown
from forum.services import review_queue
from forum.services.accounts import account as accounts, avatars, milestones, privacy
from forum.services.threads import mentions, posts
from tests.conftest import PASSWORD, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread
from tests.xss_vectors import VECTORS

board = threads_support.board
screener = threads_support.screener


@pytest.fixture(autouse=True)
def _scripted(screener):
    """Scripted verdicts: these tests are about what is shown, not what is screened."""
    return screener

MENTION_LINK = re.compile(r'<a class="mention" href="([^"]+)">(@[^<]+)</a>')


def _mentions(response) -> list[tuple[str, str]]:
    return MENTION_LINK.findall(response.get_data(as_text=True))


# ---- mentions in posts ----

def test_a_mention_of_a_member_links_to_their_page(app, board, member, second_member):
    body = (f"Thanks @{second_member.pseudonym.upper()}, and @nobody-here-77. "
            f"`@{second_member.pseudonym}` in code, [@{second_member.pseudonym}](https://x.example)"
            f"\n\n    @{second_member.pseudonym} in a code block\n")
    thread = new_thread(board, member, body=body).post.thread
    response = app.test_client().get(f"/t/{thread.id}")
    # Case-insensitive, linked to the current pseudonym; the text stays as written.
    assert _mentions(response) == [
        (f"/members/{second_member.pseudonym}", f"@{second_member.pseudonym.upper()}")]
    page = page_text(response)
    assert "@nobody-here-77" in page
    assert f"<code>@{second_member.pseudonym}</code>" in page
    assert f"@{second_member.pseudonym} in a code block" in page


def test_a_mention_follows_the_current_pseudonym(app, board, member, second_member,
                                                 make_user):
    old = second_member.pseudonym
    thread = new_thread(board, member, body=f"Hi @{old}!").post.thread
    accounts.check_change_pseudonym(second_member, "brave-otter-31", PASSWORD)
    db.session.expire_all()
    # The old name is nobody now: plain text, and not a link to whoever takes it next.
    assert _mentions(app.test_client().get(f"/t/{thread.id}")) == []
    make_user(old)
    assert _mentions(app.test_client().get(f"/t/{thread.id}")) == [(f"/members/{old}", f"@{old}")]


def test_a_mention_of_a_deleted_member_is_plain_text(app, board, member, second_member):
    thread = new_thread(board, member, body=f"Hi @{second_member.pseudonym}").post.thread
    privacy.check_delete_account(second_member, PASSWORD, keep_posts=False)
    response = app.test_client().get(f"/t/{thread.id}")
    assert _mentions(response) == []
    assert "Hi @morning-cedar" in page_text(response)


def _unlinked(html: str) -> str:
    return MENTION_LINK.sub(lambda m: m.group(2), html)


def test_linking_mentions_only_wraps_them_whatever_surrounds_them():
    known = {"steady-heron": "steady-heron", "river_": "river_"}
    wrong = []
    for vector in VECTORS:
        text = (f"@steady-heron {vector.text} @river_ [x](https://a.example/@steady-heron)"
                " @steady-heron")
        html = str(render_markdown(text))
        linked = str(mentions.link(html, known, lambda name: f"/members/{name}"))
        hrefs = [href for href, _ in MENTION_LINK.findall(linked)]
        # The only change: whole mentions wrapped in a link; nothing else added or moved.
        if (_unlinked(linked) != html or not hrefs
                or not set(hrefs) <= {"/members/steady-heron", "/members/river_"}):
            wrong.append(vector.id)
    assert wrong == []


def test_mentions_are_looked_up_once_for_the_whole_page(app, board, member, second_member):
    thread = new_thread(board, member, body=f"@{second_member.pseudonym}").post.thread
    for _ in range(3):
        new_reply(thread, second_member, body=f"@{member.pseudonym} and @ghost-walker-12")
    lookups = []

    def count(_conn, _cursor, statement, *_args):
        if "users.pseudonym_key IN" in statement:
            lookups.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = app.test_client().get(f"/t/{thread.id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(_mentions(response)) == 4
    assert len(lookups) == 1


# ---- the member page ----

@pytest.fixture
def writing(board, member, second_member, moderator):
    """What member wrote: named and anonymous threads and replies, held, removed, deleted."""
    named = new_thread(board, member, title="Named morning").post.thread
    new_reply(named, member, body="A named reply.")
    new_reply(named, member, body="An anonymous reply.", anonymous=True)
    new_thread(board, member, title="Anonymous evening", anonymous=True)
    other = new_thread(board, second_member, title="Second's thread").post.thread
    new_reply(other, member, body="Named reply in another thread.")
    new_reply(other, member, body="Held words [[hold:pii]]", confirm_hold=True)
    flagged = new_reply(other, member, body="Flagged words [[flag:spam]]").post
    review_queue.do_remove(db.session.scalar(
        select(ReviewItem).where(ReviewItem.content_id == flagged.id)), "spam",
        acting_user=moderator)
    gone = new_reply(other, member, body="Deleted words.").post
    posts.check_delete_post(gone, acting_user=member)
    held_thread = new_thread(board, member, title="Held title [[hold:pii]]",
                             confirm_hold=True).post.thread
    return {"named": named, "other": other, "held_thread": held_thread}


@pytest.mark.parametrize("viewer", ["visitor", "self", "second_member", "moderator", "admin"])
def test_the_member_page_lists_only_open_writing_for_every_viewer(app, member, second_member,
                                                                  moderator, admin, writing,
                                                                  viewer):
    client = {"visitor": app.test_client(), "self": client_for(app, member),
              "second_member": client_for(app, second_member),
              "moderator": client_for(app, moderator), "admin": client_for(app, admin)}[viewer]
    response = client.get(f"/members/{member.pseudonym}")
    assert response.status_code == 200
    page = page_text(response)
    assert f"<h1>{member.pseudonym}</h1>" in page
    assert "Named morning" in page and "Second's thread" in page
    assert page.count('Reply in "Named morning"') == 1
    assert page.count('Reply in "Second\'s thread"') == 1
    for hidden in ("Anonymous evening", "Held title", "Held words", "Flagged", "Deleted words"):
        assert hidden not in page
    assert f'href="/t/{writing["named"].id}"' in page
    assert f'href="/t/{writing["held_thread"].id}"' not in page
    # The page's avatar is the member's own; never the neutral one, never a count of posts.
    assert re.findall(r'<img class="avatar avatar-large" src="([^"]+)" alt=""', page) == [
        avatars.path(avatars.token_for(member.id, member.pseudonym))]
    assert "<meta name=\"robots\" content=\"noindex\">" in page


def test_the_page_of_a_member_who_wrote_only_anonymously_shows_nothing(app, board, member):
    new_thread(board, member, title="Only anonymous", anonymous=True)
    page = page_text(app.test_client().get(f"/members/{member.pseudonym}"))
    assert "Only anonymous" not in page
    assert "No threads to show." in page and "No replies to show." in page


def test_days_show_only_when_the_member_chose_to_show_them(app, member):
    start = date.today() - timedelta(days=42)
    milestones.check_set_start(member, start, came_back=False, show_days=False)
    assert "42 days" not in page_text(app.test_client().get(f"/members/{member.pseudonym}"))
    milestones.check_set_start(member, start, came_back=False, show_days=True)
    page = page_text(app.test_client().get(f"/members/{member.pseudonym}"))
    assert "42 days since their start date" in page
    # When the account was made is not shown: it would tie an old pseudonym to a new one.
    assert "in the community" not in page


def test_pseudonyms_are_found_in_any_case_and_deleted_members_are_not_found(app, member,
                                                                            second_member):
    client = app.test_client()
    assert client.get(f"/members/{member.pseudonym.upper()}").status_code == 200
    assert client.get("/members/nobody-here-77").status_code == 404
    assert client.get("/members/a%00b").status_code == 404
    old = second_member.pseudonym
    accounts.check_change_pseudonym(second_member, "brave-otter-31", PASSWORD)
    assert client.get(f"/members/{old}").status_code == 404  # earlier names lead nowhere
    assert client.get("/members/brave-otter-31").status_code == 200
    privacy.check_delete_account(member, PASSWORD, keep_posts=True)
    assert client.get(f"/members/{member.pseudonym}").status_code == 404


def test_the_member_page_in_spanish(app, member):
    response = app.test_client().get(f"/members/{member.pseudonym}",
                                     headers={"Accept-Language": "es"})
    page = page_text(response)
    assert "Hilos iniciados" in page and "Respuestas recientes" in page
    assert "Las publicaciones anónimas nunca se muestran aquí." in page
