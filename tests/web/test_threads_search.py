"""Search shows only what everyone may see, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from sqlalchemy import select

from forum.models import Post, ReviewItem
from forum.services import review_queue, search
from tests import threads_support
from tests.conftest import csrf_from, page_text
from tests.threads_support import client_for, new_reply, new_thread

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener


def _found(client, words):
    return page_text(client.get(f"/search?q={words}"))


def test_published_posts_are_found_with_stemming(app, db, board, member, second_member):
    new_thread(board, member, title="Gardening helps", body="Planting tomatoes every morning.")
    page = _found(client_for(app, second_member), "tomato")
    assert "Gardening helps" in page and "Planting tomatoes" in page
    assert "Gardening helps" in _found(app.test_client(), "gardening")  # titles too


def test_held_removed_and_deleted_posts_are_never_found(app, db, board, member, second_member,
                                                        moderator, screener):
    thread = new_thread(board, member, body="Visible walrus").post.thread
    new_reply(thread, second_member, "Held walrus [[hold:spam]]")
    removed = new_reply(thread, second_member, "Removed walrus").post
    deleted = new_reply(thread, second_member, "Deleted walrus").post
    review_queue.do_enqueue("post", removed.id)
    db.session.commit()
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.content_id == removed.id))
    review_queue.do_remove(item, "off topic", acting_user=moderator)
    author = client_for(app, second_member)
    author.post(f"/p/{deleted.id}/delete", data={"csrf_token": csrf_from(author, "/")})
    for client in (app.test_client(), client_for(app, member), author,
                   client_for(app, moderator)):
        page = _found(client, "walrus")
        assert "Visible walrus" in page
        assert "Held walrus" not in page
        assert "Removed walrus" not in page
        assert "Deleted walrus" not in page


def test_an_edit_that_is_held_leaves_the_search(app, db, board, member, second_member, screener):
    post = new_thread(board, member, body="Original otter words").post
    from forum.services import posts

    posts.check_edit_post(post, "Edited otter words [[hold:spam]]", title=None,
                          content_note=None, acting_user=member)
    assert "otter words" not in _found(client_for(app, second_member), "otter")
    assert search.search_posts("otter")[0] == []


def test_replies_of_a_hidden_thread_are_not_found(app, db, board, member, second_member,
                                                  moderator):
    thread = new_thread(board, member, body="The opening").post.thread
    new_reply(thread, second_member, "A reply about herons")
    opening = db.session.scalar(select(Post).where(Post.is_opening.is_(True)))
    review_queue.do_enqueue("post", opening.id)
    db.session.commit()
    review_queue.do_remove(db.session.scalar(select(ReviewItem)), "unsafe",
                           acting_user=moderator)
    assert search.search_posts("herons")[0] == []


def test_query_syntax_is_not_interpreted(app, db, board, member):
    new_thread(board, member, body="Plain words here")
    client = app.test_client()
    for query in ('"', "AND OR NOT", "*", "title:x", "NEAR(a b)", "'; DROP TABLE posts; --",
                  "a" * 500, "%", "(", "-"):
        assert client.get("/search", query_string={"q": query}).status_code == 200
    assert "Plain words here" in _found(client, "plain words")


def test_search_pages_have_no_author_of_anonymous_posts(app, db, board, member, second_member):
    new_thread(board, member, title="Quiet harbour", body="Harbour lights", anonymous=True)
    page = _found(client_for(app, second_member), "harbour")
    assert "Anonymous member" in page and member.pseudonym not in page
