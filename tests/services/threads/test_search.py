"""The search service's words and markup alone: query words, prefixes, highlighting, excerpts."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from forum.services.threads import search

# Pure functions: the PostgreSQL run would repeat them for nothing.
pytestmark = pytest.mark.dbfree


@pytest.mark.parametrize("word, prefix", [
    ("slipp", "slipp"), ("slipped", "slip"), ("slipping", "slip"), ("stopped", "stop"),
    ("falling", "fall"), ("missed", "miss"), ("tomatoes", "tomato"), ("stories", "stor"),
    ("worried", "worr"), ("days", "day"), ("this", "this"), ("stress", "stress"),
    ("status", "status"), ("crisis", "crisis"), ("bring", "bring"), ("only", "only"),
    ("recaidas", "recaida"), ("emociones", "emocion"), ("12", "12"), ("mp3s", "mp3s"),
])
def test_a_query_word_loses_a_common_ending(word, prefix):
    assert search.word_prefix(word) == prefix
    assert word.startswith(prefix)  # never narrower than the word itself


def test_query_words_are_letters_and_digits_folded():
    query = search.parse('"Recaída" NEAR(a b) title:x slipp* -walrus AND ¿Sí? x_y 12')
    assert query.prefixes == ("recaida", "near", "title", "slipp", "walrus", "and", "si", "12")
    assert search.parse("a b c").prefixes == () and search.parse("a b c").too_short
    assert not search.parse("").too_short and not search.parse("   ").too_short
    assert search.parse("hope hope HOPE hopes hopeful").prefixes == ("hopeful",)
    assert len(search.parse(" ".join(f"w{n}x" for n in range(40))).prefixes) == search.MAX_TERMS
    assert search.parse("z" * 500).prefixes == ("z" * search.MAX_TERM,)
    for syntax in ('"', "*", "-", ":", "&", "|", "!", "(", ")", "'", "\x00", "^", "\\"):
        assert search.parse(f"ab{syntax}cd").prefixes == ("ab", "cd"), syntax


def test_highlight_escapes_everything_and_marks_whole_words():
    query = search.parse("slipp recai")
    marked = search.highlight('<b>I</b> slipped & "recaída" <mark>x</mark>', query)
    assert isinstance(marked, Markup)
    assert marked == Markup("&lt;b&gt;I&lt;/b&gt; <mark>slipped</mark> &amp; "
                            "&#34;<mark>recaída</mark>&#34; &lt;mark&gt;x&lt;/mark&gt;")
    assert search.highlight("lipped", search.parse("slipp")) == Markup("lipped")


def test_excerpt_reads_as_text_around_the_first_match():
    body = "> quoted *bold* [a link](https://example.org/a) start. " + "filler " * 60 \
        + "the kestrel returned " + "more " * 60
    excerpt = search.excerpt(body, search.parse("kestrel"))
    assert "<mark>kestrel</mark>" in excerpt
    assert excerpt.startswith("\u2026 ") and excerpt.endswith(" \u2026")
    short = search.excerpt("> quoted *bold* [a link](https://example.org/a) 5 > 3",
                           search.parse("bold"))
    assert short == Markup("quoted <mark>bold</mark> a link 5 &gt; 3")
