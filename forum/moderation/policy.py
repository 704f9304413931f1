"""Policy: rule hits, classifier scores and semantic findings become one Verdict.

The strictest action wins, categories are united and the highest priority is kept; every
contributing rule and label is a reason. When a rule finds risk to the writer (crisis,
crisis-method, overdose by default), the classifier's threat/toxicity/insult labels do not count:
a cry for help is routed to a trained human, never hidden as toxic. The semantic layer's
findings only ever flag: a model may route text to people, never silence it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .rules.matcher import RuleHit
from .rules.schema import Rule
from .rules.thresholds import CAPPED_LABELS, ClassifierPolicy, LabelPolicy
from .verdict import ACTION_RANK, PRIORITY_RANK, Reason, Verdict

# A risk rule's words that are not the writer's own now still reach a person, unhurried.
EASED_PRIORITY = "normal"
EASED_ID = "semantic:not-the-writer"


def label_hits(
    scores: Mapping[str, float] | None, policy: ClassifierPolicy, hits: Sequence[RuleHit],
    findings: Sequence[Any] = (),
) -> list[tuple[LabelPolicy, float]]:
    """The labels at or above their threshold that still count after neutralization."""
    if not scores:
        return []
    risk = any(hit.rule.category in policy.neutralize_when for hit in hits) or any(
        f.category in policy.neutralize_when for f in findings)
    out = []
    for label, rule in policy.labels.items():
        score = scores.get(label)
        if score is None or score < rule.threshold:
            continue
        if risk and label in policy.neutralize_labels:
            continue
        out.append((rule, score))
    return out


def _strength(action: str, priority: str | None) -> tuple[int, int]:
    return PRIORITY_RANK.get(priority or "", -1), ACTION_RANK[action]


def decide(
    hits: Sequence[RuleHit], scores: Mapping[str, float] | None, policy: ClassifierPolicy, *,
    classifier: Mapping[str, Any], classifier_unavailable: bool = False,
    locale: str | None = None, findings: Sequence[Any] = (),
    exemplars: Mapping[str, Rule] | None = None,
    semantic: Mapping[str, Any] | None = None, semantic_unavailable: bool = False,
    eased: Sequence[RuleHit] = (),
) -> Verdict:
    """Combine rule hits, classifier scores and semantic findings into a verdict.

    `exemplars` gives, per category, the rule whose resources and message answer a semantic
    finding, so the writer is answered exactly as that rule would answer them. `eased` hits
    matched words that are not the writer's own now (support given, a quote, a denial): they
    still reach a person, at normal priority."""
    labels = label_hits(scores, policy, hits, findings)
    contributions: list[tuple[str, str | None, str]] = []
    for hit in hits:
        priority = EASED_PRIORITY if any(hit is e for e in eased) else hit.rule.priority
        contributions.append((hit.rule.action, priority, hit.rule.category))
    for finding in findings:
        contributions.append(("flag", finding.priority, finding.category))
    layers = {"classifier": dict(classifier), "classifier_unavailable": classifier_unavailable,
              "semantic": dict(semantic or {"name": "off", "ready": False}),
              "semantic_unavailable": semantic_unavailable}
    for rule, _score in labels:
        action = rule.action
        cap = CAPPED_LABELS.get(rule.label)
        if cap and ACTION_RANK[action] > ACTION_RANK[cap]:
            action = cap
        contributions.append((action, rule.priority, rule.category))
    if not contributions:
        return Verdict(**layers)
    action = max((c[0] for c in contributions), key=ACTION_RANK.__getitem__)
    priorities = [c[1] for c in contributions if c[1]]
    priority = max(priorities, key=PRIORITY_RANK.__getitem__) if priorities else None
    by_strength = sorted(hits, key=lambda h: _strength(h.rule.action, h.rule.priority),
                         reverse=True)
    # The rules that answer the writer, strongest first: the rules that matched, and for each
    # semantic finding its category's exemplar rule at the finding's own strength.
    ranked = [(_strength(h.rule.action, h.rule.priority), h.rule) for h in by_strength]
    ranked += [(_strength("flag", f.priority), rule) for f in findings
               if (rule := (exemplars or {}).get(f.category)) is not None]
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    answering: list[Rule] = []
    for _, rule in ranked:
        if all(rule is not seen for seen in answering):
            answering.append(rule)
    resources = tuple(dict.fromkeys(r for rule in answering for r in rule.resources))
    message = next((m for rule in answering if (m := rule.message_for(locale))), None)
    if message is None:
        strongest = sorted(labels, key=lambda x: _strength(x[0].action, x[0].priority))
        message = next((m for lp, _ in reversed(strongest) if (m := lp.message_for(locale))),
                       None)
    ordered = sorted(hits, key=lambda h: (h.span is None, h.span or (0, 0), h.rule.id))
    reasons = [Reason("rule", h.rule.id, h.rule.category, h.span, None) for h in ordered]
    reasons += [Reason("semantic", f.id, f.category, f.span, f.score) for f in findings]
    reasons += [Reason("semantic", EASED_ID, h.rule.category, h.span, None) for h in eased]
    reasons += [Reason("classifier", lp.label, lp.category, None, score) for lp, score in labels]
    return Verdict(
        action=action,
        categories=tuple(sorted({c[2] for c in contributions})),
        priority=priority,
        reasons=tuple(reasons),
        resources=resources,
        message=message,
        **layers,
    )
