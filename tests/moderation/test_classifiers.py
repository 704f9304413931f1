"""Classifiers: the fallback, the real Detoxify on a tiny model built here, and failures."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from forum.moderation import Pipeline
from forum.moderation.classifiers import (
    ClassifierUnavailable,
    FallbackClassifier,
    SelectingClassifier,
)
from forum.moderation.classifiers.detoxify import DetoxifyClassifier
from forum.moderation.pipeline import build_classifier
from forum.moderation.resources import DEFAULT_RULES_DIR

CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate",
           "sexual_explicit"]
LABELS = {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack",
          "sexual_explicit"}
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "i", "you", "hate", "love", "the",
         "meeting", "sober", "idiot", "today", "##s", "am", "a", "are"]


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory):
    """A random-weight BERT saved as a detoxify checkpoint, with a local config dir."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    base = tmp_path_factory.mktemp("tiny-detoxify")
    config_dir = base / "hf"
    config_dir.mkdir()
    (config_dir / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    config = transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=len(CLASSES),
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    config.save_pretrained(config_dir)
    transformers.BertTokenizer(str(config_dir / "vocab.txt"), model_max_length=64) \
        .save_pretrained(config_dir)
    checkpoint = base / "tiny.ckpt"
    torch.save({
        "config": {
            "arch": {"args": {"model_type": str(config_dir),
                              "model_name": "BertForSequenceClassification",
                              "tokenizer_name": "BertTokenizer",
                              "num_classes": len(CLASSES)}},
            "dataset": {"args": {"classes": CLASSES}},
        },
        "state_dict": model.state_dict(),
    }, checkpoint)
    return checkpoint, config_dir


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_fallback_reports_obscene_only():
    scores = FallbackClassifier().score(["you are wonderful", "f*** this s***, fuck it"])
    assert [set(s) for s in scores] == [{"obscene"}, {"obscene"}]
    assert scores[0]["obscene"] < 0.5 < scores[1]["obscene"]


def test_fallback_shortcut_matches_the_library():
    from profanity_check import predict_prob

    texts = ["hello friend", "what the hell", "you stupid idiot", "I relapsed", "",
             "Idiot, IDIOT idiot!!", "zzqx qqzv", "the and of", "ça va, café naïve",
             "hell " * 500, "Going for a long walk before work to clear my head."]
    ours = [s["obscene"] for s in FallbackClassifier().score(texts)]
    assert ours == pytest.approx(list(predict_prob(texts)), abs=1e-9)
    # One text at a time gives the same numbers as the batch.
    assert [FallbackClassifier().score([t])[0]["obscene"] for t in texts] == \
        pytest.approx(ours, abs=1e-12)


def test_fallback_tfidf_rows_match_the_vectorizer():
    import numpy as np
    from profanity_check.profanity_check import vectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer

    from forum.moderation.classifiers.fallback import _tfidf_rows

    texts = ["what the hell", "", "zzqx", "Shut up, shut UP you idiot", "one two two three"]
    rows = _tfidf_rows(vectorizer)
    assert rows is not None  # the shipped model takes the short path
    row_ids, columns, values = rows(texts)
    ours = np.zeros((len(texts), len(vectorizer.vocabulary_)))
    ours[row_ids, columns] = values
    assert np.allclose(ours, vectorizer.transform(texts).toarray(), atol=1e-12)
    # Settings it does not reproduce keep scikit-learn's own transform.
    assert _tfidf_rows(TfidfVectorizer(sublinear_tf=True).fit(texts)) is None
    assert _tfidf_rows(TfidfVectorizer(norm="l1").fit(texts)) is None


def test_real_detoxify_loads_a_tiny_checkpoint_offline(tiny_detoxify, offline, caplog):
    checkpoint, config_dir = tiny_detoxify
    detox = DetoxifyClassifier("unbiased", checkpoint, config_dir, timeout=30)
    try:
        assert detox.wait_until_loaded(120), detox.error
        scores = detox.score(["i hate you", "i am sober today", "love"])
        assert len(scores) == 3
        for row in scores:
            assert set(row) == LABELS and all(0 <= v <= 1 for v in row.values())
        assert detox.score(["one text only"])[0].keys() == LABELS
        selector = SelectingClassifier(detox, FallbackClassifier())
        pipeline = Pipeline(DEFAULT_RULES_DIR, selector, reload_interval=0)
        with caplog.at_level(logging.INFO, logger="forum.moderation"):
            verdict = pipeline.screen("i hate the meeting", scope="post")
        assert verdict.classifier == {"name": "detoxify-unbiased", "ready": True}
        assert "classifier active: detoxify-unbiased" in caplog.text
        assert "i hate the meeting" not in caplog.text
    finally:
        detox.close()


def test_detoxify_batches_concurrent_requests(tiny_detoxify, offline):
    checkpoint, config_dir = tiny_detoxify
    detox = DetoxifyClassifier("unbiased", checkpoint, config_dir, timeout=30)
    try:
        assert detox.wait_until_loaded(120), detox.error
        batches: list[int] = []
        real_predict = detox._model.predict
        started = threading.Event()

        def slow_predict(texts):
            batches.append(len(texts))
            started.set()
            time.sleep(0.3)  # while the first batch runs, the others queue up
            return real_predict(texts)

        detox._model.predict = slow_predict
        results: list = []
        first = threading.Thread(target=lambda: results.append(detox.score(["i am sober"])))
        first.start()
        started.wait(5)
        others = [threading.Thread(target=lambda: results.append(detox.score(["you", "love"])))
                  for _ in range(5)]
        for thread in others:
            thread.start()
        for thread in [first, *others]:
            thread.join(10)
        assert len(results) == 6 and all(len(r) in (1, 2) for r in results)
        assert batches[0] == 1 and max(batches[1:]) > 2  # later requests shared a batch
    finally:
        detox.close()


def test_detoxify_timeout_marks_the_verdict(tiny_detoxify, offline):
    checkpoint, config_dir = tiny_detoxify
    detox = DetoxifyClassifier("unbiased", checkpoint, config_dir, timeout=0.05)
    try:
        assert detox.wait_until_loaded(120), detox.error
        real_predict = detox._model.predict
        detox._model.predict = lambda texts: (time.sleep(0.3), real_predict(texts))[1]
        with pytest.raises(ClassifierUnavailable, match="timed out"):
            detox.score(["i am sober"])
        pipeline = Pipeline(DEFAULT_RULES_DIR, SelectingClassifier(detox, FallbackClassifier()),
                            reload_interval=0)
        verdict = pipeline.screen("I want to end it all tonight", scope="post")
        assert verdict.classifier_unavailable and verdict.priority == "urgent"
    finally:
        detox.close()


@pytest.mark.parametrize("checkpoint", ["missing.ckpt", "garbage.ckpt"])
def test_detoxify_failing_to_load_leaves_the_fallback_active(tmp_path, offline, checkpoint,
                                                             caplog):
    path = tmp_path / checkpoint
    if checkpoint == "garbage.ckpt":
        path.write_bytes(b"this is not a checkpoint")
    with caplog.at_level(logging.INFO, logger="forum.moderation"):
        classifier = build_classifier({"CLASSIFIER": "detoxify", "DETOXIFY_CHECKPOINT": path})
        assert classifier.primary.wait_until_loaded(60) is False
    assert "could not load" in caplog.text and "fallback stays active" in caplog.text
    pipeline = Pipeline(DEFAULT_RULES_DIR, classifier, reload_interval=0)
    verdict = pipeline.screen("I relapsed last night", scope="post")
    assert verdict.classifier == {"name": "alt-profanity-check", "ready": True}
    assert verdict.categories == ("relapse",) and not verdict.classifier_unavailable
    assert pipeline.status()["classifier"]["name"] == "alt-profanity-check"
    with pytest.raises(ClassifierUnavailable):
        classifier.primary.score(["x"])


def test_auto_without_a_checkpoint_uses_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    classifier = build_classifier({"CLASSIFIER": "auto"})
    assert classifier.primary is None and classifier.name == "alt-profanity-check"


def test_unknown_classifier_setting_is_refused():
    with pytest.raises(ValueError, match="CLASSIFIER"):
        build_classifier({"CLASSIFIER": "gpt"})


def test_app_keeps_working_when_detoxify_cannot_load(app_config, tmp_path, offline):
    from forum import create_app, moderation

    app_config.update({"CLASSIFIER": "detoxify",
                       "DETOXIFY_CHECKPOINT": str(tmp_path / "absent.ckpt")})
    app = create_app(app_config)
    with app.app_context():
        moderation.get_pipeline().classifier.primary.wait_until_loaded(60)
        verdict = moderation.screen("I want to end it all tonight", scope="post")
        assert verdict.priority == "urgent"
        assert moderation.status()["classifier"] == {"name": "alt-profanity-check",
                                                     "ready": True}
        response = app.test_client().get("/healthz")
        assert response.status_code == 200
        assert response.get_json()["classifier"]["name"] == "alt-profanity-check"
