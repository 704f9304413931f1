"""Detectors for personal details, each from a library made for the job, named by rules with
`detector:`. Each finds spans in the original text; a cheap prefilter decides first whether it
can match at all, so text with no digits (or no "@") costs nothing.

- phone_number: `phonenumbers` (libphonenumber), in the rule's regions plus the writer's own;
  helplines named in resources.yml and short service numbers are not personal.
- email: an address, or one spelled out ("name at gmail dot com", "nombre arroba gmail punto
  com").
- street_address: `pyap2` for US, Canadian and UK addresses, plus Spanish street forms.
- payment_card: 13 to 19 digits (spaces or dashes allowed) that pass the Luhn check
  (`python-stdnum`).
- national_id: a US social security number, a Spanish DNI or NIE with its check letter
  (`python-stdnum`), a UK National Insurance number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import phonenumbers
import pyap
from stdnum import luhn
from stdnum.es import dni, nie
from stdnum.us import ssn

Span = tuple[int, int]
DEFAULT_REGIONS = ("US", "CA", "GB", "IE", "ES", "MX")
# A locale's own region: "es" writers are asked about Spain and Mexico first.
LOCALE_REGIONS = {"es": ("ES", "MX"), "en": ("US", "GB")}
_DIGIT = re.compile(r"\d")
_NO_DIGITS = str.maketrans("", "", "0123456789")


def digit_count(text: str) -> int:
    """How many ASCII digits a text holds (other digits are folded away before this)."""
    return len(text) - len(text.translate(_NO_DIGITS))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


# Phone numbers ---------------------------------------------------------------------------------

def _service_number(number: phonenumbers.PhoneNumber) -> bool:
    """Toll-free and shared-cost lines are services, never a member's own number."""
    kind = phonenumbers.number_type(number)
    return kind in (phonenumbers.PhoneNumberType.TOLL_FREE,
                    phonenumbers.PhoneNumberType.SHARED_COST,
                    phonenumbers.PhoneNumberType.PREMIUM_RATE)


_NOT_A_PHONE = re.compile(
    r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*$"  # a date
    r"|^\s*\d{1,3}(?:\.\d{3})+\s*$"  # 1.000.000
    r"|^\s*\d{4}\s*[-/]\s*\d{4}\s*$"  # a span of years
)


# Seven digits in one run, with at most a few separators between them: scattered numbers
# ("day 12 ... 90 days") never wake libphonenumber.
_PHONE_HINT = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6}")


# "688.452.119" is how Spain writes a mobile; "1.000.000" is a count.
_DOTTED_PHONE = re.compile(r"^\s*[6789]\d{2}\.\d{3}\.\d{3}\s*$")
_SSN_SHAPE = re.compile(r"^\d{3}[- ]\d{2}[- ]\d{4}$")
_NUMBERED_THING = re.compile(
    r"(?i)\b(?:id|meeting id|zoom|invoice|order|case|ref|reference|account|acct|claim|"
    r"tracking|confirmation|member|policy|pedido|factura|expediente|referencia|cuenta|"
    r"reunión|reunion)\b[\s#:no.º]*$")


def phone_numbers(text: str, regions: Sequence[str], helplines: frozenset[str]) -> list[Span]:
    """Spans of personal phone numbers, tried in each region in turn."""
    if digit_count(text) < 7 or not _PHONE_HINT.search(text):
        return []
    found: dict[Span, None] = {}
    # A card or an id number holds phone-shaped runs: theirs, not a phone's.
    others = payment_cards(text) + national_ids(text)
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region,
                                                     leniency=phonenumbers.Leniency.POSSIBLE):
            span = (match.start, match.end)
            raw = match.raw_string
            digits = _digits(raw)
            if any(s[0] < span[1] and span[0] < s[1] for s in (*found, *others)):
                continue
            if len(digits) < 7 or digits in helplines or digits.lstrip("1") in helplines \
                    or (_NOT_A_PHONE.match(raw) and not _DOTTED_PHONE.match(raw)) \
                    or _service_number(match.number):
                continue
            if text[max(0, span[0] - 1):span[0]] in ("$", "€", "£") or "," in raw:
                continue  # money, and counts like 1,000,000
            if len(digits) >= 13 or _SSN_SHAPE.match(raw) or digits.startswith("000") \
                    or _NUMBERED_THING.search(text[max(0, span[0] - 24):span[0]]):
                continue  # a card, an SSN, an invoice, a meeting id: other detectors' or none
            found[span] = None
    return sorted(found)


def helpline_digits(numbers: Iterable[str]) -> frozenset[str]:
    """The digits of every number in the resources file (988, 116 123, 1-800-662-4357)."""
    out = set()
    for value in numbers:
        digits = _digits(value)
        if digits:
            out.add(digits)
            out.add(digits.lstrip("1"))
    return frozenset(out)


