"""Search: word prefixes, titles first, meetings and boards, highlighted and escaped excerpts,
anonymity, and only what everyone may see, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, select, text

from forum.extensions import db as _db
from forum.models import Post, ReviewItem
from forum.services import review_queue
from forum.services.accounts import mutes
from forum.services.meetings import schedule as meetings
from forum.services.threads import posts, search
from tests.conftest import PERSONAS, csrf_from
from tests.fixtures import meetings as meetings_support, threads as threads_support
from tests.fixtures.meetings import schedule
from tests.fixtures.threads import client_for, new_reply, new_thread

# The shared fixtures, by assignment (a plugin import would be collected twice).
board = threads_support.board
screener = threads_support.screener
fake_clock = meetings_support.fake_clock
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _html(client, words, **headers) -> str:
    response = client.get("/search", query_string={"q": words}, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _found(client, words, **headers) -> str:
    """The results part of the page as a reader sees it: tags dropped, entities decoded."""
    page = _html(client, words, **headers)
    main = page[page.index('id="main"'):page.index("</main>")]
    return html.unescape(re.sub(r"<[^>]+>", "", main))


def _section(page: str, name: str) -> str:
    """One section of the results page's HTML ('' when it is absent)."""
    start = page.find(f'<section class="search-section" aria-labelledby="found-{name}">')
    return "" if start == -1 else page[start:page.index("</section>", start)]


def _titles(found) -> list[str]:
    return [hit.post.thread.title for hit in found.posts]


def _viewer(request, persona):
    return None if persona == "visitor" else request.getfixturevalue(persona)


# ---- matching ----

def test_a_word_is_found_by_its_beginning(app, db, board, member, second_member, screener):
    new_thread(board, member, title="Gardening helps", body="Planting tomatoes every morning.")
    new_thread(board, member, title="Rough week", body="I slipped on Tuesday and told my sponsor.")
    client = client_for(app, second_member)
    for query in ("slipp", "slip", "SLIPPED", "slipping", "sponsors", "tues"):
        assert "I slipped on Tuesday" in _found(client, query), query
    assert "Planting tomatoes" in _found(client, "tomato")
    assert "Gardening helps" in _found(app.test_client(), "gardening")  # titles too
    assert "Gardening helps" in _found(app.test_client(), "garden")
    assert "I slipped" not in _found(client, "lipped")  # a prefix, not any substring


def test_every_word_of_the_query_must_match(app, db, board, member, screener):
    new_thread(board, member, title="Rough week", body="I slipped on Tuesday.")
    client = app.test_client()
    assert "I slipped on Tuesday" in _found(client, "slipp tues")
    page = _found(client, "slipp walrus")
    assert "I slipped" not in page and 'Nothing found for "slipp walrus".' in page


def test_spanish_accents_are_optional(app, db, board, member, screener):
    new_thread(board, member, title="Un mes difícil",
               body="Tuve una recaída ayer, pero hablé con mi madrina.")
    client = app.test_client()
    for query in ("recaída", "recaí", "recai", "RECAIDA", "recaídas", "dificil", "madrinas"):
        assert "Tuve una recaída ayer" in _found(client, query), query
    raw = _html(client, "recai")
    assert "<mark>recaída</mark>" in raw  # shown as written, accent and all
    assert "<mark>difícil</mark>" in _html(client, "dificil")


