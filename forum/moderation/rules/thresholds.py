"""classifier.yml: per-label thresholds, the action each triggers, and risk-to-author handling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..verdict import ACTION_RANK, ACTIONS, PRIORITIES
from .schema import RuleError, message_in, parse_message

LABEL_FIELDS = frozenset({"threshold", "action", "category", "priority", "message"})
# A profanity score cannot tell venting from abuse: on its own it may flag, never hold.
CAPPED_LABELS = {"obscene": "flag"}


@dataclass(frozen=True)
class LabelPolicy:
    """What a classifier label at or above its threshold does."""

    label: str
    threshold: float
    action: str
    category: str
    priority: str
    message: Mapping[str, str] = field(default_factory=dict)

    def message_for(self, locale: str | None) -> str | None:
        """The message shown to the writer, in their language where one is written."""
        return message_in(self.message, locale)


@dataclass(frozen=True)
class ClassifierPolicy:
    """All label policies plus the labels a risk-to-author rule neutralizes."""

    labels: dict[str, LabelPolicy] = field(default_factory=dict)
    neutralize_when: frozenset[str] = frozenset()
    neutralize_labels: frozenset[str] = frozenset()


def _label(name: str, raw: Any, file: str, categories: set[str]) -> tuple[LabelPolicy | None, list]:
    line = getattr(raw, "line", 1)
    errors = []

    def err(message: str) -> None:
        errors.append(RuleError(file, line, f"classifier.{name}", message))

    if not isinstance(raw, dict):
        err("a label needs threshold, action, category and priority")
        return None, errors
    for key in sorted(set(raw) - LABEL_FIELDS):
        err(f"unknown field '{key}'")
    threshold = raw.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not (
        0 < threshold <= 1
    ):
        err("'threshold' must be a number in (0, 1]")
    if raw.get("action") not in ACTIONS:
        err(f"'action' must be one of {', '.join(ACTIONS)}")
    elif name in CAPPED_LABELS and ACTION_RANK[raw["action"]] > ACTION_RANK[CAPPED_LABELS[name]]:
        err(f"'{name}' alone may at most {CAPPED_LABELS[name]}")
    if raw.get("category") not in categories:
        err(f"unknown category {raw.get('category')!r}")
    if raw.get("priority") not in PRIORITIES:
        err(f"'priority' must be one of {', '.join(PRIORITIES)}")
    message = parse_message(raw.get("message"))
    if message is None:
        err("'message' must be text or a mapping of locale to text")
    if errors:
        return None, errors
    return LabelPolicy(name, float(threshold), raw["action"], raw["category"], raw["priority"],
                       message), []


def parse_classifier(data: Any, file: str, categories: set[str]) -> tuple[ClassifierPolicy, list]:
    """Validate the contents of classifier.yml."""
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict):
        return ClassifierPolicy(), [RuleError(file, 1, "-", "expected a 'labels:' mapping")]
    errors: list[RuleError] = []
    labels = {}
    for name, raw in data["labels"].items():
        policy, problems = _label(str(name), raw, file, categories)
        errors.extend(problems)
        if policy:
            labels[policy.label] = policy
    neutralize = data.get("neutralize") or {}
    when = neutralize.get("when_categories", []) if isinstance(neutralize, dict) else None
    names = neutralize.get("labels", []) if isinstance(neutralize, dict) else None
    if not isinstance(when, list) or not isinstance(names, list):
        errors.append(RuleError(file, getattr(neutralize, "line", 1), "classifier.neutralize",
                                "'neutralize' takes when_categories and labels lists"))
        when, names = [], []
    for category in when:
        if category not in categories:
            errors.append(RuleError(file, getattr(neutralize, "line", 1),
                                    "classifier.neutralize", f"unknown category {category!r}"))
    return ClassifierPolicy(labels, frozenset(when), frozenset(map(str, names))), errors