# Email addresses --------------------------------------------------------------------------------

_TLD = r"(?:com|net|org|edu|gov|io|co|uk|me|us|info|es|mx|ar|cl|co\.uk|com\.mx|com\.ar|ie|ca)"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_AT = r"(?:\s*[(\[{<]\s*(?:at|arroba)\s*[)\]}>]\s*|\s+(?:at|arroba)\s+)"
_DOT = r"(?:\s*[(\[{<]\s*(?:dot|punto)\s*[)\]}>]\s*|\s+(?:dot|punto)\s+|\s*\.\s*)"
_SPELLED = re.compile(
    rf"(?<![\w@])[\w.+-]{{2,}}(?:(?:\s+(?:dot|punto)\s+|[(\[]dot[)\]])[\w+-]+)?{_AT}"
    rf"[\w-]{{2,}}(?:{_DOT}[\w-]{{2,}})*?{_DOT}{_TLD}\b",
    re.IGNORECASE)


_AT_HINT = re.compile(r"(?i)\bat\b|\barroba\b")
_DOT_HINT = re.compile(rf"(?i)\bdot\b|\bpunto\b|\.{_TLD}\b")


# Words that stand before "at" in plain speech ("download it at aa.org"), never a name.
_NOT_A_NAME = frozenset(
    "it me us him her them this that there here home work look see meet find download "
    "available online info more details read call text found".split())


def emails(text: str) -> list[Span]:
    """Spans of email addresses, written plainly or spelled out."""
    spans = [m.span() for m in _EMAIL.finditer(text)] if "@" in text else []
    # Spelled out: only where both an "at" and a "dot" (or a domain ending) are said.
    if _AT_HINT.search(text) and _DOT_HINT.search(text):
        for m in _SPELLED.finditer(text):
            name = re.split(r"\s", m.group())[0].lower()
            if name in _NOT_A_NAME or any(s[0] < m.end() and m.start() < s[1] for s in spans):
                continue
            spans.append(m.span())
    return sorted(spans)


# Street addresses --------------------------------------------------------------------------------

_STREET_WORDS = re.compile(
    r"(?i)\b(street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|"
    r"place|pl|terrace|circle|crescent|highway|hwy|parkway|pkwy|close|gardens|square|sq|mews|"
    r"path|row|calle|avenida|avda|paseo|plaza|pza|carrera|carrer|camino|callejón|calzada|"
    r"ronda|travesía|glorieta|bulevar|col|colonia)\b|(?<!\w)c/")
_SPANISH_STREET = re.compile(
    r"(?i)(?<!\w)(?:calle|c/|avenida|avda\.?|av\.?|paseo|plaza|pza\.?|carrera|carrer|camino|"
    r"callejón|calzada|ronda|travesía|glorieta|bulevar)\s*"
    r"(?:(?:de|del|la|las|los|el|d')\s*)?[A-ZÁÉÍÓÚÑa-záéíóúñ0-9][\wáéíóúñÁÉÍÓÚÑ.'-]*"
    # Further words of the name are capitalized ("San Bernardo"), or joining words.
    r"(?:\s+(?:(?:de|del|la|las|los|el|y)\s+)?(?-i:[A-ZÁÉÍÓÚÑ])[\wáéíóúñÁÉÍÓÚÑ.'-]*){0,4}"
    r",?\s*(?:n[ºo°.]?\s*)?\d{1,5}[a-zA-Z]?\b"
    r"(?!\s*(?:años|anos|meses|días|dias|semanas|horas|minutos|veces|bares|personas|"
    r"metros|km|kilómetros|minutos))"
    r"(?:,?\s*\d{1,2}\s*[ºª°]?\s*[a-zA-Z]?\b)?"
    r"(?:,?\s*\d{5}\b(?:\s+[A-ZÁÉÍÓÚÑ][\wáéíóúñ]+)?)?")
_COUNTRIES = ("US", "CA", "GB")
# A house number and a street without the town ("42 Oak Street", "221b Baker St"), which pyap
# only reads as part of a whole address.
_HOUSE = re.compile(
    r"(?i)(?<![\w$£€.,:/-])(?:\d{1,5}-)?\d{1,5}[a-z]?\s+(?:(?!(?:the|a|my|our|down|up|to|on|of|in|at|for|and|"
    r"or|miles?|blocks?|days?|years?|months?|weeks?|hours?|minutes?|steps?|times?|people|"
    r"more|other)\b)[a-z0-9.'-]+\s+){1,3}"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|place|"
    r"pl|circle|crescent|highway|hwy|parkway|pkwy|close|gardens|way|mews|path|square|row)\b\.?")


def _address_end(text: str, start: int, end: int, postal_code: str | None) -> int:
    """pyap may run on past the postal code ("... OR 97214 ok"): end the span there."""
    if postal_code:
        at = text.rfind(postal_code, start, end)
        if at >= 0:
            return at + len(postal_code)
    return len(text[:end].rstrip(" ,."))


