"""Normalization: every evasion the issue lists fails, and spans point into the original."""

from __future__ import annotations

import random

import pytest

from forum.moderation.normalize import fold, words, words_mapped


def norm(text: str) -> str:
    return words(fold(text)[0]).strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｓｕｉｃｉｄｅ", "suicide"),  # NFKC: fullwidth letters
        ("𝐬𝐮𝐢𝐜𝐢𝐝𝐞", "suicide"),  # NFKC: mathematical bold
        ("SUICIDE", "suicide"),  # case folding
        ("STRAßE", "strasse"),  # full case folding, not just lower()
        ("su\u200bici\u200dde", "suicide"),  # zero-width space and joiner
        ("sui\ufeffcide\u00ad", "suicide"),  # BOM and soft hyphen
        ("sùïcìdé", "suicide"),  # combining accents removed
        ("su\u0301ic\u0327ide", "suicide"),  # separate combining marks
        ("5u1c1d3", "suicide"),  # leetspeak digits
        ("k1ll y0ur5elf", "kill yourself"),
        ("@$$", "ass"),  # @ and $
        ("7ired", "tired"),
        ("4ll", "all"),
        ("kiiiiiill", "kill"),  # letters repeated 3+ times
        ("soooo tired", "so tired"),
        ("k.i.l.l", "kill"),  # letters split by punctuation
        ("s u i c i d e", "suicide"),  # letters split by spaces
        ("k-y-s", "kys"),
        ("k_i_l_l  m_y_s_e_l_f", "kill myself"),
        ("кill", "kill"),  # Cyrillic look-alike
        ("I'm", "im"),  # apostrophes dropped
        ("don’t", "dont"),
        ("hello,   world!!", "hello world"),
    ],
)
def test_evasions_normalize_away(text, expected):
    assert norm(text) == expected


def test_one_can_stand_for_l(default_pipeline):
    verdict = default_pipeline.screen("go k1ll yourself", scope="post")
    assert "harassment" in verdict.categories


@pytest.mark.parametrize(
    "evasion",
    ["I want to k1ll mys3lf", "I want to KILL MYSELF", "i want to k.i.l.l myself",
     "i want to k i l l m y s e l f", "I want to kiiiillll myself", "I want to ｋｉｌｌ myself",
     "I want to ki\u200bll myself", "I want to kíll mýself", "I w4nt to d13", "5u1c1d4l"],
)
def test_evasions_still_match_a_crisis_rule(rules_pipeline, evasion):
    verdict = rules_pipeline.screen(evasion, scope="post")
    assert "crisis" in verdict.categories, evasion


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("ok so I want to K.I.L.L   MYSELF tonight", "K.I.L.L   MYSELF"),
        ("ｏｋ I want to ｋｉｌｌ ｍｙｓｅｌｆ", "ｋｉｌｌ ｍｙｓｅｌｆ"),
        ("well I want to kiiiiilll myself", "kiiiiilll myself"),
        ("x su\u200bici\u200bdal x", "su\u200bici\u200bdal"),
        ("é ß 😀 I feel suicidal", "suicidal"),
    ],
)
def test_spans_point_into_the_original_text(rules_pipeline, text, matched):
    verdict = rules_pipeline.screen(text, scope="post")
    spans = [r.span for r in verdict.reasons if r.source == "rule"]
    assert spans, text
    start, end = spans[0]
    assert text[start:end] == matched


def test_pii_span_is_exact(rules_pipeline):
    text = "Hi! call me at 555-201-3344 ok"
    verdict = rules_pipeline.screen(text, scope="post")
    (reason,) = verdict.reasons
    assert text[slice(*reason.span)] == "555-201-3344"


def test_fast_path_and_reference_agree():
    rng = random.Random(3)
    pieces = list("abcdefghijklmnopqrstuvwxyzAEIKLS0134579@$'’.,!?- _\n\t") + [
        "\u200b", "é", "ß", "ｋ", "к", "İ", "ﬁ", "…", "😀", "\u0301", "٣", "k i l l", " a b c ",
        "looool", "kiiiill", "s.u.i", "I'm", "xxxxx",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        folded, _ = fold(text)
        for one in "il":
            mapped = words_mapped(folded, one)
            assert words(folded, one) == mapped.text, repr(text)
            assert len(mapped.starts) == len(mapped.text) - 2
