"""Each personal-detail detector, per region and language: what it finds (with the exact span
of the original text) and what it leaves alone; and the rules that name them."""

from __future__ import annotations

import pytest

from forum.moderation.pipeline import Pipeline
from forum.moderation.resources import DEFAULT_RULES_DIR
from forum.moderation.rules.detectors import (
    emails,
    helpline_digits,
    national_ids,
    payment_cards,
    phone_numbers,
    regions_for,
    street_addresses,
)

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree

HELPLINES = helpline_digits(["988", "116 123", "1-800-662-4357", "741741", "024",
                             "800 911 2000", "0800 1111"])


def found(finder, text, *args):
    return [text[a:b] for a, b in finder(text, *args)]


@pytest.mark.parametrize("text, number, locale", [
    ("my sponsor said text her anytime 503-867-5309", "503-867-5309", "en"),
    ("call me (415) 555-0134 after 6", "(415) 555-0134", "en"),
    ("my cell is +1 604 555 0199, vancouver", "+1 604 555 0199", "en"),
    ("text me on 07700 900 982 mate", "07700 900 982", "en-GB"),
    ("ring me +44 20 7946 0958", "+44 20 7946 0958", "en"),
    ("mi número es 612 345 678, escríbeme", "612 345 678", "es"),
    ("llámame al +34 912 345 678", "+34 912 345 678", "es"),
    ("mándame whats al +52 55 1234 5678 güey", "+52 55 1234 5678", "es-MX"),
    ("my number in dublin is +353 87 123 4567", "+353 87 123 4567", "en"),
])
def test_phone_numbers_in_each_region(text, number, locale):
    assert found(phone_numbers, text, regions_for((), locale), HELPLINES) == [number]


@pytest.mark.parametrize("text", [
    "call 988 if it gets bad", "text HOME to 741741", "samaritans on 116 123",
    "SAMHSA 1-800-662-4357 is free", "llama al 024", "línea de la vida 800 911 2000",
    "I'm 45 days sober", "working step 12 with my sponsor", "on 12/03/2024 i relapsed",
    "it cost $45.99", "meeting at 7:30pm in room 204", "i have 1,000,000 reasons",
    "my sponsor's number is in my phone", "1995-2024 were rough years", "call 0800 1111",
])
def test_helplines_and_other_numbers_are_not_personal(text):
    assert found(phone_numbers, text, regions_for((), "en"), HELPLINES) == []


def test_the_writers_locale_is_tried_first():
    assert regions_for(("US",), "es-MX")[:2] == ("MX", "ES")
    assert regions_for(("US", "GB"), "en")[0] == "US"
    assert regions_for((), None) == ("US", "CA", "GB", "IE", "ES", "MX")


@pytest.mark.parametrize("text, address", [
    ("mail me: jo.smith@gmail.com", "jo.smith@gmail.com"),
    ("hit me up steady at gmail dot com", "steady at gmail dot com"),
    ("steady (at) proton (dot) me", "steady (at) proton (dot) me"),
    ("escríbeme a juan arroba hotmail punto com", "juan arroba hotmail punto com"),
    ("mi correo: ana.garcia@yahoo.es", "ana.garcia@yahoo.es"),
])
def test_emails_plain_and_spelled_out(text, address):
    assert found(emails, text) == [address]


@pytest.mark.parametrize("text", [
    "see you @ the meeting", "@steady-heron thanks for that", "at the meeting at 7",
    "i was at my lowest at that point", "aa.org has a meeting finder",
])
def test_what_is_not_an_email(text):
    assert found(emails, text) == []


@pytest.mark.parametrize("text, address", [
    ("coffee? im at 4521 SE Hawthorne Blvd, Portland, OR 97214 ok",
     "4521 SE Hawthorne Blvd, Portland, OR 97214"),
    ("I live at 42 Oak Street", "42 Oak Street"),
    ("10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA"),
    ("123 Queen Street West, Toronto, Ontario M5V 2T6 thx",
     "123 Queen Street West, Toronto, Ontario M5V 2T6"),
    ("vivo en calle Mayor 12, 3º B, 28013 Madrid", "calle Mayor 12, 3º B, 28013 Madrid"),
    ("pasa por avenida de la Constitución 45", "avenida de la Constitución 45"),
    ("estoy en Av. Insurgentes Sur 1602", "Av. Insurgentes Sur 1602"),
])
def test_street_addresses(text, address):
    assert found(street_addresses, text) == [address]


