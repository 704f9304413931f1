"""The verdict: what the pipeline decided about one piece of text, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTIONS: tuple[str, ...] = ("allow", "flag", "hold", "block")
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
SCOPES: tuple[str, ...] = ("post", "chat", "title", "pseudonym", "report")
ACTION_RANK = {name: rank for rank, name in enumerate(ACTIONS)}
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
# Risk to the writer: routed to a trained human and answered with resources.
RISK_TO_AUTHOR = frozenset({"crisis", "crisis-method", "overdose"})
# Readers see a disclosure of these categories behind an automatic content note (first match).
AUTO_NOTES: tuple[tuple[str, str], ...] = (
    ("crisis-method", "suicidal-thoughts"), ("crisis", "suicidal-thoughts"),
    ("overdose", "overdose"),
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule or classifier label that contributed to a verdict."""

    source: str  # "rule" | "classifier" | "semantic"
    id: str
    category: str
    span: tuple[int, int] | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN.md 3.2."""
        return {
            "source": self.source,
            "id": self.id,
            "category": self.category,
            "span": list(self.span) if self.span is not None else None,
            "score": round(self.score, 4) if self.score is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's single decision for one text."""

    action: str = "allow"
    categories: tuple[str, ...] = ()
    priority: str | None = None
    reasons: tuple[Reason, ...] = ()
    resources: tuple[str, ...] = ()
    message: str | None = None
    classifier: dict[str, Any] = field(default_factory=lambda: {"name": "none", "ready": False})
    classifier_unavailable: bool = False
    semantic: dict[str, Any] = field(default_factory=lambda: {"name": "off", "ready": False})
    # The semantic layer is configured but could not answer (loading, failed, too slow).
    semantic_unavailable: bool = False

    @property
    def needs_rescreen(self) -> bool:
        """True when a layer that should have read the text could not."""
        return self.classifier_unavailable or self.semantic_unavailable

    @property
    def is_risk_to_author(self) -> bool:
        """True when the writer may be at risk (crisis, crisis-method, overdose)."""
        return not RISK_TO_AUTHOR.isdisjoint(self.categories)

    @property
    def auto_note(self) -> str | None:
        """The content note readers see this text behind ("suicidal-thoughts", "overdose"),
        or None when the text needs none."""
        return next((note for category, note in AUTO_NOTES if category in self.categories),
                    None)

    @property
    def support_kind(self) -> str | None:
        """How the writer is answered: "crisis" (the full panel of crisis lines) for a risk to
        the writer, "gentle" (a small, kind note with the rule's resources) otherwise when
        there are resources, None when there is nothing to say."""
        if self.is_risk_to_author:
            return "crisis"
        return "gentle" if self.resources else None

    @property
    def is_published(self) -> bool:
        """True when the text is shown to everyone right away (allow or flag)."""
        return self.action in ("allow", "flag")

    @property
    def needs_review(self) -> bool:
        """True when a moderator should look at the text (flag or hold)."""
        return self.action in ("flag", "hold")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `flask screen` prints (DESIGN.md 3.2)."""
        return {
            "action": self.action,
            "categories": list(self.categories),
            "priority": self.priority,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "resources": list(self.resources),
            "classifier": {
                "name": self.classifier.get("name"),
                "ready": bool(self.classifier.get("ready")),
            },
            "semantic": {
                "name": self.semantic.get("name"),
                "ready": bool(self.semantic.get("ready")),
            },
        }