def test_posts_whose_thread_title_matches_come_first(app, db, board, member, second_member,
                                                     screener):
    busy = new_thread(board, member, title="Morning routine",
                      body="Lantern light, lantern walks, a lantern by the bed, lanterns.").post
    new_reply(busy.thread, second_member, "My lantern is a lantern too, lantern lantern.")
    new_thread(board, second_member, title="Lantern evenings", body="We sit together at night.")
    new_thread(board, member, title="Lantern talk at night", body="Evenings are hard.")
    found = search.search("lantern")
    titles = _titles(found)
    assert sorted(titles[:2]) == ["Lantern evenings", "Lantern talk at night"]
    assert [hit.title_hit for hit in found.posts] == [True, True, False, False]
    assert set(titles[2:]) == {"Morning routine"}
    page = _found(app.test_client(), "lantern")
    assert page.index("Lantern evenings") < page.index("Morning routine")
    # A title holding only some of the words is no title match; the body supplies the rest.
    both = search.search("lantern night")
    assert _titles(both) == ["Lantern talk at night", "Lantern evenings"]
    assert [hit.title_hit for hit in both.posts] == [True, False]


def test_meetings_and_boards_are_found_in_their_own_sections(app, db, board, member,
                                                             facilitator, fake_clock, screener):
    circle = schedule(facilitator, title="Tuesday check-in circle",
                      description="Share how your week went.")
    gone = schedule(facilitator, title="Friday circle", description="Cancelled for good.")
    meetings.check_cancel(gone, acting_user=facilitator)
    new_thread(board, member, title="About the circle", body="The circle helped me.")
    page = _html(app.test_client(), "circl")
    in_meetings = _section(page, "meetings")
    assert f'href="/meetings/{circle.id}"' in in_meetings
    assert "Tuesday check-in <mark>circle</mark>" in in_meetings
    assert "Friday" not in page  # cancelled: maybe taken down by a moderator
    assert "About the" in _section(page, "posts")
    assert 'href="#found-meetings"' in page and 'href="#found-posts"' in page
    assert _section(page, "boards") == ""

    page = _html(client_for(app, member), "daily chec")
    in_boards = _section(page, "boards")
    assert 'href="/c/daily-check-ins"' in in_boards and "<mark>Daily</mark>" in in_boards
    assert _section(page, "meetings") == ""
    # The description counts as well as the name.
    assert 'href="/c/daily-check-ins"' in _section(_html(app.test_client(), "today"), "boards")
    assert f'href="/meetings/{circle.id}"' in _section(_html(app.test_client(), "week"),
                                                       "meetings")


# ---- what is shown ----

def test_excerpts_are_highlighted_and_member_text_escaped(app, db, board, member, screener):
    new_thread(board, member, title="<i>Slippery</i> & steps",
               body='I <script>alert("x")</script> slipped <mark>fake</mark> <img src=x onerror=y>')
    page = _html(app.test_client(), "slipp")
    results = _section(page, "posts")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in results
    assert "&lt;mark&gt;fake&lt;/mark&gt;" in results
    assert "&lt;i&gt;<mark>Slippery</mark>&lt;/i&gt; &amp; steps" in results
    assert "<mark>slipped</mark>" in results
    assert results.count("<mark>") == 2  # only ours: the title word and the body word


def test_a_long_post_shows_the_part_that_matched(app, db, board, member, screener):
    body = "Filler words about nothing much. " * 20 + "Then the kestrel came back." + " More." * 40
    new_thread(board, member, title="Long one", body=body)
    results = _section(_html(app.test_client(), "kestrel"), "posts")
    excerpt = re.search(r'<p class="search-excerpt">(.*?)</p>', results, re.S).group(1)
    assert "<mark>kestrel</mark>" in excerpt
    assert excerpt.startswith("\u2026 ") and excerpt.endswith(" \u2026")
    assert len(re.sub(r"<[^>]+>", "", excerpt)) <= search.SNIPPET_LENGTH + 4


def test_anonymous_authors_stay_anonymous(app, db, board, member, second_member, moderator,
                                          screener):
    thread = new_thread(board, member, title="Quiet harbour", body="Harbour lights",
                        anonymous=True).post.thread
    new_reply(thread, member, "The harbour at dawn", anonymous=True)
    for client in (client_for(app, second_member), client_for(app, moderator),
                   app.test_client()):
        page = _html(client, "harbour")
        results = _section(page, "posts")
        assert "Thread by Anonymous member in Daily check-ins" in results
        assert "Reply by Anonymous member in Daily check-ins" in results
        assert member.pseudonym not in page
        assert "<img" not in results and "/people/" not in results
    # Author names are not searchable at all.
    assert "Harbour lights" not in _found(app.test_client(), member.pseudonym)


