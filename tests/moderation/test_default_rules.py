"""The default rule set: each category with positive and negative examples (rules alone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

POSITIVE = {
    "crisis": [
        "I want to kill myself",
        "I want to end it all tonight",
        "honestly I just want to die",
        "everyone would be better off without me",
        "I've been having thoughts of suicide again",
        "I don't want to be alive anymore",
        "I feel suicidal",
        "I keep wanting to hurt myself",
    ],
    "crisis-method": [
        "I've been stockpiling my pills for weeks",
        "how many of these pills would it take to die",
        "I bought a rope to do it",
        "this is my goodbye, thank you all",
        "by the time you read this I'll be gone",
    ],
    "overdose": [
        "my friend is not breathing what do I do",
        "I think he overdosed, his lips are turning blue",
        "I can't wake him up",
        "does anyone have narcan near downtown",
        "I think I took too much",
    ],
    "relapse": [
        "I relapsed last night and feel like garbage",
        "I drank again yesterday after 8 months",
        "used again this morning",
        "back to day one",
        "I slipped up",
        "lost my clean time",
    ],
    "pii": [
        "call me at 555-201-3344",
        "my number is (415) 555-0134",
        "text me on 07700 900123",
        "email me at sam.recovery@example.com",
        "write to sam (at) example dot com",
        "I live at 42 Oak Street",
    ],
    "sourcing": [
        "anyone selling xans?",
        "where can I get percs around here",
        "need a plug in Leeds",
        "hmu for bars",
        "selling my subs, dm me",
        "dm me for prices",
    ],
    "harassment": [
        "kys",
        "go kill yourself",
        "you should just die",
        "I hope you relapse",
        "nobody would miss you",
        "I know where you live",
    ],
    "hate": [
        "get out of here you fucking faggot",
        "all immigrants should be deported",
    ],
    "sexual": [
        "send nudes",
        "check out my onlyfans",
        "send me pics of you",
    ],
}

NEGATIVE = {
    "crisis": [
        "please don't kill yourself, we're here for you",
        "I attempted five years ago and I'm grateful to be alive",
        "I attempted suicide five years ago and I'm grateful to be alive",
        "killing it at work this week!",
        "I was suicidal last year, I'm not suicidal now",
        "I don't want to die, I want to live sober",
        "I'm taking my life back one day at a time",
        "ran 5 kms this morning",
    ],
    "crisis-method": [
        "we set a date for our wedding",
        "goodbye everyone, see you tomorrow at the meeting",
        "the pharmacist explained how my meds work",
    ],
    "overdose": [
        "I overdosed in 2015 and survived, now 6 years clean",
        "I carry narcan everywhere now",
        "we did a breathing exercise at group",
    ],
    "relapse": [
        "I'm 90 days sober today",
        "my sponsor told me to call when cravings hit",
        "I haven't had a drink in 200 days",
        "not drinking today, one day at a time",
        "relapse prevention worksheet was helpful",
        "I slipped on the ice and hurt my wrist",
    ],
    "pii": [
        "call SAMHSA at 1-800-662-4357",
        "Samaritans are on 116 123, any time",
        "text 988 if you need someone",
        "I'm 35 years old and 2 years sober",
        "walked 2 miles down the road to my meeting",
    ],
    "sourcing": [
        "how do I get on suboxone?",
        "where can I get suboxone treatment near me",
        "hmu for support anytime",
        "I used to sell dope, now I sponsor people",
        "my methadone clinic changed hours",
    ],
    "harassment": [
        "please don't kill yourself, we're here for you",
        "you are not alone",
        "I'll find you a meeting near you",
        "hit me up if you need to talk",
    ],
    "hate": [
        "I'm gay and 3 years sober",
        "the meeting for immigrants is on Tuesday",
    ],
    "sexual": [
        "I'm working on my porn addiction with a counselor",
        "sex addiction anonymous helped me",
    ],
}


def _categories(pipeline, text, scope="post", author=None):
    return pipeline.screen(text, scope=scope, author=author).categories


@pytest.mark.parametrize(("category", "text"),
                         [(c, t) for c, texts in POSITIVE.items() for t in texts])
def test_positive(rules_pipeline, category, text):
    assert category in _categories(rules_pipeline, text)


@pytest.mark.parametrize(("category", "text"),
                         [(c, t) for c, texts in NEGATIVE.items() for t in texts])
def test_negative(rules_pipeline, category, text):
    assert category not in _categories(rules_pipeline, text)


@pytest.mark.parametrize("text", [
    "I'm 90 days sober today", "my sponsor told me to call when cravings hit",
    "Went to two meetings today and called my sponsor.", "One day at a time, friends.",
])
def test_recovery_talk_stays_allowed(rules_pipeline, text):
    assert rules_pipeline.screen(text, scope="post").action == "allow"


def test_writer_crisis_is_flagged_urgent_with_resources(rules_pipeline):
    verdict = rules_pipeline.screen("I want to kill myself", scope="post")
    assert (verdict.action, verdict.priority) == ("flag", "urgent")
    assert "988-lifeline" in verdict.resources and verdict.message
    assert verdict.is_risk_to_author


def test_peer_support_and_past_disclosure_are_not_urgent(rules_pipeline):
    for text in ("please don't kill yourself, we're here for you",
                 "I attempted five years ago and I'm grateful to be alive"):
        verdict = rules_pipeline.screen(text, scope="post")
        assert verdict.priority != "urgent" and verdict.action in ("allow", "flag")


def test_method_is_held_urgent(rules_pipeline):
    verdict = rules_pipeline.screen("I've been stockpiling my pills", scope="post")
    assert (verdict.action, verdict.priority) == ("hold", "urgent")
    assert "emergency-us" in verdict.resources


def test_overdose_has_emergency_and_overdose_resources(rules_pipeline):
    verdict = rules_pipeline.screen("my friend is not breathing", scope="chat")
    assert (verdict.action, verdict.priority) == ("flag", "urgent")
    assert {"emergency-us", "emergency-uk", "never-use-alone"} <= set(verdict.resources)


def test_relapse_is_never_held(rules_pipeline):
    verdict = rules_pipeline.screen("I relapsed last night and feel like garbage", scope="post")
    assert (verdict.action, verdict.priority, verdict.categories) == ("flag", "low",
                                                                      ("relapse",))


def test_pii_is_held_with_an_explanation(rules_pipeline):
    verdict = rules_pipeline.screen("call me at 555-201-3344", scope="post")
    assert (verdict.action, verdict.priority) == ("hold", "high")
    assert "privacy" in verdict.message


def test_abuse_aimed_at_others_is_held(rules_pipeline):
    for text in ("kys", "go kill yourself", "K Y S"):
        verdict = rules_pipeline.screen(text, scope="chat")
        assert verdict.action in ("hold", "block") and "harassment" in verdict.categories


def test_spam_link_only_from_new_accounts(rules_pipeline):
    now = datetime.now(UTC)
    new = SimpleNamespace(id=1, created_at=now - timedelta(hours=2))
    old = SimpleNamespace(id=2, created_at=(now - timedelta(days=30)).replace(tzinfo=None))
    text = "great article at www.example.com/recovery"
    assert "spam" in _categories(rules_pipeline, text, author=new)
    assert "spam" not in _categories(rules_pipeline, text, author=old)
    assert "spam" not in _categories(rules_pipeline, text, author=None)
    assert "spam" not in _categories(rules_pipeline, "see https://findtreatment.gov", author=new)


def test_repeated_text_is_spam(rules_pipeline):
    assert "spam" in _categories(rules_pipeline, "buy now " * 10, scope="chat")
    assert "spam" not in _categories(rules_pipeline, "thank you all so much " * 2, scope="chat")


@pytest.mark.parametrize(("name", "category"), [
    ("KillYourself99", "harassment"), ("go-kill-yourself", "harassment"),
    ("send_nudes", "sexual"), ("n1gger", "hate"),
    ("sam@example.com", "pii"), ("www.pills-shop.com", "spam"),
])
def test_pseudonyms_are_refused(rules_pipeline, name, category):
    verdict = rules_pipeline.screen(name, scope="pseudonym")
    assert verdict.action == "block" and category in verdict.categories


@pytest.mark.parametrize("name", ["steady-heron", "morning_cedar", "Sam1988", "grateful-gina",
                                  "rowan-pine", "sam-lantern", "paused-member", "quiet-otter"])
def test_ordinary_pseudonyms_pass(rules_pipeline, name):
    assert rules_pipeline.screen(name, scope="pseudonym").action == "allow"


def test_titles_are_screened(rules_pipeline):
    assert "sourcing" in _categories(rules_pipeline, "Anyone selling percs?", scope="title")
    assert "crisis" in _categories(rules_pipeline, "I want to die", scope="title")


def test_report_reasons_are_screened_for_crisis_not_sourcing(rules_pipeline):
    assert "crisis" in _categories(rules_pipeline, "I want to kill myself", scope="report")
    assert "sourcing" not in _categories(rules_pipeline, "they are selling xans", scope="report")
