"""Avatars on pages: the cacheable image route, avatars in post headers and notifications, and
never an anonymous author's own avatar, whoever looks."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.services.accounts import account as accounts, avatars, privacy
from tests.conftest import PASSWORD, page_text
from tests.fixtures import threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread, post_reply

board = threads_support.board
screener = threads_support.screener


@pytest.fixture(autouse=True)
def _scripted(screener):
    """Scripted verdicts: these tests are about what is shown, not what is screened."""
    return screener

AVATAR_SRC = re.compile(r'<img class="avatar[^"]*" src="([^"]+)" alt="" width')


def _avatars(response) -> list[str]:
    return AVATAR_SRC.findall(response.get_data(as_text=True))


def _own(user) -> str:
    return avatars.path(avatars.token_for(user.id, user.pseudonym))


def test_an_avatar_is_a_cacheable_svg_that_needs_nothing(app, client, member):
    token = avatars.token_for(member.id, member.pseudonym)
    response = client.get(f"/avatars/{token}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True) == avatars.svg(token)
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "no-store" not in cache
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get(f"/avatars/{token}.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_any_well_formed_token_gets_a_pattern_and_nothing_else_does(client):
    assert client.get(f"/avatars/{'Q' * 22}.svg").status_code == 200
    neutral = client.get("/avatars/anonymous.svg")
    assert neutral.status_code == 200 and neutral.get_data(as_text=True) == avatars.NEUTRAL_SVG
    for bad in ("x", "Q" * 23, "anonymous2", "%00" + "Q" * 21):
        assert client.get(f"/avatars/{bad}.svg").status_code == 404
    assert client.get(f"/avatars/{'Q' * 22}.png").status_code == 404


def test_thread_page_shows_avatars_from_this_site_and_keeps_the_csp(app, board, member,
                                                                    second_member):
    thread = new_thread(board, member).post.thread
    new_reply(thread, second_member)
    response = app.test_client().get(f"/t/{thread.id}")
    assert _avatars(response) == [_own(member), _own(second_member)]
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self'" in csp and "script-src 'self';" in csp


@pytest.mark.parametrize("viewer", ["visitor", "author", "second_member", "moderator"])
def test_anonymous_posts_never_carry_their_authors_avatar(app, board, member, second_member,
                                                          moderator, viewer):
    named = new_thread(board, second_member, title="Named thread").post.thread
    new_reply(named, member, body="Said without my name.", anonymous=True)
    anonymous = new_thread(board, member, title="Quiet thread", anonymous=True).post.thread
    new_reply(anonymous, member, body="Still me, still quiet.", anonymous=True)
    new_reply(anonymous, second_member, body="Here with you.")
    client = {"visitor": app.test_client(), "author": client_for(app, member),
              "second_member": client_for(app, second_member),
              "moderator": client_for(app, moderator)}[viewer]
    neutral = avatars.path(avatars.NEUTRAL)
    hers = _own(member)
    first = client.get(f"/t/{named.id}")
    assert _avatars(first) == [_own(second_member), neutral]
    second = client.get(f"/t/{anonymous.id}")
    assert _avatars(second) == [neutral, neutral, _own(second_member)]
    token = avatars.token_for(member.id, member.pseudonym)
    for response in (first, second, client.get(f"/c/{board.slug}"), client.get("/")):
        assert token not in response.get_data(as_text=True)
    assert hers not in second.get_data(as_text=True)


def test_a_deleted_member_gets_the_neutral_image(app, board, member, second_member):
    thread = new_thread(board, second_member).post.thread
    new_reply(thread, member)
    token = avatars.token_for(member.id, member.pseudonym)
    privacy.check_delete_account(member, PASSWORD, keep_posts=True)
    page = app.test_client().get(f"/t/{thread.id}")
    assert _avatars(page) == [_own(second_member), avatars.path(avatars.NEUTRAL)]
    assert token not in page.get_data(as_text=True)


def test_a_new_pseudonym_shows_a_new_avatar_and_never_the_old_one(app, board, member):
    thread = new_thread(board, member).post.thread
    old = _own(member)
    assert _avatars(app.test_client().get(f"/t/{thread.id}")) == [old]
    accounts.check_change_pseudonym(member, "brave-otter-31", PASSWORD)
    db.session.expire_all()
    page = app.test_client().get(f"/t/{thread.id}")
    assert _avatars(page) == [_own(member)] and _own(member) != old
    assert old not in page.get_data(as_text=True)


def test_notifications_show_the_writers_avatar_or_the_neutral_one(app, board, member,
                                                                  second_member):
    thread = new_thread(board, member, title="My morning").post.thread
    writer = client_for(app, second_member)
    post_reply(writer, thread.id, "Named reply here.")
    post_reply(writer, thread.id, f"And quietly, @{member.pseudonym}.", anonymous="y")
    response = client_for(app, member).get("/notifications")
    page = page_text(response)
    assert "Anonymous member mentioned you" in page
    assert f"{second_member.pseudonym} replied to your thread" in page
    # Newest first: the anonymous mention, then the named reply.
    assert _avatars(response) == [avatars.path(avatars.NEUTRAL), _own(second_member)]