def test_muted_members_posts_are_folded_as_in_threads(app, db, board, member, second_member,
                                                      screener):
    new_thread(board, second_member, title="Owl notes", body="The owl sang at night.")
    new_thread(board, second_member, title="Owl secrets", body="An owl unnamed.", anonymous=True)
    mutes.check_mute(member, second_member.pseudonym)
    results = _section(_html(client_for(app, member), "owl"), "posts")
    assert results.count('<details class="collapsed-post">') == 1
    folded = results[results.index('<details class="collapsed-post">'):]
    assert "A post by a member you muted. Show it" in folded
    assert "The <mark>owl</mark> sang" in folded[:folded.index("</details>")]
    # An anonymous author is nobody to a mute: that post is shown like any other.
    assert "An <mark>owl</mark> unnamed." in results
    assert "collapsed-post" not in _html(app.test_client(), "owl")


@pytest.mark.parametrize("persona", ["visitor", *PERSONAS])
def test_held_removed_and_deleted_posts_are_never_found(request, app, db, board, member,
                                                        second_member, moderator, screener,
                                                        persona):
    thread = new_thread(board, member, body="Visible walrus").post.thread
    new_reply(thread, second_member, "Held walrus [[hold:spam]]")
    removed = new_reply(thread, second_member, "Removed walrus").post
    deleted = new_reply(thread, second_member, "Deleted walrus").post
    hidden = new_thread(board, second_member, title="Walrus title",
                        body="Walrus opening [[hold:spam]]").post.thread
    review_queue.do_enqueue("post", removed.id)
    db.session.commit()
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.content_id == removed.id))
    review_queue.do_remove(item, "off topic", acting_user=moderator)
    author = client_for(app, second_member)
    author.post(f"/p/{deleted.id}/delete", data={"csrf_token": csrf_from(author, "/")})
    viewer = _viewer(request, persona)
    client = client_for(app, viewer) if viewer else app.test_client()
    page = _found(client, "walrus")
    assert "Visible walrus" in page
    for gone in ("Held walrus", "Removed walrus", "Deleted walrus", "Walrus title",
                 "Walrus opening"):
        assert gone not in page, gone
    assert hidden.visible is False


def test_an_edit_that_is_held_leaves_the_search(app, db, board, member, second_member, screener):
    post = new_thread(board, member, body="Original otter words").post
    posts.check_edit_post(post, "Edited otter words [[hold:spam]]", title=None,
                          content_note=None, acting_user=member)
    assert "otter words" not in _found(client_for(app, second_member), "otter")
    assert search.search_posts("otter")[0] == []


def test_a_renamed_thread_is_found_by_its_new_title(app, db, board, member, screener):
    post = new_thread(board, member, title="Old name", body="Some words").post
    posts.check_edit_post(post, "Some words", title="Heron mornings", content_note=None,
                          acting_user=member)
    assert _titles(search.search("heron")) == ["Heron mornings"]
    assert search.search("old").posts == []


def test_replies_of_a_hidden_thread_are_not_found(app, db, board, member, second_member,
                                                  moderator, screener):
    thread = new_thread(board, member, body="The opening").post.thread
    new_reply(thread, second_member, "A reply about herons")
    opening = db.session.scalar(select(Post).where(Post.is_opening.is_(True)))
    review_queue.do_enqueue("post", opening.id)
    db.session.commit()
    review_queue.do_remove(db.session.scalar(select(ReviewItem)), "unsafe",
                           acting_user=moderator)
    assert search.search_posts("herons")[0] == []
    assert "A reply about" not in _found(app.test_client(), "heron")


