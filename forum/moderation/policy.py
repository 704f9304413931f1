"""Policy: rule hits and classifier scores become one Verdict.

The strictest action wins, categories are united and the highest priority is kept; every
contributing rule and label is a reason. When a rule finds risk to the writer (crisis,
crisis-method, overdose by default), the classifier's threat/toxicity/insult labels do not count:
a cry for help is routed to a trained human, never hidden as toxic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .rules.matcher import RuleHit
from .rules.thresholds import CAPPED_LABELS, ClassifierPolicy, LabelPolicy
from .verdict import ACTION_RANK, PRIORITY_RANK, Reason, Verdict


def label_hits(
    scores: Mapping[str, float] | None, policy: ClassifierPolicy, hits: Sequence[RuleHit]
) -> list[tuple[LabelPolicy, float]]:
    """The labels at or above their threshold that still count after neutralization."""
    if not scores:
        return []
    risk = any(hit.rule.category in policy.neutralize_when for hit in hits)
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
    locale: str | None = None,
) -> Verdict:
    """Combine rule hits and classifier scores into a verdict."""
    labels = label_hits(scores, policy, hits)
    contributions: list[tuple[str, str | None, str]] = []
    for hit in hits:
        contributions.append((hit.rule.action, hit.rule.priority, hit.rule.category))
    for rule, _score in labels:
        action = rule.action
        cap = CAPPED_LABELS.get(rule.label)
        if cap and ACTION_RANK[action] > ACTION_RANK[cap]:
            action = cap
        contributions.append((action, rule.priority, rule.category))
    if not contributions:
        return Verdict(classifier=dict(classifier), classifier_unavailable=classifier_unavailable)
    action = max((c[0] for c in contributions), key=ACTION_RANK.__getitem__)
    priorities = [c[1] for c in contributions if c[1]]
    priority = max(priorities, key=PRIORITY_RANK.__getitem__) if priorities else None
    by_strength = sorted(hits, key=lambda h: _strength(h.rule.action, h.rule.priority),
                         reverse=True)
    resources = tuple(dict.fromkeys(r for hit in by_strength for r in hit.rule.resources))
    message = next((m for hit in by_strength if (m := hit.rule.message_for(locale))), None)
    if message is None:
        strongest = sorted(labels, key=lambda x: _strength(x[0].action, x[0].priority))
        message = next((m for lp, _ in reversed(strongest) if (m := lp.message_for(locale))),
                       None)
    ordered = sorted(hits, key=lambda h: (h.span is None, h.span or (0, 0), h.rule.id))
    reasons = [Reason("rule", h.rule.id, h.rule.category, h.span, None) for h in ordered]
    reasons += [Reason("classifier", lp.label, lp.category, None, score) for lp, score in labels]
    return Verdict(
        action=action,
        categories=tuple(sorted({c[2] for c in contributions})),
        priority=priority,
        reasons=tuple(reasons),
        resources=resources,
        message=message,
        classifier=dict(classifier),
        classifier_unavailable=classifier_unavailable,
    )