@pytest.mark.parametrize("text", [
    "I grew up on Main Street", "the clinic on 5th avenue is good", "walked 3 miles down the road",
    "room 204 at the church", "viví años en la calle, ahora tengo casa", "90 days today",
])
def test_what_is_not_an_address(text):
    assert found(street_addresses, text) == []


@pytest.mark.parametrize("text, card", [
    ("card 4111 1111 1111 1111 lol", "4111 1111 1111 1111"),
    ("amex 3782-822463-10005", "3782-822463-10005"),
    ("mi tarjeta 5555555555554444", "5555555555554444"),
])
def test_luhn_valid_cards(text, card):
    assert found(payment_cards, text) == [card]


def test_a_long_number_that_fails_luhn_is_no_card():
    assert found(payment_cards, "order 1234 5678 9012 3456 shipped") == []


@pytest.mark.parametrize("text, number", [
    ("my ssn is 123-45-6789", "123-45-6789"),
    ("social security 123456789 pls dont share", "123456789"),
    ("mi DNI es 12345678Z", "12345678Z"),
    ("NIE X1234567L", "X1234567L"),
    ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
])
def test_national_ids_with_their_checks(text, number):
    assert found(national_ids, text) == [number]


@pytest.mark.parametrize("text", [
    "000-12-3456", "DNI 12345678A", "NIE X1234567A", "QQ 12 34 56 C", "zip 123456789",
])
def test_invalid_national_ids_are_left_alone(text):
    assert found(national_ids, text) == []


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(DEFAULT_RULES_DIR, reload_interval=0)


@pytest.mark.parametrize("text, rule_id, scope", [
    ("call me at 503-867-5309", "pii-phone", "chat"),
    ("steady at gmail dot com", "pii-email", "post"),
    ("I live at 42 Oak Street", "pii-street-address", "title"),
    ("4111 1111 1111 1111", "pii-payment-card", "report"),
    ("mi DNI es 12345678Z", "pii-national-id", "chat"),
    ("sober-503-867-5309", "pii-pseudonym-phone", "pseudonym"),
    ("heron@proton.me", "pii-pseudonym-email", "pseudonym"),
    ("12345678Z", "pii-pseudonym-id", "pseudonym"),
    ("heron 4111 1111 1111 1111", "pii-pseudonym-card", "pseudonym"),
])
def test_the_rules_hold_what_their_detectors_find_with_spans(pipeline, text, rule_id, scope):
    verdict = pipeline.screen(text, scope=scope, locale="es" if "DNI" in text else "en")
    reason = next(r for r in verdict.reasons if r.id == rule_id)
    assert verdict.action in ("hold", "block") and "pii" in verdict.categories
    start, end = reason.span
    assert text[start:end].strip() and any(c.isalnum() for c in text[start:end])


def test_a_spanish_writer_is_told_why_in_spanish(pipeline):
    verdict = pipeline.screen("mi número es 612 345 678", scope="chat", locale="es")
    assert verdict.action == "hold" and "privacidad" in verdict.message


def test_a_rule_naming_an_unknown_detector_or_region_is_refused(tmp_path):
    import shutil

    from forum.moderation.rules import RuleSetError, load_ruleset

    shutil.copytree(DEFAULT_RULES_DIR, tmp_path / "r", ignore=shutil.ignore_patterns("examples"))
    (tmp_path / "r" / "rules" / "extra.yml").write_text(
        "rules:\n  - id: x-phone\n    category: pii\n    description: x\n"
        "    detector: fax_number\n    action: hold\n    priority: high\n"
        "  - id: y-phone\n    category: pii\n    description: y\n    detector: phone_number\n"
        "    regions: [ZZ]\n    action: hold\n    priority: high\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(tmp_path / "r")
    messages = " ".join(e.message for e in caught.value.errors)
    assert "unknown detector 'fax_number'" in messages and "unknown region 'ZZ'" in messages
