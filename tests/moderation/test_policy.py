"""Policy: strictest action, united categories, highest priority, risk to the author first."""

from __future__ import annotations

import json

import pytest

from forum.moderation import Pipeline
from forum.moderation.resources import DEFAULT_RULES_DIR


def pipeline_with(fake_classifier, scores=None, fail=False) -> Pipeline:
    return Pipeline(DEFAULT_RULES_DIR, fake_classifier(scores, fail), reload_interval=0)


def test_strictest_action_union_and_highest_priority(fake_classifier):
    pipeline = pipeline_with(fake_classifier)
    text = "I relapsed and I want to kill myself, call me at 555-201-3344"
    verdict = pipeline.screen(text, scope="post")
    assert verdict.action == "hold"  # pii holds; crisis and relapse only flag
    assert verdict.categories == ("crisis", "pii", "relapse")
    assert verdict.priority == "urgent"
    assert [r.id for r in verdict.reasons] == [
        "relapse-told", "crisis-wants-to-die", "pii-phone"]
    assert all(text[slice(*r.span)] for r in verdict.reasons)
    assert verdict.resources[0] == "988-lifeline"  # the urgent rule's resources come first
    assert "You are not alone" in verdict.message  # the strongest rule speaks to the author


def test_classifier_labels_become_reasons(fake_classifier):
    pipeline = pipeline_with(fake_classifier, {"idiot": {"insult": 0.9, "threat": 0.7,
                                                         "toxicity": 0.5}})
    verdict = pipeline.screen("you idiot", scope="chat")
    assert verdict.action == "hold" and verdict.priority == "high"
    assert verdict.categories == ("harassment",)
    assert [(r.source, r.id, r.score) for r in verdict.reasons] == [
        ("classifier", "insult", 0.9), ("classifier", "threat", 0.7)]


@pytest.mark.parametrize("text", ["I want to kill myself", "my friend is not breathing",
                                  "I've been stockpiling my pills"])
def test_risk_to_author_is_not_read_as_toxicity(fake_classifier, text):
    scores = {"": {"threat": 0.99, "toxicity": 0.99, "insult": 0.99, "severe_toxicity": 0.9}}
    verdict = pipeline_with(fake_classifier, scores).screen(text, scope="post")
    assert "harassment" not in verdict.categories
    assert verdict.priority == "urgent"
    assert verdict.action != "block"
    assert all(r.source == "rule" for r in verdict.reasons)
    assert verdict.is_risk_to_author


def test_identity_attacks_still_count_beside_a_crisis(fake_classifier):
    scores = {"": {"identity_attack": 0.9}}
    verdict = pipeline_with(fake_classifier, scores).screen("I want to die", scope="post")
    assert verdict.categories == ("crisis", "hate")


def test_relapse_with_self_insult_is_not_held(fake_classifier):
    scores = {"": {"insult": 0.95, "toxicity": 0.95, "obscene": 0.95}}
    verdict = pipeline_with(fake_classifier, scores).screen(
        "I relapsed last night, I'm such a fucking idiot", scope="post")
    assert (verdict.action, verdict.categories) == ("flag", ("relapse",))


def test_obscene_alone_flags_but_never_holds(fake_classifier):
    verdict = pipeline_with(fake_classifier, {"": {"obscene": 0.99}}).screen(
        "f*** this, I'm so angry at my sponsor", scope="post")
    assert (verdict.action, verdict.categories, verdict.priority) == ("flag", ("profanity",),
                                                                      "low")


def test_below_threshold_is_allowed(fake_classifier):
    verdict = pipeline_with(fake_classifier, {"": {"toxicity": 0.79, "obscene": 0.5}}).screen(
        "hello", scope="post")
    assert verdict.action == "allow" and verdict.reasons == ()


def test_classifier_failure_leaves_rules_deciding(fake_classifier):
    pipeline = pipeline_with(fake_classifier, fail=True)
    verdict = pipeline.screen("I want to end it all tonight", scope="post")
    assert verdict.classifier_unavailable
    assert verdict.categories == ("crisis",) and verdict.priority == "urgent"
    assert not pipeline.screen("hello", scope="post").categories


def test_verdict_json_shape(fake_classifier):
    verdict = pipeline_with(fake_classifier, {"": {"obscene": 0.91234567}}).screen(
        "call me at 555-201-3344", scope="post")
    data = json.loads(json.dumps(verdict.to_dict()))
    assert list(data) == ["action", "categories", "priority", "reasons", "resources",
                          "classifier", "semantic"]
    assert data["reasons"][0] == {"source": "rule", "id": "pii-phone", "category": "pii",
                                  "span": [11, 23], "score": None}
    assert data["reasons"][1]["score"] == 0.9123 and data["reasons"][1]["span"] is None
    assert data["classifier"] == {"name": "fake", "ready": True}
    assert data["semantic"] == {"name": "off", "ready": False}


def test_screen_many_scores_in_one_batch(fake_classifier):
    pipeline = pipeline_with(fake_classifier)
    verdicts = pipeline.screen_many(["hello", "kys", "I relapsed"], scope="chat")
    assert [v.action for v in verdicts] == ["allow", "hold", "flag"]
    assert pipeline.classifier.calls == [["hello", "kys", "I relapsed"]]


def test_unknown_scope_and_non_text_are_refused(fake_classifier):
    pipeline = pipeline_with(fake_classifier)
    with pytest.raises(ValueError):
        pipeline.screen("x", scope="everything")
    with pytest.raises(TypeError):
        pipeline.screen(None, scope="post")  # type: ignore[arg-type]


def test_message_follows_locale(rules_copy, write_rules, fake_classifier):
    write_rules("local.yml", """\
rules:
  - id: purple-test
    category: relapse
    description: a test rule
    words: [purple]
    action: flag
    priority: normal
    message:
      en: Thank you for being honest.
      es: Gracias por tu honestidad.
""")
    pipeline = Pipeline(rules_copy, fake_classifier(), reload_interval=0)
    assert pipeline.screen("purple", scope="post", locale="es-MX").message == (
        "Gracias por tu honestidad.")
    assert pipeline.screen("purple", scope="post").message == "Thank you for being honest."
