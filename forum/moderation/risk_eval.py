"""Measure the whole pipeline on a labelled risk corpus.

Per category and per priority: precision and recall, the share of people at risk reached
(urgent or high in crisis, crisis-method or overdose), the share of supporters flagged as if
they were at risk, a table of the semantic heads' thresholds, and the misses. The corpus is
the labelled JSON lines of `evaluate.py`, with `expected.priority` and, for chat, `context`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .evaluate import Counts, LabelledItem
from .verdict import RISK_TO_AUTHOR, Verdict

CATEGORIES = ("crisis", "crisis-method", "overdose", "relapse")
# A plan, a method or a goodbye is a crisis too: the crisis row counts either.
IMPLIED = {"crisis": frozenset({"crisis", "crisis-method"})}
URGENT_OR_HIGH = frozenset({"urgent", "high"})
RISK_ROW = "at risk (urgent or high)"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BATCH = 64


@dataclass
class Tally(Counts):
    """Counts for one row on one split, with the items it missed and those it added."""

    missed: list[LabelledItem] = field(default_factory=list)
    extra: list[LabelledItem] = field(default_factory=list)

    def add(self, wanted: bool, found: bool, item: LabelledItem) -> None:
        """Count one item."""
        self.true_pos += wanted and found
        self.false_pos += found and not wanted
        self.false_neg += wanted and not found
        if wanted and not found:
            self.missed.append(item)
        elif found and not wanted:
            self.extra.append(item)


@dataclass
class Measure:
    """Every row for one split, and the look-alike shares."""

    items: int = 0
    rows: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    supporters: int = 0
    supporters_flagged: int = 0
    nothing: int = 0
    nothing_queued: int = 0
    rules: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    @property
    def supporters_share(self) -> float:
        """Supportive replies flagged urgent or high as if the writer were at risk."""
        return self.supporters_flagged / self.supporters if self.supporters else 0.0

    @property
    def nothing_share(self) -> float:
        """Messages that need nothing but were put in a risk category at any priority."""
        return self.nothing_queued / self.nothing if self.nothing else 0.0


def has_category(categories: Sequence[str] | frozenset[str], category: str) -> bool:
    """True when the categories say `category` (a plan counts as a crisis)."""
    return not IMPLIED.get(category, frozenset({category})).isdisjoint(categories)


def at_risk(categories: Sequence[str] | frozenset[str], priority: str | None) -> bool:
    """A person at risk now: a risk category at urgent or high priority."""
    return priority in URGENT_OR_HIGH and not RISK_TO_AUTHOR.isdisjoint(categories)


def screen_items(pipeline: Any, items: Sequence[LabelledItem]) -> list[Verdict]:
    """Every item through the pipeline, batched per scope and language."""
    verdicts: list[Verdict | None] = [None] * len(items)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[(item.scope, item.language)].append(index)
    for (scope, language), indices in groups.items():
        for start in range(0, len(indices), BATCH):
            chunk = indices[start:start + BATCH]
            contexts = [list(items[i].context) for i in chunk]
            found = pipeline.screen_many(
                [items[i].text for i in chunk], scope=scope, locale=language,
                contexts=contexts if any(contexts) else None)
            for i, verdict in zip(chunk, found, strict=True):
                verdicts[i] = verdict
    return verdicts  # type: ignore[return-value]


def measure(items: Sequence[LabelledItem], verdicts: Sequence[Verdict],
            detectors: dict[str, tuple[str, frozenset[str]]] | None = None
            ) -> dict[str, Measure]:
    """Per split (and "all"): precision and recall per category, per priority, at risk, and
    for a corpus labelled with types of personal detail, per detector rule (`detectors`: rule
    id to its detector name and scopes; a rule is measured on the items of its scopes)."""
    out: dict[str, Measure] = {}
    categories = list(CATEGORIES) + sorted(
        {c for item in items for c in item.expected} - set(CATEGORIES))
    typed = any(item.types for item in items)
    for item, verdict in zip(items, verdicts, strict=True):
        found_ids = {r.id for r in verdict.reasons}
        for split in (item.split, "all"):
            m = out.setdefault(split, Measure())
            m.items += 1
            if typed:
                for rule_id, (name, scopes) in (detectors or {}).items():
                    if item.scope in scopes:
                        m.rules[rule_id].add(name in item.types, rule_id in found_ids, item)
            for category in categories:
                m.rows[category].add(has_category(item.expected, category),
                                     has_category(verdict.categories, category), item)
            for priority in ("urgent", "high", "normal"):
                wanted = item.priority == priority and bool(item.expected)
                # A caring check-in is "normal" here whether a rule queued it normal or low.
                said = "normal" if verdict.priority == "low" else verdict.priority
                found = said == priority and any(
                    has_category(verdict.categories, c) for c in CATEGORIES)
                m.rows[f"priority {priority}"].add(wanted, found, item)
            m.rows[RISK_ROW].add(at_risk(item.expected, item.priority),
                                 at_risk(verdict.categories, verdict.priority), item)
            if item.kind == "supportive":
                m.supporters += 1
                m.supporters_flagged += at_risk(verdict.categories, verdict.priority)
            if not item.expected:
                m.nothing += 1
                m.nothing_queued += not RISK_TO_AUTHOR.isdisjoint(verdict.categories)
    return out


def threshold_table(
    pipeline: Any, items: Sequence[LabelledItem], split: str
) -> list[tuple[str, float, Tally]]:
    """Per semantic head and threshold: precision and recall of the rules plus the head."""
    layer = pipeline.semantic
    if layer is None or not layer.ready:
        return []
    chosen = [item for item in items if split in ("all", item.split)]
    scores: list[dict[str, float]] = [{} for _ in chosen]
    by_language: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(chosen):
        by_language[item.language].append(index)
    for language, indices in by_language.items():
        for start in range(0, len(indices), BATCH):
            chunk = indices[start:start + BATCH]
            contexts = [list(chosen[i].context) for i in chunk]
            found = layer.read_now([chosen[i].text for i in chunk],
                                   contexts if any(contexts) else None,
                                   floor=min(THRESHOLDS), hint=language)
            for i, per in zip(chunk, found, strict=True):
                scores[i] = {f.category: f.score for f in per}
    by_rules = []
    for item in chosen:
        hits = pipeline.match(item.text, scope=item.scope)
        by_rules.append({hit.rule.category for hit in hits})
    rows = []
    for category in layer.status()["heads"]:
        for threshold in THRESHOLDS:
            tally = Tally()
            for item, score, ruled in zip(chosen, scores, by_rules, strict=True):
                semantic = {c for c, s in score.items() if s >= threshold}
                tally.add(has_category(item.expected, category),
                          has_category(ruled | semantic, category), item)
            rows.append((category, threshold, tally))
    return rows


def report(measures: dict[str, Measure], *, misses_of: str = "dev",
           limit: int = 40) -> list[str]:
    """Printable lines: a block per split, then the misses and false alarms of one split."""
    lines = []
    for split in sorted(measures, key=lambda s: (s == "all", s)):
        m = measures[split]
        lines.append(f"{split}: {m.items} messages")
        for name, tally in m.rows.items():
            lines.append(f"  {name:26} precision {tally.precision:.3f}  recall "
                         f"{tally.recall:.3f}  ({tally.true_pos} found, {tally.false_neg} "
                         f"missed, {tally.false_pos} extra)")
        for rule_id, tally in sorted(m.rules.items()):
            lines.append(f"  rule {rule_id:21} precision {tally.precision:.3f}  recall "
                         f"{tally.recall:.3f}  ({tally.true_pos} found, {tally.false_neg} "
                         f"missed, {tally.false_pos} extra)")
        lines.append(f"  supporters flagged urgent or high: {m.supporters_flagged}/"
                     f"{m.supporters} ({m.supporters_share:.3f})")
        lines.append(f"  needing nothing, put in a risk category: {m.nothing_queued}/"
                     f"{m.nothing} ({m.nothing_share:.3f})")
    chosen = measures.get(misses_of)
    if chosen and chosen.rules:
        for rule_id, tally in sorted(chosen.rules.items()):
            for what, group in (("misses", tally.missed), ("false alarms", tally.extra)):
                if group:
                    lines.append(f"{misses_of} {what} of {rule_id} ({len(group)}):")
                    lines += [f"  [{i.kind}/{i.language}] {i.text[:90]!r}" for i in group[:limit]]
    elif chosen:
        risk = chosen.rows[RISK_ROW]
        lines.append(f"{misses_of} misses, at risk but not urgent or high ({len(risk.missed)}):")
        lines += [f"  [{i.kind}/{i.language}] {i.text[:90]!r}" for i in risk.missed[:limit]]
        lines.append(f"{misses_of} false alarms, urgent or high but not at risk "
                     f"({len(risk.extra)}):")
        lines += [f"  [{i.kind}/{i.language}] {i.text[:90]!r}" for i in risk.extra[:limit]]
    return lines


def threshold_report(rows: list[tuple[str, float, Tally]]) -> list[str]:
    """The threshold table as printable lines."""
    lines = [f"{'head':16}{'threshold':>10}{'precision':>11}{'recall':>8}"] if rows else []
    for category, threshold, tally in rows:
        lines.append(f"{category:16}{threshold:>10.2f}{tally.precision:>11.3f}"
                     f"{tally.recall:>8.3f}")
    return lines



def below(measures: dict[str, Measure], split: str, floors: dict[str, tuple[str, float]]
          ) -> list[str]:
    """The floors a split misses: {row or rule id: ("precision" | "recall", least)}."""
    chosen = measures.get(split)
    misses = []
    for name, (what, least) in floors.items():
        tally = None if chosen is None else (chosen.rules.get(name) or chosen.rows.get(name))
        if tally is None:
            misses.append(f"{name}: no such row in the {split} split")
            continue
        value = getattr(tally, what)
        if value < least:
            misses.append(f"{name} {what} {value:.3f} is below {least:.3f}")
    return misses
