"""Measure a rule set on a labelled corpus: precision, recall and queue share of one category.

A labelled corpus is JSON lines: {"text", "expected": {"categories": [...]}, "split": "dev" |
"test", "kind", "language"} (and optionally "scope"). Tune rules on the dev split only; the
test split says whether the tuning holds on messages it never saw. Rules alone decide here
(no classifier), so the numbers are the same on every machine.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .policy import decide
from .rules import RuleSet
from .verdict import PRIORITIES, SCOPES, Verdict


@dataclass(frozen=True)
class LabelledItem:
    """One corpus message and what the rules should make of it."""

    text: str
    expected: frozenset[str]
    split: str
    kind: str = ""
    language: str = "en"
    scope: str = "post"
    priority: str | None = None
    # In chat, the same writer's messages just before this one, oldest first.
    context: tuple[str, ...] = ()
    # Personal details: the detectors that should find something ("phone_number", "email").
    types: frozenset[str] = frozenset()


@dataclass
class Counts:
    """True and false positives and false negatives, with precision and recall."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def precision(self) -> float:
        """Share of the messages put in the category that belong there."""
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of the messages that belong in the category that were put there."""
        expected = self.true_pos + self.false_neg
        return self.true_pos / expected if expected else 1.0


@dataclass
class Score(Counts):
    """Counts for one category on one split."""

    total: int = 0
    queued: int = 0
    queued_by_kind: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    found_by_kind: Counter = field(default_factory=Counter)
    wrong: list[tuple[str, str, LabelledItem]] = field(default_factory=list)

    @property
    def queue_share(self) -> float:
        """Share of all messages that would create a review item for the category."""
        return self.queued / self.total if self.total else 0.0

    def kind_share(self, kind: str, queued: bool = True) -> float:
        """Share of one kind of message queued (or, queued=False, put in the category)."""
        counts = self.queued_by_kind if queued else self.found_by_kind
        return counts[kind] / self.kinds[kind] if self.kinds[kind] else 0.0


def parse_labelled(lines: Iterable[str | bytes]) -> list[LabelledItem]:
    """Read labelled JSON lines; ValueError naming the line when one cannot be used."""
    items = []
    for number, raw in enumerate(lines, start=1):
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            expected = data["expected"]["categories"]
            scope = data.get("scope", "post")
            priority = data["expected"].get("priority")
            context = data.get("context") or []
            types = data["expected"].get("types") or []
            if not isinstance(data["text"], str) or scope not in SCOPES \
                    or (priority is not None and priority not in PRIORITIES) \
                    or not all(isinstance(c, str) for c in context) \
                    or not all(isinstance(t, str) for t in types):
                raise ValueError
            items.append(LabelledItem(
                text=data["text"], expected=frozenset(expected), split=str(data["split"]),
                kind=str(data.get("kind", "")), language=str(data.get("language", "en")),
                scope=scope, priority=priority, context=tuple(context), types=frozenset(types),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: not a labelled item ({exc!s})") from exc
    return items


def load_labelled(path: str | Path) -> list[LabelledItem]:
    """Read a labelled corpus file."""
    with open(path, encoding="utf-8") as handle:
        return parse_labelled(handle)


def rules_verdict(ruleset: RuleSet, item: LabelledItem) -> Verdict:
    """The verdict of the rules alone for one item."""
    hits = ruleset.matcher.match(item.text, item.scope)
    return decide(hits, None, ruleset.classifier, classifier={"name": "none", "ready": False})


def evaluate(
    ruleset: RuleSet, items: Sequence[LabelledItem], category: str
) -> dict[str, Score]:
    """Score the rule set on each split (and "all") for one category."""
    scores: dict[str, Score] = {}
    for item in items:
        verdict = rules_verdict(ruleset, item)
        found = category in verdict.categories
        wanted = category in item.expected
        queued = found and verdict.needs_review
        for split in (item.split, "all"):
            score = scores.setdefault(split, Score())
            score.total += 1
            score.kinds[item.kind] += 1
            score.true_pos += found and wanted
            score.false_pos += found and not wanted
            score.false_neg += wanted and not found
            score.queued += queued
            score.queued_by_kind[item.kind] += queued
            score.found_by_kind[item.kind] += found
            if found != wanted and split != "all":
                score.wrong.append(("extra" if found else "missed", verdict.action, item))
    return scores


def report(scores: dict[str, Score], category: str) -> list[str]:
    """The scores as printable lines: one block per split, then the dev split's mistakes."""
    lines = []
    for split in sorted(scores, key=lambda s: (s == "all", s)):
        score = scores[split]
        lines.append(
            f"{split}: {score.total} messages, {category} precision {score.precision:.3f} "
            f"recall {score.recall:.3f}, queue share {score.queue_share:.3f} "
            f"({score.queued} queued)"
        )
        for kind in sorted(score.kinds):
            lines.append(f"  {kind or '-':14} {score.kinds[kind]:>4} messages, "
                         f"{score.queued_by_kind[kind]:>4} queued")
    dev = scores.get("dev")
    if dev and dev.wrong:
        lines.append(f"dev mistakes ({len(dev.wrong)}):")
        lines += [f"  {what:6} {action:5} [{item.kind}] {item.text[:70]!r}"
                  for what, action, item in dev.wrong]
    return lines