# ---- odd input ----

ODD = ['"', '""', "'", "*", "-", "+", "^", ":", "&", "|", "!", "(", ")", "()", "{}", "[", "\\",
       "%", "_", "NEAR", "NEAR(a b)", "NEAR(slipped walrus, 2)", "AND OR NOT", "title:x",
       "body : slipped", "{title}: x", "slipp*", '"slipp"', "slipp -walrus", "!slipp",
       "slipp & | !", "a:* & b", "<->", "'; DROP TABLE posts; --", "a" * 500,
       "slipp " * 60, "🙂", "\u0301", "é", "ñ", "x\x00y", "\x00", " ", "漢字"]


def test_odd_queries_give_a_clear_page(app, db, board, member, screener):
    new_thread(board, member, title="Rough week", body="I slipped on Tuesday.")
    app.config["SEARCH_RATE_LIMIT"] = "1000 per minute"  # read on each request
    client = app.test_client()
    for query in ODD:
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200, query
        assert "<h1>Search</h1>" in response.get_data(as_text=True)
    for query in ("slipp*", '"slipp"', "!slipp", "slipp & | !", "(slipp)", "slipp:*"):
        assert "I slipped on Tuesday" in _found(client, query), query
    # No operators: "-" is no NOT, OR no OR, "body :" no column filter: every word must match.
    for query in ("slipp -walrus", "slipp OR walrus", "slipp | walrus", "NEAR(slipp walrus)",
                  "body : slipped"):
        assert 'Nothing found for "' in _found(client, query), query
    assert "Type at least two letters or digits to search." in _found(client, "a")
    assert "Type at least two letters or digits to search." in _found(client, "*")
    empty = _found(client, "")
    assert "Type at least" not in empty and "Nothing found" not in empty
    assert "I slipped" not in empty
    # The page number is kept in range however it is written.
    for number in ("0", "-3", "99999", "abc", "1e9"):
        assert client.get("/search", query_string={"q": "slipp", "page": number}).status_code \
            == 200


def test_results_come_a_page_at_a_time(app, db, board, member, screener, monkeypatch):
    monkeypatch.setattr(search, "PER_PAGE", 2)
    for n in range(3):
        new_thread(board, member, title=f"Pebble {n}", body="Pebbles on the shore.")
    client = app.test_client()
    first = _html(client, "pebble")
    assert first.count('class="card search-hit"') == 2 and 'rel="next"' in first
    second = client.get("/search?q=pebble&page=2").get_data(as_text=True)
    assert second.count('class="card search-hit"') == 1
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_page_speaks_spanish(app, db, board, member, screener):
    new_thread(board, member, title="Recaída", body="Tuve una recaída.", anonymous=True)
    client = app.test_client()
    page = _found(client, "recai", **SPANISH)
    assert "Buscar" in page and "Temas y publicaciones" in page
    assert "Tema de Miembro anónimo en Daily check-ins" in page
    assert "«recai» encuentra «recaída»" in page
    assert "Escribe al menos dos letras o cifras para buscar." in _found(client, "a", **SPANISH)
    assert "No se encontró nada" in _found(client, "zzzz", **SPANISH)


# ---- the index ----

def test_the_full_text_index_is_used(app, db, board, member, screener):
    new_thread(board, member, title="Rough week", body="I slipped on Tuesday.")
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "search_posts" in statement and "ORDER BY" in statement:
            seen.append((statement, parameters))

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert search.search("slipp").posts
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, parameters = seen[0]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # Tests hold a few rows, where reading the table, or looking each post up by its id,
            # is cheaper; the index must be usable, so the planner is told to avoid those.
            for path in ("seqscan", "indexscan", "nestloop"):
                conn.execute(text(f"SET enable_{path} = off"))
            plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).fetchall()
            assert "search_posts_document" in " ".join(row[0] for row in plan)
        else:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan)
