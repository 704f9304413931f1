"""Relapse on the labelled corpus (tests/data/risk/relapse.jsonl), and the context rules.

The rules were tuned on the dev split only; the thresholds below hold the test split to what
was measured on it (precision 0.98, recall 0.90 of recent first-person relapse, no supporter
or past relapse queued, queue share 0.35; before the context rules: recall 0.66, 21 of 28
supporters queued, queue share 0.58), with a margin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forum.moderation.evaluate import evaluate, load_labelled, parse_labelled
from forum.moderation.resources import DEFAULT_RULES_DIR
from forum.moderation.rules import load_ruleset

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree

CORPUS = Path(__file__).resolve().parent.parent / "data" / "risk" / "relapse.jsonl"


@pytest.fixture(scope="module")
def scores():
    items = load_labelled(CORPUS)
    return evaluate(load_ruleset(DEFAULT_RULES_DIR), items, "relapse")


def test_the_corpus_is_large_split_and_labelled():
    items = load_labelled(CORPUS)
    assert len(items) >= 300
    assert {i.split for i in items} == {"dev", "test"}
    assert {i.kind for i in items} == {"recent", "past", "support", "third-person", "topic"}
    assert {i.language for i in items} == {"en", "es"}
    assert all(("relapse" in i.expected) == (i.kind == "recent") for i in items)


def test_held_out_split_does_not_regress(scores):
    test = scores["test"]
    assert test.kind_share("recent", queued=True) >= 0.85
    assert test.precision >= 0.93
    assert test.queued_by_kind["support"] <= 2
    assert test.queued_by_kind["past"] <= 2
    assert test.queued_by_kind["third-person"] + test.queued_by_kind["topic"] <= 3
    assert test.queue_share <= 0.42


def test_dev_split_keeps_its_tuning(scores):
    dev = scores["dev"]
    assert dev.recall >= 0.95 and dev.precision >= 0.95
    assert dev.queued_by_kind["support"] == 0 and dev.queued_by_kind["past"] == 0


@pytest.mark.parametrize("text", [
    "I used again last night",
    "picked up yesterday",
    "drank on saturday after 90 days",
    "relapsed this morning",
    "i slipped too, last night. day one again for me",
    "recaí anoche",
])
def test_recent_first_person_relapse_is_a_low_flag(rules_pipeline, text):
    verdict = rules_pipeline.screen(text, scope="post")
    assert (verdict.action, verdict.priority, verdict.categories) == ("flag", "low",
                                                                      ("relapse",))
    assert "samhsa-helpline" in verdict.resources


@pytest.mark.parametrize("text", [
    "I slipped too, last month. You're not alone.",
    "i relapsed 3 years ago and it taught me to call before",
    "When I was 22 I relapsed every few months",
    "my brother relapsed last night",
    "relapse is part of recovery for many",
    "yo también recaí. no estás solo",
])
def test_relapse_told_as_history_support_or_topic_is_not_queued(rules_pipeline, text):
    verdict = rules_pipeline.screen(text, scope="post")
    assert "relapse" not in verdict.categories and verdict.action == "allow"


CONTEXT_RULE = """
rules:
  - id: ctx
    category: relapse
    description: A test rule with context.
    phrases: ["i relapsed"]
    unless_sentence: ["years ago"]
    unless_message: ["you are not alone"]
    action: flag
    priority: low
"""


def test_sentence_context_cancels_only_its_own_sentence(rules_copy, write_rules):
    write_rules("relapse.yml", CONTEXT_RULE)
    matcher = load_ruleset(rules_copy).matcher
    assert matcher.match("I relapsed years ago.", "post") == []
    assert matcher.match("I relapsed, years ago now", "post") == []
    hits = matcher.match("Years ago I was clean. I relapsed tonight", "post")
    assert [(h.rule.id, h.span) for h in hits] == [("ctx", (23, 33))]
    hits = matcher.match("I relapsed! It was years ago that I last did", "post")
    assert [h.rule.id for h in hits] == ["ctx"]


def test_message_context_cancels_the_whole_text(rules_copy, write_rules):
    write_rules("relapse.yml", CONTEXT_RULE)
    matcher = load_ruleset(rules_copy).matcher
    assert matcher.match("I relapsed. You are not alone!", "post") == []
    assert matcher.match("You are not alone. I relapsed", "post") == []
    assert [h.rule.id for h in matcher.match("I relapsed. Alone.", "post")] == ["ctx"]


def test_labelled_lines_name_the_bad_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_labelled(['{"text": "a", "expected": {"categories": []}, "split": "dev"}',
                        '{"text": "b"}'])


def test_rules_test_reports_the_category(runner):
    result = runner.invoke(args=["rules", "test", "--corpus", str(CORPUS),
                                 "--category", "relapse"])
    assert result.exit_code == 0, result.output
    assert "test: 154 messages, relapse precision" in result.output
    assert "queue share" in result.output and "support" in result.output
