"""The rule file schema: typed rules and validation errors naming file, line and rule id."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..verdict import ACTIONS, PRIORITIES, SCOPES
from .detectors import DETECTORS, valid_region
from .patterns import PatternError, expand
from .yamlload import LineDict

RULE_FIELDS = frozenset({
    "id", "category", "description", "words", "phrases", "regex", "unless", "unless_regex",
    "unless_sentence", "unless_message", "scope", "action", "priority", "resources", "message",
    "author", "repeated_text", "enabled", "detector", "regions",
})
MATCH_FIELDS = ("words", "phrases", "regex", "repeated_text", "detector")
AUTHOR_FIELDS = frozenset({"min_account_age_days", "max_account_age_days"})
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class RuleError:
    """One problem in a rule directory."""

    file: str
    line: int
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule_id}: {self.message}"


@dataclass(frozen=True)
class Rule:
    """One validated rule."""

    id: str
    category: str
    description: str
    action: str
    priority: str | None
    scopes: frozenset[str]
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    regex: tuple[re.Pattern[str], ...] = ()
    unless: tuple[str, ...] = ()
    unless_regex: tuple[re.Pattern[str], ...] = ()
    # Context: a hit does not count when one of these is said in its sentence, or anywhere.
    unless_sentence: tuple[str, ...] = ()
    unless_message: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    message: Mapping[str, str] = field(default_factory=dict)
    min_age_days: float | None = None
    max_age_days: float | None = None
    repeated_text: tuple[int, float] | None = None
    # A library detector of personal details (detectors.DETECTORS), and for phone numbers the
    # regions to read numbers in besides the writer's own.
    detector: str | None = None
    regions: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    def message_for(self, locale: str | None) -> str | None:
        """The supportive message in the author's language, else English."""
        return message_in(self.message, locale)

    @property
    def has_author_condition(self) -> bool:
        """True when the rule depends on the author's account age."""
        return self.min_age_days is not None or self.max_age_days is not None

    def applies_to_author(self, author: Any, now: datetime | None = None) -> bool:
        """Check the account-age conditions; without an author they are not met."""
        if not self.has_author_condition:
            return True
        created = getattr(author, "created_at", None) if author is not None else None
        if created is None:
            return False
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        age_days = ((now or datetime.now(UTC)) - created).total_seconds() / 86400
        if self.min_age_days is not None and age_days < self.min_age_days:
            return False
        return self.max_age_days is None or age_days < self.max_age_days


class _Errors:
    def __init__(self, file: str, raw: LineDict, rule_id: str) -> None:
        self.file, self.raw, self.rule_id = file, raw, rule_id
        self.items: list[RuleError] = []

    def add(self, key: str | None, message: str, line: int | None = None) -> None:
        where = line or (self.raw.line_of(key) if key else self.raw.line)
        self.items.append(RuleError(self.file, where, self.rule_id, message))


