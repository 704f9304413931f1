"""Who a sentence is about and when, in English and Spanish, and how text is cut into the
writer's own sentences."""

import pytest

from forum.moderation.semantic.reading import (
    ADDRESSED,
    OTHER,
    WRITER,
    read,
    sentences,
    tells_hope,
)

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree


def test_a_blockquote_is_not_the_writers_words():
    text = "> i want to die tonight\n> i have the pills\n\nplease stay. we are here for you"
    found = sentences(text)
    assert " ".join(s.text for s in found) == "please stay. we are here for you"
    assert all(s.span[0] >= text.index("please") for s in found)


def test_spans_point_into_the_original_text():
    text = "Rough week.  I bought rope today! Not sure why i'm telling you all"
    for sentence in sentences(text):
        assert text[sentence.span[0]:sentence.span[1]] == sentence.text
    assert any(s.text == "I bought rope today!" for s in sentences(text))


def test_a_one_word_fragment_is_read_with_the_sentence_before():
    assert [s.text for s in sentences("i bought rope. tonight.")] == ["i bought rope. tonight."]


def test_a_long_unpunctuated_post_is_read_in_overlapping_windows():
    words = [f"w{i}" for i in range(80)]
    found = sentences(" ".join(words))
    assert len(found) >= 3
    covered = {w for s in found for w in s.text.split()}
    assert covered == set(words)
    assert all(len(s.text.split()) <= 32 for s in found)


@pytest.mark.parametrize("text, who", [
    ("i want to die", WRITER),
    ("took everything in the cabinet, my lips are going numb", WRITER),
    ("my friend isn't breathing", OTHER),
    ("he took way too much and won't wake up", OTHER),
    ("please don't kill yourself, we love you", ADDRESSED),
    ("i hope you stay, you matter to me", ADDRESSED),
    ("i want to die, does anyone else feel like that", WRITER),
    ("me quiero morir", WRITER),
    ("mi hermano no respira", OTHER),
    ("no te mates por favor, aquí estoy", ADDRESSED),
    ("ya no quiero vivir", WRITER),
])
def test_who_the_sentence_is_about(text, who):
    assert read(text).who == who


@pytest.mark.parametrize("text", [
    "I'm not suicidal, just tired", "i don't want to die, i just want the pain to stop",
    "no quiero morirme, solo estoy cansada", "no me voy a matar, tranquilos",
    "im safe tonight, promise",
])
def test_negation_is_read(text):
    assert read(text).negated


@pytest.mark.parametrize("text", [
    "i want to die", "i'm going to take all my pills tonight", "quiero desaparecer",
])
def test_plain_disclosures_are_not_negated(text):
    assert not read(text).negated


@pytest.mark.parametrize("text, past", [
    ("five years ago i tried to end it", True),
    ("back when i was using i overdosed twice", True),
    ("hace años intenté quitarme la vida", True),
    ("i tried to kill myself last night", False),
    ("anoche me tomé todas las pastillas", False),
])
def test_history_told_as_history(text, past):
    assert read(text).past is past


def test_hope_is_heard_in_the_whole_message():
    assert tells_hope("five years ago i tried to end it. today i'm grateful to be alive")
    assert tells_hope("hace años quise morir. hoy estoy agradecida")
    assert not tells_hope("five years ago i tried to end it and i think about it again")