def street_addresses(text: str) -> list[Span]:
    """Spans of street addresses: US, Canadian and UK ones by pyap, Spanish ones by form."""
    if not _DIGIT.search(text) or not _STREET_WORDS.search(text):
        return []
    spans: list[Span] = []
    # pyap reads a whole address only around a house number and a street: look for one first.
    for country in _COUNTRIES if _HOUSE.search(text) else ():
        for address in pyap.parse(text, country=country):
            start, end = address.match_start, address.match_end
            if start is None or end is None:
                continue
            span = (int(start), _address_end(text, int(start), int(end), address.postal_code))
            if not any(s[0] < span[1] and span[0] < s[1] for s in spans):
                spans.append(span)
    for pattern in (_SPANISH_STREET, _HOUSE):
        for match in pattern.finditer(text):
            if not any(s[0] < match.end() and match.start() < s[1] for s in spans):
                spans.append(match.span())
    return sorted(spans)


# Payment cards and national ids -----------------------------------------------------------------

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def payment_cards(text: str) -> list[Span]:
    """Spans of 13- to 19-digit numbers that pass the Luhn check."""
    if digit_count(text) < 13:
        return []
    return [m.span() for m in _CARD.finditer(text)
            if 13 <= len(_digits(m.group())) <= 19 and luhn.is_valid(_digits(m.group()))]


_SSN = re.compile(r"(?<![\d-])\d{3}[- ]?\d{2}[- ]?\d{4}(?![\d-])")
_DNI = re.compile(r"(?i)(?<![\w-])\d{8}[\s-]?[A-Z](?!\w)")
_NIE = re.compile(r"(?i)(?<![\w-])[XYZ][\s-]?\d{7}[\s-]?[A-Z](?!\w)")
# UK National Insurance: two prefix letters (not D, F, I, Q, U, V; not O second; not BG, GB,
# KN, NK, NT, TN, ZZ), six digits, a suffix A-D.
_NINO = re.compile(
    r"(?i)(?<!\w)(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?!\w)")


# Six digits close together: every id here holds them.
_ID_HINT = re.compile(r"\d{2}[\s-]?\d{2}[\s-]?\d{2}")


def national_ids(text: str) -> list[Span]:
    """Spans of US SSNs, Spanish DNIs and NIEs (check letter right), UK NI numbers."""
    if digit_count(text) < 6 or not _ID_HINT.search(text):
        return []
    spans = [m.span() for m in _SSN.finditer(text)
             if ("-" in m.group() or " " in m.group() or _near_ssn_word(text, m.start()))
             and ssn.is_valid(_digits(m.group()))]
    spans += [m.span() for m in _DNI.finditer(text)
              if dni.is_valid(re.sub(r"[\s-]", "", m.group()).upper())]
    spans += [m.span() for m in _NIE.finditer(text)
              if nie.is_valid(re.sub(r"[\s-]", "", m.group()).upper())]
    spans += [m.span() for m in _NINO.finditer(text)]
    return sorted(set(spans))


def _near_ssn_word(text: str, start: int) -> bool:
    """Nine bare digits are an SSN only when the text says so."""
    return bool(re.search(r"(?i)\b(ssn|social security|social|ss#|seguro social)\b",
                          text[max(0, start - 40):start]))


# The registry rules name ------------------------------------------------------------------------

Detector = Callable[[str, Sequence[str], frozenset[str]], list[Span]]
DETECTORS: dict[str, Detector] = {
    "phone_number": phone_numbers,
    "email": lambda text, _regions, _helplines: emails(text),
    "street_address": lambda text, _regions, _helplines: street_addresses(text),
    "payment_card": lambda text, _regions, _helplines: payment_cards(text),
    "national_id": lambda text, _regions, _helplines: national_ids(text),
}


# The fewest digits a detector's finds can hold: below it the detector is not run at all.
MIN_DIGITS = {"phone_number": 7, "email": 0, "street_address": 1, "payment_card": 13,
              "national_id": 6}


def regions_for(rule_regions: Sequence[str], locale: str | None) -> tuple[str, ...]:
    """The writer's own regions first, then the rule's."""
    language = (locale or "").replace("_", "-").split("-")
    own: list[str] = []
    if len(language) > 1 and language[1].upper() in phonenumbers.SUPPORTED_REGIONS:
        own.append(language[1].upper())
    own += LOCALE_REGIONS.get(language[0].lower(), ())
    return tuple(dict.fromkeys(own + list(rule_regions or DEFAULT_REGIONS)))


def valid_region(code: str) -> bool:
    """True for a region libphonenumber knows ("US", "ES")."""
    return code in phonenumbers.SUPPORTED_REGIONS