def _strings(raw: LineDict, key: str, errors: _Errors) -> list[tuple[str, int]]:
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [(value, raw.line_of(key))]
    lines = getattr(value, "item_lines", None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(key, f"'{key}' must be a list of text")
        return []
    return [(v, lines[i] if lines else raw.line_of(key)) for i, v in enumerate(value)]


def _phrases(raw, key, errors, lists) -> tuple[str, ...]:
    out: list[str] = []
    for pattern, line in _strings(raw, key, errors):
        try:
            out.extend(expand(pattern, lists))
        except PatternError as exc:
            errors.add(key, f"{key} {pattern!r}: {exc}", line)
    return tuple(out)


def _regexes(raw, key, errors) -> tuple[re.Pattern[str], ...]:
    out = []
    for pattern, line in _strings(raw, key, errors):
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            errors.add(key, f"bad regex {pattern!r}: {exc}", line)
    return tuple(out)


def _choice(raw, key, allowed, errors, required=True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            errors.add(None, f"missing '{key}'")
        return None
    if value not in allowed:
        errors.add(key, f"unknown {key} {value!r} (one of: {', '.join(sorted(allowed))})")
        return None
    return value


def _scopes(raw, errors) -> frozenset[str]:
    value = raw.get("scope", "all")
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        errors.add("scope", "'scope' must be a scope or a list of scopes")
        return frozenset()
    bad = [v for v in values if v not in (*SCOPES, "all")]
    if bad:
        errors.add("scope", f"unknown scope {bad[0]!r} (one of: all, {', '.join(SCOPES)})")
    return frozenset(SCOPES) if "all" in values else frozenset(v for v in values if v in SCOPES)


def message_in(message: Mapping[str, str], locale: str | None) -> str | None:
    """A message's text in this locale ("es", "es-MX"), else English, else any."""
    if not message:
        return None
    if locale:
        for key in (locale, locale.split("-")[0].split("_")[0]):
            if key in message:
                return message[key]
    return message.get("en") or next(iter(message.values()))


def parse_message(value: Any) -> dict[str, str] | None:
    """A `message:` field as {locale: text}: plain text is English; None when malformed."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value.strip()}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v.strip() for k, v in value.items()}
    return None


def _message(raw, errors) -> dict[str, str]:
    parsed = parse_message(raw.get("message"))
    if parsed is None:
        errors.add("message", "'message' must be text or a mapping of locale to text")
        return {}
    return parsed


def _author(raw, errors) -> tuple[float | None, float | None]:
    value = raw.get("author")
    if value is None:
        return None, None
    if not isinstance(value, dict) or not value or set(value) - AUTHOR_FIELDS:
        errors.add("author", f"'author' takes {', '.join(sorted(AUTHOR_FIELDS))}")
        return None, None
    ages = []
    for key in ("min_account_age_days", "max_account_age_days"):
        age = value.get(key)
        if age is not None and (isinstance(age, bool) or not isinstance(age, int | float)):
            errors.add("author", f"'{key}' must be a number of days")
            age = None
        ages.append(age)
    return ages[0], ages[1]


def _repeated(raw, errors) -> tuple[int, float] | None:
    value = raw.get("repeated_text")
    if value is None:
        return None
    try:
        min_words = int(value["min_words"])
        ratio = float(value["max_distinct_ratio"])
        assert set(value) == {"min_words", "max_distinct_ratio"} and 0 < ratio <= 1
    except (TypeError, KeyError, ValueError, AssertionError):
        errors.add("repeated_text", "'repeated_text' needs min_words and max_distinct_ratio (0-1]")
        return None
    return min_words, ratio


def _detector(raw, errors) -> tuple[str | None, tuple[str, ...]]:
    name = raw.get("detector")
    regions = tuple(v for v, _ in _strings(raw, "regions", errors))
    if name is None:
        if regions:
            errors.add("regions", "'regions' goes with 'detector: phone_number'")
        return None, ()
    if name not in DETECTORS:
        errors.add("detector", f"unknown detector {name!r} (one of: {', '.join(DETECTORS)})")
        return None, ()
    if regions and name != "phone_number":
        errors.add("regions", "'regions' goes with 'detector: phone_number'")
    for code in regions:
        if not valid_region(code):
            errors.add("regions", f"unknown region {code!r} (two letters, such as US or ES)")
    return name, regions


def parse_rule(
    raw: Any, file: str, *, lists: Mapping[str, list[str]], categories: set[str],
    resources: set[str],
) -> tuple[Rule | None, list[RuleError]]:
    """Validate one rule mapping; return the rule (or None) and its errors."""
    if not isinstance(raw, LineDict):
        line = getattr(raw, "line", 1)
        return None, [RuleError(file, line, "-", "a rule must be a mapping")]
    rule_id = raw.get("id")
    errors = _Errors(file, raw, rule_id if isinstance(rule_id, str) else "-")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        errors.add("id" if "id" in raw else None, "missing or invalid 'id' (a-z, 0-9, - and _)")
    for key, line in raw.duplicates:
        errors.add(key, f"field '{key}' given twice", line)
    for key in sorted(set(map(str, raw)) - RULE_FIELDS):
        errors.add(key, f"unknown field '{key}'")
    category = raw.get("category")
    if category is None:
        errors.add(None, "missing 'category'")
    elif category not in categories:
        errors.add("category", f"unknown category {category!r}")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        errors.add("description" if "description" in raw else None, "missing 'description'")
    action = _choice(raw, "action", set(ACTIONS), errors)
    priority = _choice(raw, "priority", set(PRIORITIES), errors, required=action != "allow")
    rule_resources = tuple(v for v, _ in _strings(raw, "resources", errors))
    for name in rule_resources:
        if name not in resources:
            errors.add("resources", f"unknown resource {name!r}")
    if not any(raw.get(key) for key in MATCH_FIELDS):
        errors.add(None, "a rule needs at least one of: " + ", ".join(MATCH_FIELDS))
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.add("enabled", "'enabled' must be true or false")
    min_age, max_age = _author(raw, errors)
    detector, regions = _detector(raw, errors)
    rule = Rule(
        id=str(rule_id), category=str(category), description=str(description or "").strip(),
        action=action or "allow", priority=priority, scopes=_scopes(raw, errors),
        words=_phrases(raw, "words", errors, lists),
        phrases=_phrases(raw, "phrases", errors, lists),
        regex=_regexes(raw, "regex", errors), unless=_phrases(raw, "unless", errors, lists),
        unless_regex=_regexes(raw, "unless_regex", errors),
        unless_sentence=_phrases(raw, "unless_sentence", errors, lists),
        unless_message=_phrases(raw, "unless_message", errors, lists), resources=rule_resources,
        message=_message(raw, errors), min_age_days=min_age, max_age_days=max_age,
        repeated_text=_repeated(raw, errors), detector=detector, regions=regions, file=file,
        line=raw.line,
    )
    if errors.items:
        return None, errors.items
    return (rule if enabled else None), []
