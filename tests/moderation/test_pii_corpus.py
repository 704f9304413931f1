"""Personal details measured on the labelled corpus's test split (never tuned on), with
`rules eval` and its floors given on the command line, as the suite and an operator run it."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pii" / "pii.jsonl"
# Measured on the test split: phone 0.962 / 0.950, email 1.000 / 0.939, card 1.000 / 1.000,
# national id 1.000 / 0.969, street address 1.000 / 0.922; nothing flagged among the sentences
# holding no personal detail. The floors sit just under.
FLOORS = [
    "--min-recall", "pii-phone=0.92", "--min-recall", "pii-email=0.92",
    "--min-recall", "pii-payment-card=0.95", "--min-recall", "pii-national-id=0.93",
    "--min-recall", "pii-street-address=0.88", "--min-recall", "pii=0.92",
    "--min-precision", "pii=0.97", "--min-precision", "pii-phone=0.93",
]


def _eval(app, *args):
    return app.test_cli_runner().invoke(
        args=["rules", "eval", "--corpus", str(CORPUS), "--rules-only", *args])


def test_the_test_split_keeps_every_detectors_floor(app):
    result = _eval(app, "--split", "test", *FLOORS)
    assert result.exit_code == 0, result.output
    for rule_id in ("pii-phone", "pii-email", "pii-street-address", "pii-payment-card",
                    "pii-national-id", "pii-pseudonym-phone", "pii-pseudonym-email"):
        assert f"rule {rule_id}" in result.output
    nothing = next(line for line in result.output.splitlines()
                   if "needing nothing" in line and "0/" in line)
    assert nothing  # no sentence without personal details is put in any risk category


def test_a_floor_that_is_missed_fails_the_command_and_says_which(app):
    result = _eval(app, "--split", "test", "--min-recall", "pii-phone=1.01",
                   "--min-precision", "no-such-rule=0.5")
    assert result.exit_code == 1
    assert "pii-phone recall" in result.output and "is below 1.010" in result.output
    assert "no-such-rule: no such row" in result.output


def test_a_malformed_floor_is_refused(app):
    result = _eval(app, "--min-recall", "pii-phone")
    assert result.exit_code != 0 and "NAME=NUMBER" in result.output


def test_the_corpus_covers_every_type_in_both_languages_and_splits():
    from forum.moderation.evaluate import load_labelled

    items = load_labelled(CORPUS)
    for split in ("dev", "test"):
        part = [i for i in items if i.split == split]
        assert len(part) >= 200
        for kind in ("phone_number", "email", "street_address", "payment_card", "national_id"):
            assert {i.language for i in part if kind in i.types} == {"en", "es"}, kind
        assert sum(1 for i in part if i.kind == "near-miss") >= 50
